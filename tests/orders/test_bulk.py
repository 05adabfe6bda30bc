from orders.models import Order
from tests.factories import order_body


def body(external_id, sku="WIDGET-BLU"):
    data = order_body(external_id, items=[{"sku": sku, "quantity": 1}])
    return data


def test_bulk_create_reports_each_order(api, stock):
    stock.product("WIDGET-BLU")
    api.post("/v1/orders", body("DUP"))
    bad_ship_to = body("BAD-ADDR")
    del bad_ship_to["ship_to"]["city"]
    response = api.post(
        "/v1/orders/bulk",
        {
            "orders": [
                body("OK-1"),
                body("NOSKU", sku="NOPE"),
                body("DUP"),
                bad_ship_to,
                body("OK-2"),
            ]
        },
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [
        (0, "created"),
        (1, "error"),
        (2, "error"),
        (3, "error"),
        (4, "created"),
    ]
    assert results[1]["error"] == {
        "code": "validation_error",
        "message": "Invalid SKU: NOPE not found",
        "field": "items[0].sku",
    }
    assert results[2]["error"]["code"] == "duplicate_order"
    assert results[3]["error"]["field"] == "ship_to.city"
    assert set(Order.objects.values_list("external_id", flat=True)) == {"DUP", "OK-1", "OK-2"}
    too_many = api.post("/v1/orders/bulk", {"orders": [body(f"X-{i}") for i in range(101)]})
    assert too_many.status_code == 400


def test_cancel_bulk(api, stock):
    stock.product("WIDGET-BLU")
    a = api.post("/v1/orders", body("A")).json()["id"]
    b = api.post("/v1/orders", body("B")).json()["id"]
    api.post(f"/v1/orders/{b}/cancel")
    response = api.post(
        "/v1/orders/cancel_bulk", {"order_ids": [a, b, "ord_nope"], "reason": "test"}
    )
    assert response.status_code == 200, response.content
    assert [
        (r["order_id"], r["status"], r.get("error", {}).get("code"))
        for r in response.json()["results"]
    ] == [
        (a, "cancelled", None),
        (b, "error", "already_cancelled"),
        ("ord_nope", "error", "not_found"),
    ]
