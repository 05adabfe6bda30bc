from inventory.models import StockLevel
from inventory.selectors import verify_ledger
from tests.factories import order_body
from tests.helpers import error_of


def test_kit_returns_restock_components_and_bad_inputs_are_4xx(api, stock, account):
    account.auto_allocate = False
    account.save()
    wh, other = stock.warehouse("MAIN"), stock.warehouse("OTHER")
    other_bin = stock.location(other, "B-1")
    mug, tote = stock.product("MUG"), stock.product("TOTE")
    stock.kit("GIFT", {"MUG": 1, "TOTE": 2})
    stock.receive(mug, wh, 5)
    stock.receive(tote, wh, 10)
    data = order_body(items=[{"sku": "GIFT", "quantity": 2}])
    order = api.post("/v1/orders", data).json()["id"]
    api.post(f"/v1/orders/{order}/allocate")
    api.post(f"/v1/orders/{order}/ship")
    ret = api.post(
        "/v1/returns",
        {"order_id": order, "lines": [{"sku": "GIFT", "quantity": 1, "reason": "other"}]},
    ).json()["id"]
    bad_refund = api.post(
        f"/v1/returns/{ret}/authorize", {"refund": {"amount": "1e20", "currency": "USD"}}
    )
    assert bad_refund.status_code == 400
    unknown = api.post(f"/v1/returns/{ret}/authorize", {"bogus": 1})
    assert (unknown.status_code, error_of(unknown)["field"]) == (400, "bogus")
    no_label = api.get(f"/v1/returns/{ret}/label")
    assert (no_label.status_code, error_of(no_label)["code"]) == (404, "label_not_found")
    assert api.post(f"/v1/returns/{ret}/authorize", {}).status_code == 200
    elsewhere = api.post(
        f"/v1/returns/{ret}/receive",
        {
            "lines": [
                {
                    "sku": "GIFT",
                    "quantity_received": 1,
                    "condition": "new",
                    "disposition": "restock",
                    "location_id": other_bin.public_id,
                }
            ]
        },
    )
    assert (elsewhere.status_code, error_of(elsewhere)["code"]) == (
        400,
        "location_not_in_warehouse",
    )
    ok = api.post(
        f"/v1/returns/{ret}/receive",
        {
            "lines": [
                {
                    "sku": "GIFT",
                    "quantity_received": 1,
                    "condition": "new",
                    "disposition": "restock",
                }
            ]
        },
    )
    assert ok.status_code == 200, ok.content
    # one kit back = 1 MUG + 2 TOTE on hand again
    assert sorted(
        StockLevel.objects.filter(warehouse=wh).values_list("product__sku", "on_hand")
    ) == [("MUG", 4), ("TOTE", 8)]
    assert verify_ledger()[1] == []
