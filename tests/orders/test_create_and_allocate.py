import pytest

from inventory.models import Reservation, StockLevel
from orders.models import Order
from tests.factories import order_body
from tests.helpers import error_of
from webhooks.models import Event


@pytest.fixture
def manual(account):
    """Allocation by API call only (no background auto-allocation)."""
    account.auto_allocate = False
    account.save()
    return account


def test_the_reference_body_creates_a_pending_order(api, stock, manual):
    stock.product("WIDGET-BLU")
    stock.product("GADGET-RED")
    response = api.post("/v1/orders", order_body())
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["id"].startswith("ord_")
    assert (order["external_id"], order["status"]) == ("SHOP-12345", "pending")
    assert [(i["sku"], i["quantity"], i["price"]) for i in order["items"]] == [
        ("WIDGET-BLU", 2, "29.99"),
        ("GADGET-RED", 1, "49.99"),
    ]
    assert (order["subtotal"], order["total"]) == ("109.97", "109.97")
    assert Event.objects.filter(type="order.created").count() == 1


def test_unknown_sku_matches_the_reference_error(api, stock, manual):
    stock.product("GADGET-RED")
    response = api.post("/v1/orders", order_body())
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["message"] == "Invalid SKU: WIDGET-BLU not found"
    assert error["field"] == "items[0].sku"
    assert Order.objects.count() == 0


def test_duplicate_external_id_is_409_naming_the_existing_order(api, stock, manual):
    stock.product("WIDGET-BLU")
    stock.product("GADGET-RED")
    first = api.post("/v1/orders", order_body()).json()
    again = api.post("/v1/orders", order_body())
    assert again.status_code == 409
    error = error_of(again)
    assert (error["code"], error["order_id"]) == ("duplicate_order", first["id"])
    assert first["id"] in error["message"]
    assert Order.objects.count() == 1


def test_reserve_and_release_by_order_id(api, stock, manual):
    wh = stock.warehouse()
    blue, red = stock.product("WIDGET-BLU"), stock.product("GADGET-RED")
    stock.receive(blue, wh, 5)
    stock.receive(red, wh, 1)
    order = api.post("/v1/orders", order_body()).json()

    reserved = api.post("/v1/inventory/reserve", {"order_id": order["id"]})
    assert reserved.status_code == 200, reserved.content
    result = reserved.json()
    assert result["order"]["status"] == "allocated"
    assert sorted((r["sku"], r["quantity"], r["order_id"]) for r in result["reservations"]) == [
        ("GADGET-RED", 1, order["id"]),
        ("WIDGET-BLU", 2, order["id"]),
    ]
    assert [i["quantity_allocated"] for i in result["order"]["items"]] == [2, 1]
    # a second reserve has nothing left to do
    again = api.post("/v1/inventory/reserve", {"order_id": order["id"]}).json()
    assert again["reservations"] == [] and again["order"]["status"] == "allocated"
    # an order's reservation is not released on its own
    one = result["reservations"][0]["id"]
    refused = api.post("/v1/inventory/release", {"reservation_id": one})
    assert (refused.status_code, error_of(refused)["code"]) == (409, "reserved_for_order")

    released = api.post("/v1/inventory/release", {"order_id": order["id"]})
    assert released.status_code == 200, released.content
    assert len(released.json()["released"]) == 2
    assert set(Reservation.objects.values_list("status", flat=True)) == {"released"}
    assert sum(StockLevel.objects.values_list("reserved", flat=True)) == 0
    fresh = api.get(f"/v1/orders/{order['id']}").json()
    assert fresh["status"] == "pending"
    assert [i["quantity_allocated"] for i in fresh["items"]] == [0, 0]
    # releasing again is a no-op
    assert api.post("/v1/inventory/release", {"order_id": order["id"]}).json()["released"] == []


def test_reserving_an_order_beyond_stock_backorders_the_rest(api, stock, manual):
    wh = stock.warehouse()
    blue, red = stock.product("WIDGET-BLU"), stock.product("GADGET-RED")
    stock.receive(blue, wh, 1)
    stock.receive(red, wh, 1)
    order = api.post("/v1/orders", order_body()).json()
    result = api.post("/v1/inventory/reserve", {"order_id": order["id"]}).json()
    assert result["order"]["status"] == "partially_allocated"
    assert result["shortfalls"] == [
        {"index": 0, "sku": "WIDGET-BLU", "requested": 2, "reserved": 1, "shortfall": 1}
    ]
    assert Event.objects.filter(type="order.backordered").count() == 1


def test_reserving_listed_items_of_an_order(api, stock, manual):
    east, west = stock.warehouse("EAST", priority=5), stock.warehouse("WEST")
    blue, red = stock.product("WIDGET-BLU"), stock.product("GADGET-RED")
    stock.receive(blue, east, 5)
    stock.receive(blue, west, 5)
    stock.receive(red, east, 5)
    order = api.post("/v1/orders", order_body()).json()
    result = api.post(
        "/v1/inventory/reserve",
        {
            "order_id": order["id"],
            "items": [{"sku": "WIDGET-BLU", "quantity": 2, "warehouse_id": west.public_id}],
        },
    ).json()
    assert [(r["sku"], r["warehouse_id"]) for r in result["reservations"]] == [
        ("WIDGET-BLU", west.public_id)
    ]
    assert result["order"]["status"] == "partially_allocated"
    bad = api.post(
        "/v1/inventory/reserve",
        {"order_id": order["id"], "items": [{"sku": "NOPE", "quantity": 1}]},
    )
    assert (bad.status_code, error_of(bad)["field"]) == (400, "items[0].sku")
    unknown = api.post("/v1/inventory/reserve", {"order_id": "ord_nope"})
    assert (unknown.status_code, error_of(unknown)["field"]) == (400, "order_id")


