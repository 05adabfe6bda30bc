"""`manage.py import_stock`: counts or adjustments from CSV through the bulk service."""

import pytest
from django.core.management import CommandError, call_command

from inventory.models import StockLevel, StockMovement

pytestmark = pytest.mark.django_db


def _run(tmp_path, text: str, *args) -> tuple[str, str]:
    from io import StringIO

    path = tmp_path / "stock.csv"
    path.write_text(text)
    out, err = StringIO(), StringIO()
    call_command("import_stock", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def on_hand(sku: str) -> int:
    return sum(StockLevel.objects.filter(product__sku=sku).values_list("on_hand", flat=True))


@pytest.fixture
def shelf(stock):
    main = stock.warehouse("MAIN")
    stock.location(main, "A-01")
    for sku in ("A", "B"):
        stock.receive(stock.product(sku), main, 10)
    return main


def test_counts_from_csv_apply_and_report_each_refused_line(tmp_path, account, shelf):
    text = (
        "sku,warehouse,location,on_hand,expected_on_hand\n"
        "A,MAIN,,4,10\n"
        "B,MAIN,,3,9\n"  # stale
        "A,MAIN,A-01,7,\n"
        "NOPE,MAIN,,1,\n"
        "B,EAST,,1,\n"
        "B,MAIN,,x,\n"
    )
    out, err = _run(tmp_path, text, "--account", account.public_id)
    assert "6 counts rows: 2 applied, 0 unchanged, 1 stale, 3 refused." in out
    assert "line 3 (B): stale: on_hand is 10" in err
    assert "line 5 (NOPE): sku: Invalid SKU: NOPE not found" in err
    assert "line 6 (B): warehouse: no warehouse with this code." in err
    assert "line 7 (B): on_hand:" in err
    assert (on_hand("A"), on_hand("B")) == (11, 10)
    assert StockMovement.objects.filter(reason="cycle_count").count() == 2


def test_atomic_writes_nothing_when_a_line_is_refused(tmp_path, account, shelf):
    before = StockMovement.objects.count()
    text = "sku,warehouse,quantity,reason\nA,MAIN,5,received\nB,MAIN,-50,damaged\n"
    with pytest.raises(CommandError, match="1 row"):
        _run(tmp_path, text, "--account", account.public_id, "--atomic")
    assert StockMovement.objects.count() == before and on_hand("A") == 10
    out, _ = _run(tmp_path, text.replace("-50", "-5"), "--account", account.public_id)
    assert "2 adjustments rows: 2 applied" in out
    assert (on_hand("A"), on_hand("B")) == (15, 5)


def test_a_header_without_a_quantity_column_is_refused(tmp_path, account, shelf):
    with pytest.raises(CommandError, match="on_hand column"):
        _run(tmp_path, "sku,warehouse\nA,MAIN\n", "--account", account.public_id)


def test_staff_import_counts_in_the_admin(client, account, shelf):
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vectis.accounts.models import Membership

    user = User.objects.create_user("clerk", password="pw", is_staff=True)
    Membership.objects.create(user=user, account=account, role="operator")
    client.force_login(user)
    page = client.get("/admin/inventory/stocklevel/import/")
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content
    upload = SimpleUploadedFile("counts.csv", b"sku,warehouse,on_hand\nA,MAIN,3\nNOPE,MAIN,1\n")
    response = client.post(
        "/admin/inventory/stocklevel/import/",
        {"account": account.pk, "file": upload},
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "2 counts rows: 1 applied" in text and "Invalid SKU: NOPE not found" in text
    assert on_hand("A") == 3
    assert StockMovement.objects.filter(reason="cycle_count", actor="user:clerk").count() == 1


def test_an_unreadable_row_stops_the_import_before_anything_is_written(tmp_path, account, shelf):
    before = StockMovement.objects.count()
    path = tmp_path / "stock.csv"
    path.write_bytes(b"sku,warehouse,quantity,reason\nA,MAIN,5,received\nB,MAIN,\x00,other\n")
    with pytest.raises(CommandError, match=r"line 3.*NUL"):
        call_command("import_stock", str(path), "--account", account.public_id)
    assert StockMovement.objects.count() == before
