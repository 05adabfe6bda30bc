from inventory.models import Reservation, StockLevel, StockMovement
from tests.helpers import assert_scope_matrix, error_of


def test_scope_matrix_on_every_inventory_endpoint(account, api, stock):
    wh = stock.warehouse()
    east = stock.warehouse("EAST")
    widget = stock.product("WIDGET")
    stock.receive(widget, wh, 100)
    rsv = api.post(
        "/v1/inventory/reserve", {"reference": "r", "items": [{"sku": "WIDGET", "quantity": 1}]}
    ).json()["reservations"][0]
    movement = StockMovement.objects.first()
    adjust = {"sku": "WIDGET", "warehouse_id": wh.public_id, "quantity": 1, "reason": "found"}
    transfer = {
        "sku": "WIDGET",
        "quantity": 1,
        "from_warehouse_id": wh.public_id,
        "to_warehouse_id": east.public_id,
    }
    hold = {"reference": "r", "items": [{"sku": "WIDGET", "quantity": 1}]}
    threshold = {"sku": "WIDGET", "warehouse_id": wh.public_id, "low_stock_threshold": 3}
    assert_scope_matrix(
        account,
        [
            ("GET", "/v1/inventory", None, "inventory:read"),
            ("GET", "/v1/inventory/movements", None, "inventory:read"),
            ("GET", f"/v1/inventory/movements/{movement.public_id}", None, "inventory:read"),
            ("GET", "/v1/inventory/reservations", None, "inventory:read"),
            ("GET", f"/v1/inventory/reservations/{rsv['id']}", None, "inventory:read"),
            ("GET", "/v1/inventory/thresholds", None, "inventory:read"),
            ("POST", "/v1/inventory/adjust", adjust, "inventory:write"),
            ("POST", "/v1/inventory/transfer", transfer, "inventory:write"),
            ("POST", "/v1/inventory/reserve", hold, "inventory:write"),
            ("POST", "/v1/inventory/release", {"reference": "r"}, "inventory:write"),
            ("POST", "/v1/inventory/thresholds", threshold, "inventory:write"),
        ],
    )


def test_another_accounts_stock_is_invisible_and_untouchable(api, other_api, stock, other_stock):
    their_wh = other_stock.warehouse()
    theirs = other_stock.product("THEIRS")
    other_stock.receive(theirs, their_wh, 10)
    their_rsv = other_api.post(
        "/v1/inventory/reserve", {"reference": "x", "items": [{"sku": "THEIRS", "quantity": 2}]}
    ).json()["reservations"][0]
    mine_wh = stock.warehouse()
    stock.product("MINE")
    levels = StockLevel.objects.order_by("pk").values_list("pk", "on_hand", "reserved")
    before = list(levels)

    assert api.get("/v1/inventory").json()["data"] == []
    assert api.get("/v1/inventory/movements").json()["data"] == []
    assert api.get("/v1/inventory/reservations").json()["data"] == []
    mov = StockMovement.objects.get(product=theirs)
    assert api.get(f"/v1/inventory/movements/{mov.public_id}").status_code == 404
    assert api.get(f"/v1/inventory/reservations/{their_rsv['id']}").status_code == 404
    attempts = [
        (
            "adjust",
            {"sku": "THEIRS", "warehouse_id": mine_wh.public_id, "quantity": -1, "reason": "lost"},
            "sku",
        ),
        (
            "adjust",
            {
                "product_id": theirs.public_id,
                "warehouse_id": mine_wh.public_id,
                "quantity": -1,
                "reason": "lost",
            },
            "product_id",
        ),
        (
            "adjust",
            {"sku": "MINE", "warehouse_id": their_wh.public_id, "quantity": 1, "reason": "found"},
            "warehouse_id",
        ),
        (
            "transfer",
            {
                "sku": "THEIRS",
                "quantity": 1,
                "from_warehouse_id": their_wh.public_id,
                "to_warehouse_id": mine_wh.public_id,
            },
            "sku",
        ),
        (
            "reserve",
            {"reference": "x", "items": [{"sku": "THEIRS", "quantity": 1}]},
            "items[0].sku",
        ),
        ("release", {"reservation_id": their_rsv["id"]}, "reservation_id"),
        (
            "thresholds",
            {"sku": "MINE", "warehouse_id": their_wh.public_id, "low_stock_threshold": 1},
            "warehouse_id",
        ),
    ]
    for action, body, field in attempts:
        response = api.post(f"/v1/inventory/{action}", body)
        assert response.status_code == 400, (action, response.content)
        assert error_of(response)["field"] == field
    # releasing by their reference from my account touches nothing
    assert api.post("/v1/inventory/release", {"reference": "x"}).json()["released"] == []
    assert (
        list(StockLevel.objects.order_by("pk").values_list("pk", "on_hand", "reserved")) == before
    )
    assert Reservation.objects.get().status == "active"
