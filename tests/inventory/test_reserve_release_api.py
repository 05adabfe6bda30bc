from datetime import timedelta

from django.utils import timezone

from inventory.models import Reservation, StockLevel
from inventory.services import expire_holds
from tests.helpers import error_of


def reserve(api, items, **extra):
    return api.post("/v1/inventory/reserve", {"reference": "cart-1", "items": items, **extra})


def totals(product):
    levels = StockLevel.objects.filter(product=product)
    return sum(lv.on_hand for lv in levels), sum(lv.reserved for lv in levels)


def test_reserve_holds_units_and_lists_the_reservations(api, stock):
    wh = stock.warehouse()
    widget = stock.product("WIDGET")
    stock.receive(widget, wh, 10)
    response = reserve(api, [{"sku": "WIDGET", "quantity": 3}], expires_in=600)
    assert response.status_code == 200, response.content
    body = response.json()
    (rsv,) = body["reservations"]
    assert rsv["id"].startswith("rsv_")
    assert (rsv["quantity"], rsv["status"], rsv["reference"]) == (3, "active", "cart-1")
    assert rsv["expires_at"] is not None
    assert body["shortfalls"] == []
    assert body["levels"][0]["available"] == 7
    assert totals(widget) == (10, 3)


def test_reserve_is_all_or_nothing_by_default(api, stock):
    wh = stock.warehouse()
    stock.receive(stock.product("A"), wh, 10)
    stock.receive(stock.product("B"), wh, 2)
    response = reserve(api, [{"sku": "A", "quantity": 5}, {"sku": "B", "quantity": 3}])
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "insufficient_stock"
    assert error["field"] == "items[1].quantity"
    assert error["shortfalls"] == [{"index": 1, "sku": "B", "requested": 3, "available": 2}]
    assert Reservation.objects.count() == 0
    assert sum(StockLevel.objects.values_list("reserved", flat=True)) == 0


def test_allow_partial_reserves_what_there_is_and_reports_the_shortfall(api, stock):
    wh = stock.warehouse()
    stock.receive(stock.product("A"), wh, 10)
    stock.receive(stock.product("B"), wh, 2)
    stock.product("C")  # no stock at all
    response = reserve(
        api,
        [{"sku": "A", "quantity": 5}, {"sku": "B", "quantity": 3}, {"sku": "C", "quantity": 1}],
        allow_partial=True,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted((r["sku"], r["quantity"]) for r in body["reservations"]) == [("A", 5), ("B", 2)]
    assert body["shortfalls"] == [
        {"index": 1, "sku": "B", "requested": 3, "reserved": 2, "shortfall": 1},
        {"index": 2, "sku": "C", "requested": 1, "reserved": 0, "shortfall": 1},
    ]


def test_one_warehouse_covers_a_line_when_it_can_else_split_by_priority(api, stock):
    big = stock.warehouse("BIG", priority=1)
    main = stock.warehouse("MAIN", priority=5)
    widget = stock.product("WIDGET")
    stock.receive(widget, main, 3)
    stock.receive(widget, big, 10)
    # MAIN (priority 5) cannot cover 8, BIG can: all 8 from BIG
    whole = reserve(api, [{"sku": "WIDGET", "quantity": 8}]).json()["reservations"]
    assert [(r["warehouse_id"], r["quantity"]) for r in whole] == [(big.public_id, 8)]
    # 4 left: 3 in MAIN, 2 in BIG → split, MAIN first
    split = reserve(api, [{"sku": "WIDGET", "quantity": 4}]).json()["reservations"]
    assert sorted((r["warehouse_id"], r["quantity"]) for r in split) == sorted(
        [(main.public_id, 3), (big.public_id, 1)]
    )


def test_a_line_can_be_pinned_to_a_warehouse(api, stock):
    east, west = stock.warehouse("EAST", priority=9), stock.warehouse("WEST")
    widget = stock.product("WIDGET")
    stock.receive(widget, east, 5)
    stock.receive(widget, west, 5)
    response = reserve(api, [{"sku": "WIDGET", "quantity": 2, "warehouse_id": west.public_id}])
    assert [r["warehouse_id"] for r in response.json()["reservations"]] == [west.public_id]
    refused = reserve(api, [{"sku": "WIDGET", "quantity": 6, "warehouse_id": west.public_id}])
    assert refused.status_code == 409


def test_non_pickable_bins_and_inactive_warehouses_are_never_reserved(api, stock):
    wh = stock.warehouse()
    quarantine = stock.location(wh, "QUARANTINE", pickable=False)
    closed = stock.warehouse("CLOSED")
    closed.active = False
    closed.save()
    widget = stock.product("WIDGET")
    stock.receive(widget, quarantine, 5)
    stock.receive(widget, closed, 5)
    response = reserve(api, [{"sku": "WIDGET", "quantity": 1}])
    assert response.status_code == 409
    assert error_of(response)["shortfalls"][0]["available"] == 0


def test_kits_reserve_their_components_together_from_one_warehouse(api, stock):
    east, west = stock.warehouse("EAST", priority=2), stock.warehouse("WEST", priority=1)
    cup, lid = stock.product("CUP"), stock.product("LID")
    stock.kit("CUP-SET", {"CUP": 2, "LID": 1})
    stock.receive(cup, east, 10)
    stock.receive(lid, east, 1)  # EAST can build 1 set
    stock.receive(cup, west, 4)
    stock.receive(lid, west, 5)  # WEST can build 2 sets
    response = reserve(api, [{"sku": "CUP-SET", "quantity": 2}])
    assert response.status_code == 200, response.content
    got = sorted(
        (r["sku"], r["warehouse_id"], r["quantity"]) for r in response.json()["reservations"]
    )
    assert got == [("CUP", west.public_id, 4), ("LID", west.public_id, 2)]
    # 1 set left (EAST); asking for 2 more fails as a whole, partial gives 1
    assert reserve(api, [{"sku": "CUP-SET", "quantity": 2}]).status_code == 409
    partial = reserve(api, [{"sku": "CUP-SET", "quantity": 2}], allow_partial=True).json()
    assert partial["shortfalls"] == [
        {"index": 0, "sku": "CUP-SET", "requested": 2, "reserved": 1, "shortfall": 1}
    ]
    assert sorted((r["sku"], r["quantity"]) for r in partial["reservations"]) == [
        ("CUP", 2),
        ("LID", 1),
    ]


def test_release_by_id_twice_is_a_no_op_the_second_time(api, stock):
    wh = stock.warehouse()
    widget = stock.product("WIDGET")
    stock.receive(widget, wh, 10)
    rsv = reserve(api, [{"sku": "WIDGET", "quantity": 4}]).json()["reservations"][0]
    first = api.post("/v1/inventory/release", {"reservation_id": rsv["id"]})
    assert first.status_code == 200, first.content
    assert [r["status"] for r in first.json()["released"]] == ["released"]
    assert totals(widget) == (10, 0)
    second = api.post("/v1/inventory/release", {"reservation_id": rsv["id"]})
    assert second.status_code == 200
    assert second.json()["released"] == []
    assert totals(widget) == (10, 0)
    unknown = api.post("/v1/inventory/release", {"reservation_id": "rsv_nope"})
    assert unknown.status_code == 400
    assert error_of(unknown)["field"] == "reservation_id"


def test_release_by_reference_releases_every_active_one(api, stock):
    wh = stock.warehouse()
    a, b = stock.product("A"), stock.product("B")
    stock.receive(a, wh, 5)
    stock.receive(b, wh, 5)
    reserve(api, [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}])
    api.post(
        "/v1/inventory/reserve", {"reference": "other", "items": [{"sku": "A", "quantity": 1}]}
    )
    response = api.post("/v1/inventory/release", {"reference": "cart-1"})
    assert sorted(r["sku"] for r in response.json()["released"]) == ["A", "B"]
    assert totals(a) == (5, 1)
    assert totals(b) == (5, 0)
    again = api.post("/v1/inventory/release", {"reference": "cart-1"})
    assert again.json()["released"] == []
    assert api.post("/v1/inventory/release", {}).status_code == 400


