import itertools

import pytest

from inventory.models import Reservation, StockLevel, StockMovement
from inventory.selectors import verify_ledger
from orders import constants
from orders.exceptions import InvalidStatusTransition
from orders.models import Order, Package
from orders.services import set_status
from tests.factories import order_body
from tests.helpers import error_of
from webhooks.models import Event


@pytest.fixture
def placed(api, stock, account):
    """A pending order for 2 WIDGET-BLU and 1 GADGET-RED, with 10 of each in MAIN."""
    account.auto_allocate = False
    account.save()
    wh = stock.warehouse("MAIN")
    for sku in ("WIDGET-BLU", "GADGET-RED"):
        stock.receive(stock.product(sku), wh, 10)
    order = api.post("/v1/orders", order_body()).json()
    return order["id"]


def totals():
    levels = StockLevel.objects.all()
    return sum(lv.on_hand for lv in levels), sum(lv.reserved for lv in levels)


def history(api, order_id):
    return [e["type"] for e in api.get(f"/v1/orders/{order_id}/events").json()["data"]]


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    list(itertools.product(constants.STATUSES, constants.STATUSES)),
)
def test_transition_table(from_status, to_status, account):
    order = Order.objects.create(account=account, channel="c", external_id="x", status=from_status)
    allowed = to_status in constants.TRANSITIONS[from_status]
    if allowed:
        set_status(order, to_status, type="test")
        assert Order.objects.get(pk=order.pk).status == to_status
        assert order.events.get().from_status == from_status
    else:
        with pytest.raises(InvalidStatusTransition) as refused:
            set_status(order, to_status, type="test")
        assert refused.value.extra == {"from_status": from_status, "to_status": to_status}
        assert Order.objects.get(pk=order.pk).status == from_status
        assert order.events.count() == 0


def test_full_cancel_releases_every_reservation(api, placed):
    api.post(f"/v1/orders/{placed}/allocate")
    assert totals() == (20, 3)
    response = api.post(f"/v1/orders/{placed}/cancel", {"reason": "customer asked"})
    assert response.status_code == 200, response.content
    order = response.json()
    assert order["status"] == "cancelled"
    assert [i["quantity_cancelled"] for i in order["items"]] == [2, 1]
    assert [i["quantity_allocated"] for i in order["items"]] == [0, 0]
    assert totals() == (20, 0)
    again = api.post(f"/v1/orders/{placed}/cancel")
    assert (again.status_code, error_of(again)["code"]) == (409, "already_cancelled")
    assert Event.objects.filter(type="order.cancelled").count() == 1


def test_partial_cancel_releases_exactly_the_cancelled_units(api, placed):
    api.post(f"/v1/orders/{placed}/allocate")
    response = api.post(
        f"/v1/orders/{placed}/cancel", {"items": [{"sku": "WIDGET-BLU", "quantity": 1}]}
    )
    assert response.status_code == 200, response.content
    order = response.json()
    assert order["status"] == "allocated"
    widget = order["items"][0]
    assert (widget["quantity_allocated"], widget["quantity_cancelled"]) == (1, 1)
    assert totals() == (20, 2)
    assert sorted(Reservation.objects.values_list("status", "quantity")) == [
        ("active", 1),
        ("active", 1),
        ("released", 1),
    ]
    too_many = api.post(
        f"/v1/orders/{placed}/cancel", {"items": [{"sku": "WIDGET-BLU", "quantity": 2}]}
    )
    assert (too_many.status_code, error_of(too_many)["field"]) == (409, "items[0].quantity")
    assert error_of(too_many)["code"] == "quantity_unavailable"
    assert totals() == (20, 2)
    assert verify_ledger()[1] == []


def test_ship_everything_allocated_decrements_on_hand(api, placed):
    api.post(f"/v1/orders/{placed}/allocate")
    response = api.post(f"/v1/orders/{placed}/ship")
    assert response.status_code == 200, response.content
    order = response.json()
    assert order["status"] == "shipped"
    assert [i["quantity_shipped"] for i in order["items"]] == [2, 1]
    assert totals() == (17, 0)
    package = Package.objects.get()
    shipped = StockMovement.objects.filter(reason="shipped")
    assert sorted(shipped.values_list("quantity", flat=True)) == [-2, -1]
    assert set(shipped.values_list("reference", flat=True)) == {package.public_id}
    assert set(Reservation.objects.values_list("status", flat=True)) == {"consumed"}
    assert Event.objects.filter(type="order.shipped").count() == 1
    assert verify_ledger()[1] == []
    assert history(api, placed) == ["created", "allocated", "shipped"]


