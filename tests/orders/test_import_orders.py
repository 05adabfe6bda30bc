"""manage.py import_orders: one row per line, orders checked like POST /v1/orders."""

import csv
import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog import services as catalog
from catalog.models import Product
from orders.models import Order, OrderEvent, OrderLine
from orders.representation import order_data
from tests.factories import Stock
from tests.statements import count_statements
from vectis import tasks
from webhooks.models import Event

pytestmark = pytest.mark.django_db

HEADER = (
    "channel,external_id,sku,quantity,price,currency,ship_to_name,ship_to_address1,"
    "ship_to_city,ship_to_postal_code,ship_to_country,shipping,tags,hold\n"
)
ADDRESS = "Ann Lee,1 Main St,Phoenix,85001,US"


@pytest.fixture
def shop(account):
    stock = Stock(account)
    warehouse = stock.warehouse()
    for sku in ("A-1", "B-1", "C-1"):
        stock.receive(stock.product(sku), warehouse, 100)
    return stock


def _write(tmp_path, text: str, name="orders.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _run(*args):
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("import_orders", *args, "--no-progress", stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


def test_rows_of_an_order_become_one_order_written_as_intake_writes_it(tmp_path, account, shop):
    path = _write(
        tmp_path,
        HEADER
        + f"web,W-1,A-1,2,9.99,EUR,{ADDRESS},4.50,vip|gift,\n"
        + "web,W-1,B-1,1,5.00,,,,,,,,,\n"  # order-level cells left empty on later rows
        + f"web,W-2,C-1,3,,,{ADDRESS},,,true\n",
    )
    code, out = _run(path, "--account", account.public_id)
    assert code == 0, out
    assert out.startswith("2 order(s) created, 0 rejected (3 rows")
    first = Order.objects.get(account=account, external_id="W-1")
    assert first.currency == "EUR"
    assert first.ship_to["city"] == "Phoenix" and first.customer_name == "Ann Lee"
    assert str(first.subtotal) == "24.9800" and str(first.total) == "29.4800"
    assert first.tags == ["vip", "gift"]
    assert [(line.sku, line.quantity, line.position) for line in first.lines.all()] == [
        ("A-1", 2, 0),
        ("B-1", 1, 1),
    ]
    assert first.status == "pending" and first.allocation_due_at is not None
    held = Order.objects.get(account=account, external_id="W-2")
    assert held.status == "on_hold" and held.hold_reason == "held at intake"
    assert held.allocation_due_at is None
    assert list(OrderEvent.objects.filter(order=held).values_list("type", "to_status")) == [
        ("created", "pending"),
        ("held", "on_hold"),
    ]
    # The event carries the order as the API shows it.
    events = {
        e.data["external_id"]: e.data
        for e in Event.objects.filter(account=account, type="order.created")
    }
    assert events.keys() == {"W-1", "W-2"}
    assert events["W-1"] == _as_stored(order_data(first))
    assert events["W-2"]["status"] == "on_hold"


def _as_stored(data):
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def test_a_rejected_order_is_named_by_line_and_column_and_nothing_is_written(
    tmp_path, account, shop
):
    path = _write(
        tmp_path,
        HEADER
        + f"web,W-1,A-1,1,,,{ADDRESS},,,\n"
        + f"web,W-2,A-1,1,,,{ADDRESS.replace('US', 'XX')},,,\n"  # line 3: country
        + f"web,W-3,A-1,1,,,{ADDRESS},,,\n"
        + "web,W-3,NOPE,1,,,,,,,,,,\n"  # line 5: unknown SKU on the order's second row
        + f"web,W-4,A-1,0,,,{ADDRESS},,,\n"  # line 6: quantity
        + f"web,W-5,A-1,1,,,{ADDRESS},,,\n"
        + "web,W-5,B-1,1,,,Bob,,,,,,,\n"  # line 8: a later row changes ship_to_name
        + f"web,W-1,C-1,1,,,{ADDRESS},,,\n",  # line 9: W-1 again, not consecutive
    )
    errors = tmp_path / "rejects.csv"
    code, out = _run(path, "--account", account.public_id, "--errors", str(errors))
    assert code == 1
    assert out.startswith("1 order(s) would be created, 5 rejected (8 rows"), out
    assert "line 3 (web:W-2): ship_to_country:" in out
    assert "line 5 (web:W-3): sku: Invalid SKU: NOPE not found" in out
    assert "line 6 (web:W-4): quantity:" in out
    assert "line 8 (web:W-5): ship_to_name: differs from the order's first row (line 7)" in out
    assert "line 9 (web:W-1): external_id: the rows of an order must be consecutive" in out
    assert "Nothing was imported: 5 order(s) rejected" in out
    assert not Order.objects.filter(account=account).exists()
    assert not Event.objects.filter(account=account, type="order.created").exists()
    rejected = list(csv.DictReader(io.StringIO(errors.read_text())))
    assert [r["line"] for r in rejected] == ["3", "5", "6", "8", "9"]


def test_skip_invalid_imports_the_other_orders(tmp_path, account, shop):
    path = _write(
        tmp_path,
        HEADER + f"web,W-1,A-1,1,,,{ADDRESS},,,\n" + f"web,W-2,NOPE,1,,,{ADDRESS},,,\n",
    )
    code, out = _run(path, "--account", account.public_id, "--skip-invalid")
    assert code == 1
    assert out.startswith("1 order(s) created, 1 rejected")
    assert list(Order.objects.filter(account=account).values_list("external_id", flat=True)) == [
        "W-1"
    ]


def test_an_existing_order_is_refused_or_skipped_on_request(tmp_path, account, shop):
    path = _write(tmp_path, HEADER + f"web,W-1,A-1,1,,,{ADDRESS},,,\n")
    assert _run(path, "--account", account.public_id)[0] == 0
    again = _write(
        tmp_path, HEADER + f"web,W-1,A-1,1,,,{ADDRESS},,,\nweb,W-2,B-1,1,,,{ADDRESS},,,\n", "b.csv"
    )
    code, out = _run(again, "--account", account.public_id)
    existing = Order.objects.get(account=account, external_id="W-1")
    assert code == 1
    assert f"line 2 (web:W-1): external_id: Order {existing.public_id} already has" in out
    assert Order.objects.filter(account=account).count() == 1
    code, out = _run(again, "--account", account.public_id, "--skip-existing")
    assert code == 0, out
    assert out.startswith("1 order(s) created, 1 already present, 0 rejected")
    assert Order.objects.filter(account=account).count() == 2


def test_an_archived_product_and_a_channel_alias_follow_intake(tmp_path, account, shop):
    products = {p.sku: p for p in Product.objects.filter(account=account)}
    catalog.product_update(product=products["C-1"], data={"active": False})
    catalog.alias_create(product=products["A-1"], channel="web", alias="SHOP-A")
    path = _write(
        tmp_path,
        HEADER + f"web,W-1,SHOP-A,1,,,{ADDRESS},,,\n" + f"web,W-2,C-1,1,,,{ADDRESS},,,\n",
    )
    code, out = _run(path, "--account", account.public_id, "--skip-invalid")
    assert code == 1
    assert "line 3 (web:W-2): sku: Product C-1 is archived" in out
    line = OrderLine.objects.get(order__external_id="W-1")
    assert line.sku == "SHOP-A" and line.product.sku == "A-1"


def test_dry_run_and_unreadable_files_write_nothing(tmp_path, account, shop):
    path = _write(tmp_path, HEADER + f"web,W-1,A-1,1,,,{ADDRESS},,,\n")
    code, out = _run(path, "--account", account.public_id, "--dry-run")
    assert code == 0 and out.startswith("1 order(s) would be created")
    bad = tmp_path / "bad.csv"
    bad.write_bytes((HEADER + f"web,W-1,A-1,1,,,{ADDRESS},,,\nweb,W-2,A\x00,1\n").encode())
    with pytest.raises(CommandError, match="line 3, column 10: a NUL byte"):
        call_command("import_orders", str(bad), "--account", account.public_id, "--no-progress")
    assert not Order.objects.filter(account=account).exists()


def test_the_header_is_checked(tmp_path, account):
    with pytest.raises(CommandError, match="Unknown column"):
        _run(_write(tmp_path, "external_id,sku,quantity,colour\n"), "--account", account.name)
    with pytest.raises(CommandError, match=r"channel \(or --channel\)"):
        _run(_write(tmp_path, "external_id,sku,quantity\n"), "--account", account.name)


def _file(tmp_path, orders: int, name: str) -> str:
    rows = "".join(
        f"web,{name}-{n},{sku},1,2.50,,{ADDRESS},,,\n"
        for n in range(orders)
        for sku in ("A-1", "B-1", "C-1")
    )
    return _write(tmp_path, HEADER + rows, f"{name}.csv")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_costs_the_same_statements_for_100_and_1000_orders(
    tmp_path, account, shop, settings, close_db_in_threads
):
    """Per batch: the account, SKUs, existing orders, then orders, lines, history and events
    each one nextval and one COPY (from COPY_MIN_ROWS rows; fewer are one INSERT), in one
    transaction. What follows the commit (the relay) runs on a
    background thread, as in production (the dispatcher): not the import's work."""
    account.auto_allocate = False
    account.save()
    settings.VECTIS_BACKGROUND_INLINE = False
    counts = {}
    for orders in (100, 1000):
        path = _file(tmp_path, orders, f"N{orders}")
        with count_statements() as seen:
            code, out = _run(path, "--account", account.public_id, "--batch-size", "5000")
        assert code == 0, out
        counts[orders] = seen
        tasks.settle()
    assert Order.objects.filter(account=account).count() == 1100
    assert OrderLine.objects.filter(account=account).count() == 3300
    assert Event.objects.filter(account=account, type="order.created").count() == 1100
    assert counts[100].count == counts[1000].count, f"{counts[100]}\n{counts[1000]}"
    assert counts[1000].count == 15, str(counts[1000])
