import pytest

from inventory.models import LowStockRule
from webhooks.models import Event


@pytest.fixture
def api(api, django_capture_on_commit_callbacks):
    """Runs after-commit work (the low-stock check) as a committed request would."""

    class Committing:
        def __init__(self, inner):
            self.inner = inner

        def post(self, *args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return self.inner.post(*args, **kwargs)

        def get(self, *args, **kwargs):
            return self.inner.get(*args, **kwargs)

    return Committing(api)


def low_stock_events():
    return list(Event.objects.filter(type="inventory.low_stock").order_by("id"))


def adjust(api, wh, quantity):
    response = api.post(
        "/v1/inventory/adjust",
        {"sku": "WIDGET", "warehouse_id": wh.public_id, "quantity": quantity, "reason": "other"},
    )
    assert response.status_code == 200, response.content


def test_low_stock_fires_once_per_crossing(api, stock):
    wh = stock.warehouse()
    stock.product("WIDGET", low_stock_threshold=5)
    # available after each step:      10    6    5    3    8   4   2   5
    fired = []
    for delta in (10, -4, -1, -2, 5, -4, -2, 3):
        adjust(api, wh, delta)
        fired.append(len(low_stock_events()))
    #               10 6 5 3 8 4 2 5
    assert fired == [0, 0, 1, 1, 1, 2, 2, 2]
    first, second = low_stock_events()
    assert first.data["available"] == 5
    assert first.data["threshold"] == 5
    assert first.data["sku"] == "WIDGET"
    assert first.data["warehouse_id"] == wh.public_id
    assert second.data["available"] == 4


def test_reservations_count_towards_low_stock(api, stock):
    wh = stock.warehouse()
    stock.product("WIDGET", low_stock_threshold=2)
    adjust(api, wh, 10)
    api.post(
        "/v1/inventory/reserve", {"reference": "r", "items": [{"sku": "WIDGET", "quantity": 8}]}
    )
    assert [e.data["available"] for e in low_stock_events()] == [2]
    api.post("/v1/inventory/release", {"reference": "r"})
    assert LowStockRule.objects.get().is_low is False


def test_each_warehouse_crosses_on_its_own_with_an_override(api, stock):
    main, east = stock.warehouse("MAIN"), stock.warehouse("EAST")
    stock.product("WIDGET", low_stock_threshold=5)
    response = api.post(
        "/v1/inventory/thresholds",
        {"sku": "WIDGET", "warehouse_id": east.public_id, "low_stock_threshold": 1},
    )
    assert response.status_code == 200, response.content
    assert response.json()["low_stock_threshold"] == 1
    adjust(api, main, 4)  # 4 ≤ 5 in MAIN
    adjust(api, east, 4)  # 4 > 1 in EAST
    assert [e.data["warehouse_id"] for e in low_stock_events()] == [main.public_id]
    adjust(api, east, -3)  # 1 ≤ 1 in EAST
    assert [e.data["warehouse_id"] for e in low_stock_events()] == [
        main.public_id,
        east.public_id,
    ]
    listed = api.get("/v1/inventory/thresholds").json()["data"]
    assert [(r["warehouse_id"], r["low_stock_threshold"], r["is_low"]) for r in listed] == [
        (east.public_id, 1, True)
    ]
    # clearing the override falls back to the product's 5: still low, no new event
    api.post(
        "/v1/inventory/thresholds",
        {"sku": "WIDGET", "warehouse_id": east.public_id, "low_stock_threshold": None},
    )
    assert len(low_stock_events()) == 2
    assert api.get("/v1/inventory/thresholds").json()["data"] == []


def test_no_threshold_no_event(api, stock):
    wh = stock.warehouse()
    stock.product("WIDGET")
    adjust(api, wh, 1)
    adjust(api, wh, -1)
    assert low_stock_events() == []


def test_adjusted_event_for_every_adjust_and_transfer(api, stock):
    main, east = stock.warehouse("MAIN"), stock.warehouse("EAST")
    stock.product("WIDGET")
    adjust(api, main, 7)
    api.post(
        "/v1/inventory/transfer",
        {
            "sku": "WIDGET",
            "quantity": 2,
            "from_warehouse_id": main.public_id,
            "to_warehouse_id": east.public_id,
        },
    )
    events = [e.data for e in Event.objects.filter(type="inventory.adjusted").order_by("id")]
    assert [(e["warehouse_id"], e["delta"], e["reason"], e["on_hand"]) for e in events] == [
        (main.public_id, 7, "other", 7),
        (main.public_id, -2, "transfer", 5),
        (east.public_id, 2, "transfer", 2),
    ]
    assert events[1]["reference"] == events[2]["reference"]
    assert {"movement_id", "product_id", "sku", "location_id", "reserved", "available"} <= set(
        events[0]
    )
