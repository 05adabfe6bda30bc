import csv
import io

import pytest
from django.core.management.base import CommandError

from inventory import services
from tests.commands.helpers import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def low(stock, other_stock):
    """Acme: WIDGET (threshold 5) has 4 in MAIN and 9 in EAST; GADGET (no threshold) has 1;
    BOLT's threshold is overridden to 10 in EAST, where it has 10. Globex: WIDGET 0 of 3...
    well, 2 on hand with threshold 3."""
    main, east = stock.warehouse("MAIN"), stock.warehouse("EAST")
    widget = stock.product("WIDGET", low_stock_threshold=5)
    stock.receive(widget, main, 4)
    stock.receive(widget, east, 9)
    stock.receive(stock.product("GADGET"), main, 1)
    bolt = stock.product("BOLT", low_stock_threshold=1)
    stock.receive(bolt, east, 10)
    services.set_threshold(product=bolt, warehouse=east, threshold=10)
    theirs = other_stock.product("WIDGET", low_stock_threshold=3)
    other_stock.receive(theirs, other_stock.warehouse("MAIN"), 2)


def test_every_account_in_text(low):
    ran = run("low_stock_report")
    assert [line.split() for line in ran.lines] == [
        ["account", "sku", "warehouse", "on_hand", "reserved", "available", "threshold"],
        ["Acme", "BOLT", "EAST", "10", "0", "10", "10"],
        ["Acme", "WIDGET", "MAIN", "4", "0", "4", "5"],
        ["Globex", "WIDGET", "MAIN", "2", "0", "2", "3"],
    ]
    assert ran.err == "3 row(s) at or below their threshold\n"


def test_one_account_and_warehouse_as_csv(low):
    ran = run("low_stock_report", "--account", "Acme", "--warehouse", "MAIN", "--format", "csv")
    assert list(csv.reader(io.StringIO(ran.out))) == [
        ["account", "sku", "warehouse", "on_hand", "reserved", "available", "threshold"],
        ["Acme", "WIDGET", "MAIN", "4", "0", "4", "5"],
    ]


def test_an_empty_report_is_fine(stock):
    stock.receive(stock.product("WIDGET", low_stock_threshold=1), stock.warehouse(), 5)
    ran = run("low_stock_report", "--format", "csv")
    assert ran.lines == ["account,sku,warehouse,on_hand,reserved,available,threshold"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "Nobody"], "No account with id or name 'Nobody'"),
        (["--account", "Acme", "--warehouse", "WEST"], "No warehouse with code 'WEST' in account"),
        (["--format", "xml"], "invalid choice: 'xml'"),
    ],
)
def test_bad_arguments_are_refused(low, args, message):
    with pytest.raises(CommandError, match=message):
        run("low_stock_report", *args)