def test_ship_a_given_package_partially(api, placed, stock):
    api.post(f"/v1/orders/{placed}/allocate")
    main = StockLevel.objects.first().warehouse
    response = api.post(
        f"/v1/orders/{placed}/ship",
        {
            "packages": [
                {
                    "warehouse_id": main.public_id,
                    "lines": [{"sku": "WIDGET-BLU", "quantity": 1}],
                    "carrier": "ups",
                    "tracking_number": "1Z999",
                }
            ]
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "partially_shipped"
    assert totals() == (19, 2)
    too_many = api.post(
        f"/v1/orders/{placed}/ship",
        {
            "packages": [
                {"warehouse_id": main.public_id, "lines": [{"sku": "WIDGET-BLU", "quantity": 2}]}
            ]
        },
    )
    assert (too_many.status_code, error_of(too_many)["code"]) == (409, "not_allocated")
    rest = api.post(f"/v1/orders/{placed}/ship")
    assert rest.json()["status"] == "shipped"
    assert Package.objects.count() == 2
    assert totals() == (17, 0)
    assert api.post(f"/v1/orders/{placed}/cancel").status_code == 409


def test_hold_and_release(api, placed):
    api.post(f"/v1/orders/{placed}/allocate")
    held = api.post(f"/v1/orders/{placed}/hold", {"reason": "fraud check"})
    assert held.status_code == 200, held.content
    assert (held.json()["status"], held.json()["hold_reason"]) == ("on_hold", "fraud check")
    assert totals() == (20, 3)  # reservations stay
    refused = api.post(f"/v1/orders/{placed}/ship")
    assert (refused.status_code, error_of(refused)["code"]) == (409, "invalid_status_transition")
    assert api.post(f"/v1/orders/{placed}/allocate").status_code == 409
    released = api.post(f"/v1/orders/{placed}/release_hold")
    assert released.json()["status"] == "allocated"
    assert api.post(f"/v1/orders/{placed}/release_hold").status_code == 409
    assert history(api, placed) == ["created", "allocated", "held", "released"]


def test_patch_fields_and_items(api, placed, stock):
    response = api.patch(
        f"/v1/orders/{placed}",
        {"notes": "leave at door", "ship_to": {"city": "Tempe"}, "sub_status": "awaiting"},
    )
    assert response.status_code == 200, response.content
    order = response.json()
    assert (order["notes"], order["ship_to"]["city"], order["ship_to"]["name"]) == (
        "leave at door",
        "Tempe",
        "John Doe",
    )
    line = order["items"][1]["id"]
    changed = api.patch(
        f"/v1/orders/{placed}",
        {
            "items": [
                {"line_id": line, "quantity": 0},
                {"sku": "WIDGET-BLU", "quantity": 1, "price": "1.00"},
            ]
        },
    ).json()
    assert [(i["sku"], i["quantity"]) for i in changed["items"]] == [
        ("WIDGET-BLU", 2),
        ("WIDGET-BLU", 1),
    ]
    assert changed["subtotal"] == "60.98"
    updated = [e.data["changed"] for e in Event.objects.filter(type="order.updated").order_by("id")]
    assert len(updated) == 2
    assert set(updated[0]) == {"notes", "sub_status", "ship_to"}
    assert updated[1] == ["items"]
    api.post(f"/v1/orders/{placed}/allocate")
    locked = api.patch(f"/v1/orders/{placed}", {"items": [{"sku": "GADGET-RED", "quantity": 1}]})
    assert (locked.status_code, error_of(locked)["code"], error_of(locked)["field"]) == (
        409,
        "field_locked",
        "items",
    )


def test_status_and_lookup_by_external_id(api, placed):
    status = api.get(f"/v1/orders/{placed}/status").json()
    assert set(status) == {"id", "status", "sub_status", "updated_at"}
    assert status["status"] == "pending"
    found = api.get("/v1/orders/by_external_id/shopify/SHOP-12345")
    assert found.status_code == 200 and found.json()["id"] == placed
    assert api.get("/v1/orders/by_external_id/shopify/NOPE").status_code == 404


def test_history_lists_every_step_in_order(api, placed):
    api.post(f"/v1/orders/{placed}/allocate")
    api.post(f"/v1/orders/{placed}/hold", {"reason": "address check"})
    api.post(f"/v1/orders/{placed}/release_hold")
    api.patch(f"/v1/orders/{placed}", {"notes": "gift wrap"})
    api.post(f"/v1/orders/{placed}/cancel", {"items": [{"sku": "GADGET-RED", "quantity": 1}]})
    api.post(f"/v1/orders/{placed}/ship")
    assert api.post(f"/v1/orders/{placed}/deliver").json()["status"] == "delivered"
    events = api.get(f"/v1/orders/{placed}/events").json()["data"]
    assert [(e["type"], e["to_status"]) for e in events] == [
        ("created", "pending"),
        ("allocated", "allocated"),
        ("held", "on_hold"),
        ("released", "allocated"),
        ("updated", "allocated"),
        ("note_added", "allocated"),
        ("line_cancelled", "allocated"),
        ("shipped", "shipped"),
        ("delivered", "delivered"),
    ]
    assert Package.objects.get().status == "delivered"
    assert Event.objects.filter(type="order.delivered").count() == 1
    refused = api.post(f"/v1/orders/{placed}/deliver")
    assert (refused.status_code, error_of(refused)["code"]) == (409, "invalid_status_transition")
