from orders.models import Order
from tests.factories import order_body
from tests.helpers import assert_scope_matrix, error_of


def test_scope_matrix_on_the_order_endpoints(account, api, stock):
    wh = stock.warehouse()
    stock.receive(stock.product("WIDGET-BLU"), wh, 100)
    stock.receive(stock.product("GADGET-RED"), wh, 100)
    account.auto_allocate = False
    account.save()
    orders = {
        name: api.post("/v1/orders", order_body(name)).json()["id"]
        for name in (
            "read",
            "alloc",
            "dealloc",
            "hold",
            "unhold",
            "cancel",
            "ship",
            "patch",
            "deliver",
            "bulkc",
        )
    }
    api.post(f"/v1/orders/{orders['dealloc']}/allocate")
    api.post(f"/v1/orders/{orders['ship']}/allocate")
    api.post(f"/v1/orders/{orders['unhold']}/hold", {"reason": "x"})
    api.post(f"/v1/orders/{orders['deliver']}/allocate")
    api.post(f"/v1/orders/{orders['deliver']}/ship")
    read = orders["read"]
    assert_scope_matrix(
        account,
        [
            ("GET", "/v1/orders", None, "orders:read"),
            ("GET", f"/v1/orders/{read}", None, "orders:read"),
            ("GET", f"/v1/orders/{read}/events", None, "orders:read"),
            ("GET", f"/v1/orders/{read}/status", None, "orders:read"),
            ("GET", "/v1/orders/by_external_id/shopify/read", None, "orders:read"),
            # the refused calls change nothing, so each state needs one order
            ("POST", "/v1/orders", order_body("SCOPE-1"), "orders:write"),
            ("POST", "/v1/orders/bulk", {"orders": [order_body("SCOPE-2")]}, "orders:write"),
            ("PATCH", f"/v1/orders/{orders['patch']}", {"notes": "n"}, "orders:write"),
            ("POST", f"/v1/orders/{orders['alloc']}/allocate", None, "orders:write"),
            ("POST", f"/v1/orders/{orders['dealloc']}/deallocate", None, "orders:write"),
            ("POST", f"/v1/orders/{orders['hold']}/hold", {"reason": "r"}, "orders:write"),
            ("POST", f"/v1/orders/{orders['unhold']}/release_hold", None, "orders:write"),
            ("POST", f"/v1/orders/{orders['cancel']}/cancel", {}, "orders:write"),
            ("POST", f"/v1/orders/{orders['ship']}/ship", {}, "orders:write"),
            ("POST", f"/v1/orders/{orders['deliver']}/deliver", None, "orders:write"),
            (
                "POST",
                "/v1/orders/cancel_bulk",
                {"order_ids": [orders["bulkc"]]},
                "orders:write",
            ),
        ],
    )


def test_another_accounts_orders_are_404_and_unreachable(api, other_api, stock, other_stock):
    other_stock.product("WIDGET-BLU")
    other_stock.product("GADGET-RED")
    theirs = other_api.post("/v1/orders", order_body("THEIRS")).json()
    for path in (f"/v1/orders/{theirs['id']}", f"/v1/orders/{theirs['id']}/events"):
        assert api.get(path).status_code == 404
    for action in ("allocate", "deallocate", "hold", "release_hold", "cancel", "ship", "deliver"):
        response = api.post(f"/v1/orders/{theirs['id']}/{action}", {"reason": "x"})
        assert response.status_code == 404, action
    assert api.patch(f"/v1/orders/{theirs['id']}", {"notes": "x"}).status_code == 404
    assert api.get(f"/v1/orders/{theirs['id']}/status").status_code == 404
    assert api.get("/v1/orders/by_external_id/shopify/THEIRS").status_code == 404
    cancel = api.post("/v1/orders/cancel_bulk", {"order_ids": [theirs["id"]]}).json()
    assert cancel["results"][0]["error"]["code"] == "not_found"
    assert api.get("/v1/orders").json()["data"] == []
    for action in ("reserve", "release"):
        response = api.post(f"/v1/inventory/{action}", {"order_id": theirs["id"]})
        assert (response.status_code, error_of(response)["field"]) == (400, "order_id")
    # my catalog lacks their SKUs: my order with them is refused
    assert api.post("/v1/orders", order_body("MINE")).status_code == 400
    assert Order.objects.count() == 1
