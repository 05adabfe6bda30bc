"""Builders the tests share: rows made through the services (`Stock`, `staff`) and request
bodies (`order_body`). Fixtures built on them are in tests/fixtures.py."""

import copy

from django.contrib.auth.models import User

from catalog import services as catalog
from inventory import services
from vectis.accounts.models import Membership
from warehouses import services as warehouses
from warehouses.models import Location
from webhooks import services as webhooks
from webhooks.models import Delivery, Event

REFERENCE_ORDER = {
    "external_id": "SHOP-12345",
    "channel": "shopify",
    "items": [
        {"sku": "WIDGET-BLU", "quantity": 2, "price": 29.99},
        {"sku": "GADGET-RED", "quantity": 1, "price": 49.99},
    ],
    "ship_to": {
        "name": "John Doe",
        "address1": "123 Main St",
        "city": "Phoenix",
        "state": "AZ",
        "postal_code": "85001",
        "country": "US",
    },
}


def order_body(external_id: str | None = None, *, items=None, **overrides) -> dict:
    """The reference order (two lines of WIDGET-BLU and GADGET-RED, external id SHOP-12345),
    with `external_id`, `items` and any other top-level field replaced when given."""
    body = copy.deepcopy(REFERENCE_ORDER)
    if external_id is not None:
        body["external_id"] = external_id
    if items is not None:
        body["items"] = copy.deepcopy(items)
    body.update(copy.deepcopy(overrides))
    return body


class Stock:
    """Builds catalog and warehouse rows through their services, and moves stock."""

    def __init__(self, account):
        self.account = account

    def warehouse(self, code: str = "MAIN", priority: int = 0):
        return warehouses.warehouse_create(
            account=self.account,
            data={"code": code, "name": code, "address": {}, "priority": priority},
        )

    def location(self, warehouse, code: str, pickable: bool = True):
        return warehouses.location_create(
            warehouse=warehouse, data={"code": code, "pickable": pickable}
        )

    def product(self, sku: str, **fields):
        return catalog.product_create(
            account=self.account, data={"sku": sku, "name": sku, **fields}
        )

    def kit(self, sku: str, components: dict[str, int]):
        return self.product(
            sku,
            type="kit",
            components=[{"sku": s, "quantity": q} for s, q in components.items()],
        )

    @staticmethod
    def default(warehouse) -> Location:
        return Location.objects.get(warehouse=warehouse, is_default=True)

    def receive(self, product, where, quantity: int):
        location = where if isinstance(where, Location) else self.default(where)
        return services.adjust(
            product=product, location=location, reason="received", quantity=quantity
        )


def staff(client, memberships: dict, username: str | None = None) -> User:
    """A staff user with `memberships` ({account: role}), logged in on `client`; named
    u-<role> unless told."""
    name = username or "u-" + "-".join(memberships.values())
    user = User.objects.create_user(name, password="pw", is_staff=True)
    for account, role in memberships.items():
        Membership.objects.create(user=user, account=account, role=role)
    client.force_login(user)
    return user


def undelivered(account, events: int, monkeypatch) -> list[tuple[int, int]]:
    """(delivery id, 1) for the deliveries of `events` new events, fanned out but not
    attempted yet (their attempts are not queued), in id order."""
    created = [
        Event.objects.create(account=account, type="order.created", data={"n": n})
        for n in range(events)
    ]
    with monkeypatch.context() as patch:
        patch.setattr(webhooks.queue, "enqueue_attempts", lambda *args, **kwargs: None)
        webhooks.fan_out_many([e.pk for e in created])
    pks = Delivery.objects.filter(event__in=created).order_by("pk").values_list("pk", flat=True)
    return [(pk, 1) for pk in pks]
