import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog import services
from catalog.models import KitComponent, Product
from webhooks.models import Event

pytestmark = pytest.mark.django_db

HEADER = (
    "sku,name,barcode,weight,weight_unit,length,width,height,dimension_unit,price,active,type,"
    "components,metadata\n"
)


def _write(tmp_path, text: str):
    path = tmp_path / "products.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _run(*args):
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("import_products", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


def test_imports_creates_updates_and_reports_rejects_by_line(tmp_path, account):
    services.product_create(account=account, data={"sku": "EXISTING", "name": "Old name"})
    path = _write(
        tmp_path,
        HEADER
        + "A-1,Anchor,036000291452,1.5,kg,10,5,2,cm,9.99,true,,,\n"
        + "B-1,Bolt,036000291453,,,,,,,,,,,\n"  # bad barcode: line 3
        + "EXISTING,New name,,,,,,,,12.00,,,,\n"
        + 'KIT-1,Kit,,,,,,,,,,kit,A-1:2|EXISTING:1,"{""tier"": ""gold""}"\n'
        + "bad sku,X,,,,,,,,,,,,\n",  # line 6
    )
    errors_file = tmp_path / "rejects.csv"
    code, out = _run(
        path, "--account", account.public_id, "--errors", str(errors_file), "--no-progress"
    )
    assert code == 1
    assert out.splitlines()[0].startswith("2 created, 1 updated, 2 rejected")
    assert "line 3 (B-1): barcode:" in out
    assert "line 6 (bad sku): sku:" in out
    assert set(Product.objects.values_list("sku", flat=True)) == {"A-1", "EXISTING", "KIT-1"}
    anchor = Product.objects.get(sku="A-1")
    assert (str(anchor.weight), anchor.weight_unit, str(anchor.length)) == ("1.500", "kg", "10.00")
    assert Product.objects.get(sku="EXISTING").name == "New name"
    kit = Product.objects.get(sku="KIT-1")
    assert kit.metadata == {"tier": "gold"}
    assert sorted(
        KitComponent.objects.filter(kit=kit).values_list("component__sku", "quantity")
    ) == [
        ("A-1", 2),
        ("EXISTING", 1),
    ]
    rejects = list(csv.DictReader(errors_file.open()))
    assert [(r["line"], r["sku"]) for r in rejects] == [("3", "B-1"), ("6", "bad sku")]
    # one product.created from the set-up, two from the import, and one product.updated
    assert Event.objects.filter(type="product.created").count() == 3
    assert Event.objects.filter(type="product.updated").count() == 1


def test_dry_run_writes_nothing(tmp_path, account):
    path = _write(tmp_path, "sku,name\nA,a\nB,b\n")
    code, out = _run(path, "--account", account.name, "--dry-run", "--no-progress")
    assert code == 0
    assert out.startswith("2 would be created, 0 would be updated, 0 rejected")
    assert Product.objects.count() == 0
    assert Event.objects.count() == 0


def test_small_batches_give_the_same_result(tmp_path, account):
    rows = "".join(f"S-{i},Item {i}\n" for i in range(25))
    path = _write(tmp_path, "sku,name\n" + rows)
    code, _ = _run(path, "--account", account.public_id, "--batch-size", "7", "--no-progress")
    assert code == 0
    assert Product.objects.count() == 25


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "no header"),
        ("sku,name,colour\nA,a,red\n", "Unknown column(s): colour"),
        ("name\nA\n", "'sku' column"),
    ],
)
def test_bad_files_are_refused(tmp_path, account, text, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("import_products", _write(tmp_path, text), "--account", account.public_id)


def test_unknown_account(tmp_path):
    with pytest.raises(CommandError, match="No account"):
        call_command("import_products", _write(tmp_path, "sku,name\n"), "--account", "acc_nope")
