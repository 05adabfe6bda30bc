"""Adjust and transfer forms: a scan field finds the product; "Look up stock" shows its on hand,
reserved and available per bin before anything moves."""

import pytest

from inventory.models import StockMovement

pytestmark = pytest.mark.django_db


def test_scan_then_look_up_then_adjust(operator, stock, other_stock):
    main = stock.warehouse("MAIN")
    tee = stock.product("TEE", barcode="0012345678905")
    b02 = stock.location(main, "B-02")
    stock.receive(tee, b02, 7)
    other_stock.product("TEE", barcode="0012345678905")  # same codes, another account

    looked = operator.post(
        "/admin/inventory/stocklevel/adjust/", {"scan": "0012345678905", "step": "lookup"}
    )
    assert looked.status_code == 200
    assert looked.context["product"] == tee
    assert [(str(lv.location), lv.on_hand, lv.available) for lv in looked.context["levels"]] == [
        ("MAIN/B-02", 7, 7)
    ]
    assert looked.context["form"].initial["product"] == tee.pk
    assert not StockMovement.objects.filter(reason="damaged").exists()  # nothing moved

    unknown = operator.post(
        "/admin/inventory/stocklevel/adjust/", {"scan": "NOPE", "step": "lookup"}
    )
    assert [str(m) for m in unknown.context["messages"]] == [
        "No product (or more than one) has SKU or barcode NOPE."
    ]

    done = operator.post(
        "/admin/inventory/stocklevel/adjust/",
        {"scan": "tee", "location": b02.pk, "quantity": -2, "reason": "damaged"},
    )
    assert done.status_code == 302
    movement = StockMovement.objects.get(reason="damaged")
    assert (movement.product, movement.quantity, movement.on_hand_after) == (tee, -2, 5)


def test_transfer_by_scan(operator, stock):
    main = stock.warehouse("MAIN")
    tee = stock.product("TEE")
    a01, b02 = stock.location(main, "A-01"), stock.location(main, "B-02")
    stock.receive(tee, a01, 4)
    response = operator.post(
        "/admin/inventory/stocklevel/transfer/",
        {"scan": "TEE", "from_location": a01.pk, "to_location": b02.pk, "quantity": 3},
    )
    assert response.status_code == 302
    looked = operator.post(
        "/admin/inventory/stocklevel/transfer/", {"scan": "TEE", "step": "lookup"}
    )
    levels = {str(lv.location): lv.on_hand for lv in looked.context["levels"]}
    assert levels == {"MAIN/A-01": 1, "MAIN/B-02": 3}
