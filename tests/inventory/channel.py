"""A channel for the tests: random stock operations of every kind through the API, and a
subscriber that keeps its own available-per-SKU map from events (and a snapshot) alone."""

import random
from datetime import timedelta

from django.utils import timezone

from inventory.services.reservations import expire_holds
from orders.models import Package
from tests.factories import order_body

EVENT = "inventory.available_changed"

Counts = tuple[int, int, int]  # on_hand, reserved, available


def inventory(api) -> dict[tuple[str, str], Counts]:
    """GET /v1/inventory, every page, by (SKU, warehouse id)."""
    rows, page = {}, 1
    while True:
        response = api.get("/v1/inventory", {"per_page": 100, "page": page})
        assert response.status_code == 200, response.content
        body = response.json()
        for row in body["data"]:
            rows[(row["sku"], row["warehouse_id"])] = (
                row["on_hand"],
                row["reserved"],
                row["available"],
            )
        if page >= body["meta"]["total_pages"]:
            return rows
        page += 1


class Channel:
    """What a shop or marketplace shows: counts per (SKU, warehouse), from events only."""

    def __init__(self):
        self.seen: dict[tuple[str, str], Counts] = {}

    def apply(self, data: dict) -> None:
        key = (data["sku"], data["warehouse_id"])
        self.seen[key] = (data["on_hand"], data["reserved"], data["available"])

    def agrees_with(self, actual: dict[tuple[str, str], Counts]) -> bool:
        """Every row the inventory shows, and nothing (or an emptied row) that it does not."""
        shown = {k: v for k, v in self.seen.items() if k in actual}
        gone = all(v == (0, 0, 0) for k, v in self.seen.items() if k not in actual)
        return shown == actual and gone


class Operations:
    """Random operations on three SKUs and a kit of two of them in the given warehouses; a
    refused operation (too little stock, say) changes nothing, as it should."""

    skus = ("A", "B", "C")

    def __init__(self, api, warehouses, seed: int, *, prefix: str = ""):
        self.api, self.warehouses = api, warehouses
        self.rng = random.Random(seed)
        self.prefix = prefix
        self.orders: list[str] = []
        self.holds: list[str] = []
        self.done: dict[str, int] = {}
        self.kinds = [self.adjust] * 6 + [
            self.transfer,
            self.hold,
            self.release_hold,
            self.expiring_hold,
            self.expire,
            self.order,
            self.order,
            self.ship,
            self.void,
            self.cancel,
            self.deallocate,
        ]

    def run(self, operation=None) -> None:
        operation = operation or self.rng.choice(self.kinds)
        operation()
        self.done[operation.__name__] = self.done.get(operation.__name__, 0) + 1

    @property
    def names(self) -> set[str]:
        return {op.__name__ for op in self.kinds}

    def adjust(self):
        sku, wh = self.rng.choice(self.skus), self.rng.choice(self.warehouses)
        quantity = self.rng.choice([5, 10, 20, -1, -3])
        body = {"sku": sku, "warehouse_id": wh.public_id, "quantity": quantity}
        self.api.post("/v1/inventory/adjust", {**body, "reason": "other"})

    def transfer(self):
        src, dst = self.rng.sample(self.warehouses, 2)
        body = {"sku": self.rng.choice(self.skus), "quantity": self.rng.randint(1, 4)}
        body |= {"from_warehouse_id": src.public_id, "to_warehouse_id": dst.public_id}
        self.api.post("/v1/inventory/transfer", body)

    def hold(self):
        reference = f"{self.prefix}cart-{self.rng.random()}"
        items = [{"sku": self.rng.choice(self.skus), "quantity": self.rng.randint(1, 3)}]
        reserved = self.api.post("/v1/inventory/reserve", {"reference": reference, "items": items})
        if reserved.status_code == 200:
            self.holds.append(reference)

    def release_hold(self):
        if self.holds:
            reference = self.holds.pop(self.rng.randrange(len(self.holds)))
            self.api.post("/v1/inventory/release", {"reference": reference})

    def expiring_hold(self):
        reference = f"{self.prefix}lapse-{self.rng.random()}"
        items = [{"sku": self.rng.choice(self.skus), "quantity": 1}]
        body = {"reference": reference, "items": items, "expires_in": 3600}
        self.api.post("/v1/inventory/reserve", body)

    def expire(self):
        # as the sweep would in two hours: no hold lapses by the wall clock during a walk
        # (the listing ignores a lapsed hold at once; its event comes with the sweep)
        expire_holds(now=timezone.now() + timedelta(hours=2))

    def order(self):
        items = [{"sku": self.rng.choice([*self.skus, "KIT"]), "quantity": self.rng.randint(1, 2)}]
        reference = f"{self.prefix}SIM-{self.rng.random()}"
        created = self.api.post("/v1/orders", order_body(reference, items=items))
        if created.status_code == 201:
            self.orders.append(created.json()["id"])
            self.api.post(f"/v1/orders/{self.orders[-1]}/allocate")

    def ship(self):
        pending = Package.objects.filter(status="pending", order__public_id__in=self.orders)
        pending = list(pending[:3])
        if pending:
            self.api.post(f"/v1/packages/{self.rng.choice(pending).public_id}/ship")

    def void(self):
        shipped = Package.objects.filter(status="shipped", order__public_id__in=self.orders)
        shipped = list(shipped[:3])
        if shipped:
            self.api.post(f"/v1/packages/{self.rng.choice(shipped).public_id}/void")

    def cancel(self):
        if self.orders:
            self.api.post(f"/v1/orders/{self.rng.choice(self.orders)}/cancel", {"reason": "sim"})

    def deallocate(self):
        if self.orders:
            self.api.post(f"/v1/orders/{self.rng.choice(self.orders)}/deallocate")

    def last_holds(self):
        """A hold on each SKU that then lapses: only the expiry's event tells the channel."""
        for sku in self.skus:
            body = {"sku": sku, "warehouse_id": self.warehouses[0].public_id, "quantity": 1}
            self.api.post("/v1/inventory/adjust", {**body, "reason": "other"})
            items = [{"sku": sku, "quantity": 1}]
            body = {"reference": f"{self.prefix}last-{sku}", "items": items, "expires_in": 3600}
            assert self.api.post("/v1/inventory/reserve", body).status_code == 200
        self.expire()
