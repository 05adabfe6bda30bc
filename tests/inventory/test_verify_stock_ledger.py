import json
from io import StringIO

import pytest
from django.core.management import call_command

from inventory import services
from inventory.models import Reservation, StockLevel


def run(*args):
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("verify_stock_ledger", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def stocked(stock):
    wh = stock.warehouse()
    widget, gadget = stock.product("WIDGET"), stock.product("GADGET")
    stock.receive(widget, wh, 10)
    stock.receive(gadget, wh, 5)
    services.adjust(product=widget, location=stock.default(wh), reason="damaged", quantity=-2)
    services.reserve(
        account_id=stock.account.pk,
        lines=[services.ReserveLine(widget, 3)],
        reference="cart",
    )
    return widget, gadget


def test_a_consistent_ledger_passes(stocked):
    code, out, err = run()
    assert code == 0
    assert out == ""
    assert "2 stock levels checked, 0 mismatches" in err


def test_a_corrupted_on_hand_is_detected(stocked):
    widget, _ = stocked
    StockLevel.objects.filter(product=widget).update(on_hand=9)  # behind the services' back
    code, out, err = run("--fix-report")
    assert code == 1
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["kind"] == "ledger_sum"
    assert (record["sku"], record["actual"], record["expected"]) == ("WIDGET", 9, 8)
    assert "1 mismatches" in err


def test_a_corrupted_reserved_count_is_detected(stocked):
    _, gadget = stocked
    StockLevel.objects.filter(product=gadget).update(reserved=1)
    code, out, _ = run()
    assert code == 1
    assert out.strip() == (
        "MISMATCH reserved_sum: GADGET at "
        f"{StockLevel.objects.get(product=gadget).location.public_id}: 1 != 0"
    )


def test_a_reservation_closed_behind_the_services_back_is_detected(stocked):
    Reservation.objects.update(status="released")
    code, out, _ = run()
    assert code == 1
    assert "reserved_sum: WIDGET" in out


def test_account_filter(stocked, other_account):
    StockLevel.objects.update(on_hand=99)
    code, _, err = run("--account", other_account.public_id)
    assert code == 0
    assert "0 stock levels checked" in err
    assert run("--account", stocked[0].account.public_id)[0] == 1
    with pytest.raises(Exception, match="No account"):
        call_command("verify_stock_ledger", "--account", "acc_nope")