def test_expired_holds_stop_counting_at_once_and_are_swept(api, stock):
    wh = stock.warehouse()
    widget = stock.product("WIDGET")
    stock.receive(widget, wh, 5)
    reserve(api, [{"sku": "WIDGET", "quantity": 5}], expires_in=60)
    row = api.get("/v1/inventory", {"sku": "WIDGET"}).json()["data"][0]
    assert (row["reserved"], row["available"]) == (5, 0)
    # the hold lapses
    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    row = api.get("/v1/inventory", {"sku": "WIDGET"}).json()["data"][0]
    assert (row["reserved"], row["available"]) == (0, 5)
    listed = api.get("/v1/inventory/reservations", {"status": "expired"}).json()["data"]
    assert [r["status"] for r in listed] == ["expired"]
    # the periodic task releases it for good
    assert expire_holds() == 1
    assert Reservation.objects.get().status == "expired"
    assert totals(widget) == (5, 0)
    assert expire_holds() == 0


def test_a_reserve_takes_units_of_a_lapsed_hold_before_the_sweep(api, stock):
    wh = stock.warehouse()
    widget = stock.product("WIDGET")
    stock.receive(widget, wh, 5)
    reserve(api, [{"sku": "WIDGET", "quantity": 5}], expires_in=60)
    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.post(
        "/v1/inventory/reserve",
        {"reference": "cart-2", "items": [{"sku": "WIDGET", "quantity": 4}]},
    )
    assert response.status_code == 200, response.content
    statuses = dict(Reservation.objects.values_list("reference", "status"))
    assert statuses == {"cart-1": "expired", "cart-2": "active"}
    assert totals(widget) == (5, 4)


def test_reserve_validation(api, stock):
    wh = stock.warehouse()
    stock.receive(stock.product("WIDGET"), wh, 5)
    cases = [
        ({"items": [{"sku": "WIDGET", "quantity": 1}]}, "reference"),
        ({"reference": "r", "items": []}, "items"),
        ({"reference": "r", "items": [{"sku": "WIDGET", "quantity": 0}]}, "items[0].quantity"),
        ({"reference": "r", "items": [{"sku": "NOPE", "quantity": 1}]}, "items[0].sku"),
        ({"reference": "r", "items": [{"quantity": 1}]}, "items[0].sku"),
        (
            {"reference": "r", "items": [{"sku": "WIDGET", "quantity": 1, "warehouse_id": "wh_x"}]},
            "items[0].warehouse_id",
        ),
        (
            {"reference": "r", "items": [{"sku": "WIDGET", "quantity": 1}], "expires_in": 0},
            "expires_in",
        ),
    ]
    for body, field in cases:
        response = api.post("/v1/inventory/reserve", body)
        assert response.status_code == 400, (body, response.content)
        assert error_of(response)["field"] == field, body
    assert Reservation.objects.count() == 0
