import csv
import io
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


def test_skip_invalid_imports_the_valid_rows_and_reports_rejects_by_line(tmp_path, account):
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
        path,
        "--account",
        account.public_id,
        "--errors",
        str(errors_file),
        "--skip-invalid",
        "--no-progress",
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


# --- Unreadable input and all-or-nothing ------------------------------------------------------


def _write_bytes(tmp_path, data: bytes):
    path = tmp_path / "products.csv"
    path.write_bytes(data)
    return str(path)


def _csv_text(rows) -> str:
    buffer = StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _refused(*args) -> str:
    """Run the command expecting exit status 1; the message it ends with (stderr or stdout)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import_products", *args, "--no-progress", stdout=out, stderr=err)
    except CommandError as exc:
        assert exc.returncode == 1
        return str(exc)
    except SystemExit as exc:
        assert exc.code == 1
        return out.getvalue() + err.getvalue()
    raise AssertionError(f"the import succeeded: {out.getvalue()}")


@pytest.fixture
def existing(account):
    """One stored product that each refused file would update; the number of events so far."""
    services.product_create(account=account, data={"sku": "EXISTING", "name": "Old"})
    return Event.objects.count()


def _assert_unchanged(events_before: int):
    assert list(Product.objects.values_list("sku", "name")) == [("EXISTING", "Old")]
    assert Event.objects.count() == events_before


def test_invalid_utf8_at_line_5000_writes_nothing(tmp_path, account, existing):
    # given 4,998 good rows in five batches, then a bad byte on line 5,000
    rows = b"EXISTING,New\n" + b"".join(f"S-{i},Item {i}\n".encode() for i in range(4997))
    path = _write_bytes(tmp_path, b"sku,name\n" + rows + b"S-X,Caf\xe9\n")
    # when
    message = _refused(path, "--account", account.public_id)
    # then
    assert "line 5000" in message
    assert "UTF-8" in message
    _assert_unchanged(existing)


@pytest.mark.parametrize(
    "data,line",
    [
        (b"sku,na\xffme\nA,a\n", 1),  # in the header
        (b"sku,name\nA,\xff\n", 2),
        (b"sku,name\nA,a\nB,b\xc3", 3),  # a truncated sequence at the end of the file
        (b'sku,name,description\nA,a,"first\nsec\xe9ond"\nB,b,\n', 3),  # inside a quoted cell
        (b"sku,name\nA,\xc0\xaf\n", 2),  # overlong encoding of "/"
        (b"sku,name\nA,\xed\xa0\x80\n", 2),  # an encoded surrogate
        (b"sku,name\r\nA,a\r\nB,\x81\r\n", 3),  # CRLF line ends
    ],
)
def test_invalid_utf8_anywhere_names_the_line(tmp_path, account, existing, data, line):
    message = _refused(_write_bytes(tmp_path, data), "--account", account.public_id)
    assert f"line {line}" in message
    assert "UTF-8" in message
    _assert_unchanged(existing)


def test_utf16_file_is_refused(tmp_path, account, existing):
    path = _write_bytes(tmp_path, "sku,name\nA,a\n".encode("utf-16"))
    message = _refused(path, "--account", account.public_id)
    assert "line 1" in message
    assert "UTF-8" in message
    _assert_unchanged(existing)


def test_nul_byte_names_the_line(tmp_path, account, existing):
    path = _write_bytes(tmp_path, b"sku,name\nEXISTING,New\nA,a\x00b\n")
    message = _refused(path, "--account", account.public_id)
    assert "line 3" in message
    assert "NUL" in message
    _assert_unchanged(existing)


def test_cell_over_the_csv_field_limit(tmp_path, account, existing):
    text = "sku,name,description\nEXISTING,New,\nA,a," + "x" * 200_000 + "\n"
    message = _refused(_write(tmp_path, text), "--account", account.public_id)
    assert "line 3" in message
    assert "131,072" in message
    _assert_unchanged(existing)


def test_50_mb_field_is_refused_without_reading_it_whole(tmp_path, account, existing):
    path = tmp_path / "products.csv"
    with path.open("wb") as f:
        f.write(b"sku,name,description\nEXISTING,New,\nA,a,")
        chunk = b"x" * (1024 * 1024)
        for _ in range(50):
            f.write(chunk)
        f.write(b"\nB,b,\n")
    message = _refused(str(path), "--account", account.public_id)
    assert "line 3" in message
    assert "longer than" in message
    _assert_unchanged(existing)


def test_record_of_many_lines_over_the_limit(tmp_path, account, existing):
    # an unclosed quote on line 3 swallows the rest of the file into one cell
    text = 'sku,name,description\nEXISTING,New,\nA,a,"oops\n' + "B,b,\n" * 40_000
    message = _refused(_write(tmp_path, text), "--account", account.public_id)
    assert "starting at line 3" in message
    assert "quote not closed" in message
    _assert_unchanged(existing)


def test_unclosed_quote_at_end_of_file(tmp_path, account, existing):
    text = 'sku,name\nEXISTING,New\nA,"oops\nB,b\n'
    message = _refused(_write(tmp_path, text), "--account", account.public_id)
    assert "line 3" in message
    assert "quote" in message
    _assert_unchanged(existing)


@pytest.mark.parametrize("depth", [33, 30_000])
def test_deeply_nested_metadata_is_refused_without_recursion(tmp_path, account, existing, depth):
    metadata = "[" * depth + "]" * depth
    text = _csv_text([["sku", "name", "metadata"], ["EXISTING", "New", ""], ["A", "a", metadata]])
    message = _refused(_write(tmp_path, text), "--account", account.public_id)
    assert "line 3 (A): metadata:" in message
    assert "32 levels" in message
    _assert_unchanged(existing)


def test_metadata_nested_32_levels_is_accepted(tmp_path, account):
    metadata = '{"a": ' * 31 + "[1]" + "}" * 31
    text = _csv_text([["sku", "name", "metadata"], ["A", "a", metadata]])
    code, _ = _run(_write(tmp_path, text), "--account", account.public_id, "--no-progress")
    assert code == 0
    assert Product.objects.get(sku="A").metadata["a"]["a"]["a"] is not None


@pytest.mark.parametrize(
    "metadata,problem",
    [
        ('{"a": "' + "x" * 100_000 + '"}', "16 kB"),
        ('{"a": NaN}', "NaN"),
        ('{"a": 1e400}', "finite"),
        ('{"a": "\\u0000"}', "NUL"),
        ('{"a": "\\ud800"}', "surrogate"),
        ('{"a": 9223372036854775808}', "metadata int"),  # message cut in the summary
        ('{"a": [-9223372036854775809]}', "metadata int"),
        ('{"a": 1', "JSON"),
        ("[1, 2]", "object"),
    ],
)
def test_unusable_metadata_is_a_rejected_row(tmp_path, account, existing, metadata, problem):
    text = _csv_text([["sku", "name", "metadata"], ["EXISTING", "New", ""], ["A", "a", metadata]])
    message = _refused(_write(tmp_path, text), "--account", account.public_id)
    assert "line 3 (A): metadata:" in message
    assert problem in message
    _assert_unchanged(existing)


@pytest.mark.parametrize(
    "components",
    [
        "EXISTING:x",
        "EXISTING:1.5",
        "EXISTING:-1",
        "EXISTING:0",
        ":2",
        "EXISTING:1|",
        "EXISTING:\u0663",  # an Arabic-Indic digit: int() would take it
        "EXISTING:1_0",
        "EXISTING:" + "9" * 5000,
        "EXISTING:1:2",
        "|".join(f"C{i}:1" for i in range(51)),
    ],
)
def test_malformed_components_are_a_rejected_row(tmp_path, account, existing, components):
    text = _csv_text(
        [["sku", "name", "type", "components"], ["B", "b", "", ""], ["KIT", "k", "kit", components]]
    )
    message = _refused(_write(tmp_path, text), "--account", account.public_id)
    assert "line 3 (KIT): components" in message
    _assert_unchanged(existing)


def test_rejected_rows_write_nothing_by_default(tmp_path, account, existing):
    # given a file with good rows and two invalid ones
    path = _write(
        tmp_path,
        "sku,name,barcode\nA-1,Anchor,036000291452\nB-1,Bolt,036000291453\n"
        "EXISTING,New,\nbad sku,X,\n",
    )
    # when
    message = _refused(path, "--account", account.public_id)
    # then every rejected row is reported and nothing is written
    assert message.startswith("1 would be created, 1 would be updated, 2 rejected")
    assert "line 3 (B-1): barcode:" in message
    assert "line 5 (bad sku): sku:" in message
    assert "Nothing was imported" in message
    _assert_unchanged(existing)


def test_rejected_row_at_line_5000_writes_nothing(tmp_path, account, existing):
    rows = "EXISTING,New\n" + "".join(f"S-{i},Item {i}\n" for i in range(4997)) + "bad sku,X\n"
    message = _refused(_write(tmp_path, "sku,name\n" + rows), "--account", account.public_id)
    assert "line 5000 (bad sku): sku:" in message
    _assert_unchanged(existing)


def test_skip_invalid_with_an_unreadable_row_still_writes_nothing(tmp_path, account, existing):
    path = _write_bytes(tmp_path, b"sku,name\nEXISTING,New\nbad sku,x\nA,\xff\n")
    message = _refused(path, "--account", account.public_id, "--skip-invalid")
    assert "line 4" in message
    _assert_unchanged(existing)


def test_more_cells_than_columns_is_a_rejected_row(tmp_path, account, existing):
    message = _refused(
        _write(tmp_path, "sku,name\nEXISTING,New\nA,a,surplus\n"), "--account", account.public_id
    )
    assert "line 3 (A): 3 cells" in message
    _assert_unchanged(existing)


def test_value_the_database_cannot_store_names_the_row(tmp_path, account, existing):
    text = "sku,name,low_stock_threshold\nEXISTING,New,\nA,a,1\nB,b," + "9" * 30 + "\n"
    message = _refused(_write(tmp_path, text), "--account", account.public_id)
    assert "line 4" in message
    _assert_unchanged(existing)


def test_repeated_header_column_is_refused(tmp_path, account, existing):
    message = _refused(_write(tmp_path, "sku,name,name\nA,a,b\n"), "--account", account.public_id)
    assert "Repeated column(s): name" in message
    _assert_unchanged(existing)


def test_missing_file(tmp_path, account):
    message = _refused(str(tmp_path / "nope.csv"), "--account", account.public_id)
    assert "nope.csv" in message


def test_directory_instead_of_a_file(tmp_path, account):
    message = _refused(str(tmp_path), "--account", account.public_id)
    assert "directory" in message.lower()


def test_read_error_part_way_names_the_line(tmp_path, account, existing, monkeypatch):
    from vectis import csvimport

    class FailingDisk(io.RawIOBase):
        """Hands out one line per read, then fails like a disk would."""

        def __init__(self, lines):
            self.lines = list(lines)

        def readable(self):
            return True

        def readinto(self, buffer):
            if not self.lines:
                raise OSError(5, "Input/output error")
            data = self.lines.pop(0)
            buffer[: len(data)] = data
            return len(data)

    disk = FailingDisk([b"sku,name\n", b"EXISTING,New\n"])
    monkeypatch.setattr(csvimport, "_open", lambda path: io.BufferedReader(disk))
    message = _refused("products.csv", "--account", account.public_id)
    assert "line 3" in message
    assert "Input/output error" in message
    _assert_unchanged(existing)


def test_errors_file_that_cannot_be_written(tmp_path, account, existing):
    path = _write(tmp_path, "sku,name\nEXISTING,New\n")
    message = _refused(path, "--account", account.public_id, "--errors", str(tmp_path / "no/x.csv"))
    assert "x.csv" in message
    _assert_unchanged(existing)


def test_errors_file_must_not_be_the_input(tmp_path, account, existing):
    path = _write(tmp_path, "sku,name\nEXISTING,New\n")
    message = _refused(path, "--account", account.public_id, "--errors", path)
    assert "input" in message
    assert (tmp_path / "products.csv").read_text() == "sku,name\nEXISTING,New\n"
    _assert_unchanged(existing)
