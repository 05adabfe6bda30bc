"""Every state change has its event. Each transition of each transition table (orders,
packages, returns) is walked and the event it must emit is asserted: its type, exactly once,
with a payload valid against the schema the OpenAPI `webhooks` section publishes for it.

Package and return transitions are each driven by the real operation that makes them (a
recipe per transition; a transition added to a table without a recipe fails the coverage
test). Order statuses change in one place (orders.services.history.transition), which emits
order.status_changed; every pair of the order table goes through it, and an integrator's walk
(hold, release, ship, void, deallocate) shows the specific events of those operations."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator

from orders import constants
from orders.models import Order, Package
from orders.services import set_status
from returns.models import Return
from tests.factories import order_body
from tests.helpers import warehouse_body
from webhooks import event_types
from webhooks.models import Event

pytestmark = pytest.mark.django_db

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)


def assert_valid(event: Event) -> None:
    """`event.data` against the payload schema of its type in the webhooks section."""
    body = SCHEMA["webhooks"][event.type]["post"]["requestBody"]["content"]["application/json"]
    schema = {"components": SCHEMA["components"], **body["schema"]["properties"]["data"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(event.data), key=str)
    assert not errors, (event.type, [e.message for e in errors[:3]])


def emitted_since(mark: int, type_: str) -> list[Event]:
    return list(Event.objects.filter(pk__gt=mark, type=type_).order_by("pk"))


def last_event_id() -> int:
    return Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def shop(api, stock, account):
    """A manual-allocation account with 50 WIDGET-BLU in MAIN."""
    account.auto_allocate = False
    account.save()
    stock.receive(stock.product("WIDGET-BLU"), stock.warehouse("MAIN"), 50)
    counter = iter(range(1, 10_000))

    class Shop:
        def order(self, quantity: int = 2) -> str:
            body = order_body(
                f"CAT-{next(counter)}", items=[{"sku": "WIDGET-BLU", "quantity": quantity}]
            )
            response = api.post("/v1/orders", body)
            assert response.status_code == 201, response.content
            return response.json()["id"]

        def allocated(self) -> str:
            order = self.order()
            assert api.post(f"/v1/orders/{order}/allocate").status_code == 200
            return order

        def package(self, order: str) -> str:
            (package,) = Package.objects.filter(order__public_id=order, status="pending")
            return package.public_id

        def shipped_package(self) -> tuple[str, str]:
            order = self.allocated()
            package = self.package(order)
            assert api.post(f"/v1/packages/{package}/ship").status_code == 200
            return order, package

        def track(self, package: str, status: str) -> None:
            body = {"status": status, "occurred_at": "2026-11-25T10:00:00Z"}
            response = api.post(f"/v1/packages/{package}/tracking", body)
            assert response.status_code == 200, response.content

        def requested_return(self) -> str:
            order, _ = self.shipped_package()
            line = {"sku": "WIDGET-BLU", "quantity": 1, "reason": "damaged"}
            response = api.post("/v1/returns", {"order_id": order, "lines": [line]})
            assert response.status_code == 201, response.content
            return response.json()["id"]

        def authorized_return(self) -> str:
            ret = self.requested_return()
            assert api.post(f"/v1/returns/{ret}/authorize", {}).status_code == 200
            return ret

        def received_return(self) -> str:
            ret = self.authorized_return()
            line = {
                "sku": "WIDGET-BLU",
                "quantity_received": 1,
                "condition": "new",
                "disposition": "restock",
            }
            assert api.post(f"/v1/returns/{ret}/receive", {"lines": [line]}).status_code == 200
            return ret

    return Shop()


def _post(api, path, body=None):
    response = api.post(path, body or {})
    assert response.status_code == 200, (path, response.content)


# (from, to) → (set up an object in `from`, returning its id; move it to `to`; the event)
PACKAGE_RECIPES = {
    ("pending", "shipped"): (
        lambda s, api: s.package(s.allocated()),
        lambda s, api, p: _post(api, f"/v1/packages/{p}/ship"),
        "package.shipped",
    ),
    ("pending", "cancelled"): (
        lambda s, api: s.package(s.allocated()),
        lambda s, api, p: _post(
            api,
            f"/v1/orders/{Package.objects.get(public_id=p).order.public_id}/cancel",
            {"reason": "customer asked"},
        ),
        "package.cancelled",
    ),
    ("shipped", "pending"): (
        lambda s, api: s.shipped_package()[1],
        lambda s, api, p: _post(api, f"/v1/packages/{p}/void"),
        "package.voided",
    ),
    ("shipped", "in_transit"): (
        lambda s, api: s.shipped_package()[1],
        lambda s, api, p: s.track(p, "in_transit"),
        "package.in_transit",
    ),
    ("shipped", "delivered"): (
        lambda s, api: s.shipped_package()[1],
        lambda s, api, p: s.track(p, "delivered"),
        "package.delivered",
    ),
    ("in_transit", "delivered"): (
        lambda s, api: (lambda p: (s.track(p, "in_transit"), p)[1])(s.shipped_package()[1]),
        lambda s, api, p: s.track(p, "delivered"),
        "package.delivered",
    ),
}

RETURN_RECIPES = {
    ("requested", "authorized"): (
        lambda s, api: s.requested_return(),
        lambda s, api, r: _post(api, f"/v1/returns/{r}/authorize"),
        "return.authorized",
    ),
    ("requested", "rejected"): (
        lambda s, api: s.requested_return(),
        lambda s, api, r: _post(api, f"/v1/returns/{r}/reject", {"reason": "outside policy"}),
        "return.rejected",
    ),
    ("requested", "cancelled"): (
        lambda s, api: s.requested_return(),
        lambda s, api, r: _post(api, f"/v1/returns/{r}/cancel"),
        "return.cancelled",
    ),
    ("authorized", "received"): (
        lambda s, api: s.authorized_return(),
        lambda s, api, r: _post(
            api,
            f"/v1/returns/{r}/receive",
            {
                "lines": [
                    {
                        "sku": "WIDGET-BLU",
                        "quantity_received": 1,
                        "condition": "new",
                        "disposition": "restock",
                    }
                ]
            },
        ),
        "return.received",
    ),
    ("authorized", "rejected"): (
        lambda s, api: s.authorized_return(),
        lambda s, api, r: _post(api, f"/v1/returns/{r}/reject", {"reason": "never sent"}),
        "return.rejected",
    ),
    ("authorized", "cancelled"): (
        lambda s, api: s.authorized_return(),
        lambda s, api, r: _post(api, f"/v1/returns/{r}/cancel"),
        "return.cancelled",
    ),
    ("received", "closed"): (
        lambda s, api: s.received_return(),
        lambda s, api, r: _post(api, f"/v1/returns/{r}/close"),
        "return.closed",
    ),
}


def _table_pairs(table) -> set[tuple[str, str]]:
    return {(a, b) for a, moves in table.items() for b in moves}


def test_every_transition_of_the_package_and_return_tables_has_a_recipe():
    assert set(PACKAGE_RECIPES) == _table_pairs(Package.TRANSITIONS)
    assert set(RETURN_RECIPES) == _table_pairs(Return.TRANSITIONS)


@pytest.mark.parametrize("transition", sorted(PACKAGE_RECIPES))
def test_each_package_transition_emits_its_event_once(shop, api, transition):
    prepare, move, event_type = PACKAGE_RECIPES[transition]
    package = prepare(shop, api)
    assert Package.objects.get(public_id=package).status == transition[0]
    mark = last_event_id()

    move(shop, api, package)

    assert Package.objects.get(public_id=package).status == transition[1]
    (event,) = emitted_since(mark, event_type)
    assert event.data["id"] == package and event.data["status"] == transition[1]
    assert_valid(event)


@pytest.mark.parametrize("transition", sorted(RETURN_RECIPES))
def test_each_return_transition_emits_its_event_once(shop, api, transition):
    prepare, move, event_type = RETURN_RECIPES[transition]
    ret = prepare(shop, api)
    assert Return.objects.get(public_id=ret).status == transition[0]
    mark = last_event_id()

    move(shop, api, ret)

    assert Return.objects.get(public_id=ret).status == transition[1]
    (event,) = emitted_since(mark, event_type)
    assert event.data["id"] == ret and event.data["status"] == transition[1]
    assert_valid(event)


@pytest.mark.parametrize(("from_status", "to_status"), sorted(_table_pairs(constants.TRANSITIONS)))
def test_each_order_transition_emits_status_changed_once(account, from_status, to_status):
    order = Order.objects.create(account=account, channel="c", external_id="x", status=from_status)
    mark = last_event_id()

    set_status(order, to_status, type="tested")

    (event,) = emitted_since(mark, "order.status_changed")
    assert event.data == {
        "order_id": order.public_id,
        "external_id": "x",
        "channel": "c",
        "from": from_status,
        "to": to_status,
        "cause": "tested",
    }
    assert_valid(event)


def test_an_integrators_walk_sees_every_step(shop, api):
    # hold → release → allocate → ship → void → deallocate, as the issue tried it
    order = shop.order()
    mark = last_event_id()
    _post(api, f"/v1/orders/{order}/hold", {"reason": "address check"})
    _post(api, f"/v1/orders/{order}/release_hold")
    _post(api, f"/v1/orders/{order}/allocate")
    package = shop.package(order)
    _post(api, f"/v1/packages/{package}/ship")
    _post(api, f"/v1/packages/{package}/void")
    _post(api, f"/v1/orders/{order}/deallocate")

    events = list(Event.objects.filter(pk__gt=mark).order_by("pk"))
    generic = ("order.status_changed", "inventory.available_changed")
    specific = [e.type for e in events if e.type not in generic]
    assert specific == [
        "order.held",
        "order.released",
        "package.created",
        "order.allocated",
        "package.shipped",
        "order.shipped",
        "package.voided",
        "package.cancelled",
        "order.deallocated",
    ]
    stock = [
        ([c["reason"] for c in e.data["causes"]], e.data["on_hand"], e.data["available"])
        for e in events
        if e.type == "inventory.available_changed"
    ]
    # 50 on hand; the order takes 2
    assert stock == [
        (["reserved"], 50, 48),
        (["shipped"], 48, 48),
        (["ship_voided"], 50, 48),
        (["released"], 50, 50),
    ]
    moves = [(e.data["from"], e.data["to"]) for e in events if e.type == "order.status_changed"]
    assert moves == [
        ("pending", "on_hold"),
        ("on_hold", "pending"),
        ("pending", "allocated"),
        ("allocated", "shipped"),
        ("shipped", "allocated"),
        ("allocated", "pending"),
    ]
    for event in events:
        assert_valid(event)
    # and the subscriber's last word on the order is where it is
    assert moves[-1][1] == Order.objects.get(public_id=order).status


def test_tracking_scans_and_warehouses_have_their_events(shop, api, stock):
    _, package = shop.shipped_package()
    mark = last_event_id()
    for status in ("out_for_delivery", "exception"):
        shop.track(package, status)
    scans = [e.type for e in Event.objects.filter(pk__gt=mark).order_by("pk")]
    assert scans == ["package.out_for_delivery", "package.exception"]

    mark = last_event_id()
    created = api.post("/v1/warehouses", warehouse_body("EAST", name="East"))
    assert created.status_code == 201, created.content
    warehouse = created.json()["id"]
    assert api.patch(f"/v1/warehouses/{warehouse}", {"name": "East 2"}).status_code == 200
    events = list(Event.objects.filter(pk__gt=mark).order_by("pk"))
    assert [(e.type, e.data["name"]) for e in events] == [
        ("warehouse.created", "East"),
        ("warehouse.updated", "East 2"),
    ]
    for event in events:
        assert_valid(event)


def test_every_event_type_has_a_payload_schema():
    for name in event_types.EVENT_TYPES:
        data = SCHEMA["webhooks"][name]["post"]["requestBody"]["content"]["application/json"]
        assert "$ref" in data["schema"]["properties"]["data"] or name == "ping", name


def test_the_docs_list_every_event_type():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    missing = [name for name in event_types.EVENT_TYPES if f"| `{name}` |" not in docs]
    assert missing == []