def test_whole_order_from_one_warehouse_when_one_can_fill_it(api, stock, manual):
    main = stock.warehouse("MAIN", priority=9)
    big = stock.warehouse("BIG", priority=1)
    blue, red = stock.product("WIDGET-BLU"), stock.product("GADGET-RED")
    stock.receive(blue, main, 5)  # MAIN has no GADGET-RED
    stock.receive(blue, big, 5)
    stock.receive(red, big, 5)
    order = api.post("/v1/orders", order_body()).json()
    response = api.post(f"/v1/orders/{order['id']}/allocate")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "allocated"
    assert set(Reservation.objects.values_list("warehouse__code", flat=True)) == {"BIG"}
    history = api.get(f"/v1/orders/{order['id']}/events").json()["data"]
    assert [(e["type"], e["to_status"]) for e in history] == [
        ("created", "pending"),
        ("allocated", "allocated"),
    ]


def test_auto_allocation_runs_after_commit(api, stock, django_capture_on_commit_callbacks):
    wh = stock.warehouse()
    stock.receive(stock.product("WIDGET-BLU"), wh, 5)
    stock.receive(stock.product("GADGET-RED"), wh, 5)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/v1/orders", order_body())
    assert created.json()["status"] == "pending"  # as in the reference
    assert api.get(f"/v1/orders/{created.json()['id']}").json()["status"] == "allocated"
    assert Event.objects.filter(type="order.allocated").count() == 1


def test_split_across_warehouses_when_none_can_fill_the_order(api, stock, manual):
    east = stock.warehouse("EAST", priority=9)
    west = stock.warehouse("WEST", priority=1)
    blue, red = stock.product("WIDGET-BLU"), stock.product("GADGET-RED")
    stock.receive(blue, east, 1)
    stock.receive(blue, west, 5)
    stock.receive(red, east, 1)
    order = api.post("/v1/orders", order_body()).json()
    response = api.post(f"/v1/orders/{order['id']}/allocate")
    assert response.json()["status"] == "allocated"
    placed = sorted(Reservation.objects.values_list("product__sku", "warehouse__code", "quantity"))
    # WIDGET-BLU x 2: WEST alone covers it (EAST has 1); GADGET-RED only in EAST
    assert placed == [("GADGET-RED", "EAST", 1), ("WIDGET-BLU", "WEST", 2)]


def test_kit_lines_reserve_components_together(api, stock, manual):
    wh = stock.warehouse()
    cup, lid = stock.product("CUP"), stock.product("LID")
    stock.kit("CUP-SET", {"CUP": 2, "LID": 1})
    stock.receive(cup, wh, 5)
    stock.receive(lid, wh, 5)
    data = order_body()
    data["items"] = [{"sku": "CUP-SET", "quantity": 3, "price": 10}]
    order = api.post("/v1/orders", data).json()
    allocated = api.post(f"/v1/orders/{order['id']}/allocate").json()
    # 5 cups make 2 sets: 2 of 3 allocated, both parts reserved together
    assert allocated["status"] == "partially_allocated"
    assert allocated["items"][0]["quantity_allocated"] == 2
    assert sorted(Reservation.objects.values_list("product__sku", "quantity")) == [
        ("CUP", 4),
        ("LID", 2),
    ]
    shipped = api.post(f"/v1/orders/{order['id']}/ship").json()
    assert shipped["items"][0]["quantity_shipped"] == 2
    assert sorted(StockLevel.objects.values_list("product__sku", "on_hand")) == [
        ("CUP", 1),
        ("LID", 3),
    ]


def test_allocation_uses_as_few_warehouses_as_it_can(api, stock, manual):
    # A (top priority) has only L1; B has L1 and L2; C has L3. By priority alone the order
    # would come from A, B and C; two warehouses (B and C) are enough.
    a = stock.warehouse("A", priority=9)
    b = stock.warehouse("B", priority=5)
    c = stock.warehouse("C", priority=1)
    one, two, three = stock.product("L1"), stock.product("L2"), stock.product("L3")
    stock.receive(one, a, 5)
    stock.receive(one, b, 5)
    stock.receive(two, b, 5)
    stock.receive(three, c, 5)
    data = order_body()
    data["items"] = [{"sku": s, "quantity": 1} for s in ("L1", "L2", "L3")]
    order = api.post("/v1/orders", data).json()
    assert api.post(f"/v1/orders/{order['id']}/allocate").json()["status"] == "allocated"
    assert sorted(Reservation.objects.values_list("product__sku", "warehouse__code")) == [
        ("L1", "B"),
        ("L2", "B"),
        ("L3", "C"),
    ]


def lowest_priority_first(account_id, wanted):
    """A custom strategy: every line from the lowest-priority warehouse."""
    from warehouses.models import Warehouse

    last = Warehouse.objects.filter(account_id=account_id).order_by("priority").first()
    return {line.pk: last.pk for line, _ in wanted}


def test_the_allocation_strategy_is_pluggable(api, stock, manual, settings):
    high, low = stock.warehouse("HIGH", priority=9), stock.warehouse("LOW", priority=1)
    blue, red = stock.product("WIDGET-BLU"), stock.product("GADGET-RED")
    for wh in (high, low):
        stock.receive(blue, wh, 5)
        stock.receive(red, wh, 5)
    settings.VECTIS_ALLOCATION_STRATEGY = (
        "tests.orders.test_create_and_allocate.lowest_priority_first"
    )
    order = api.post("/v1/orders", order_body()).json()
    assert api.post(f"/v1/orders/{order['id']}/allocate").json()["status"] == "allocated"
    assert set(Reservation.objects.values_list("warehouse__code", flat=True)) == {"LOW"}
