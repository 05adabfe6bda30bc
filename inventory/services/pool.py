"""Reservable stock of many products at once: locked in one statement, reserved from in memory,
written back in two (one UPDATE of the levels, one INSERT of the reservations).

What is reservable, in one place: units on hand and not reserved in pickable, active bins of
active warehouses. Holds (`inventory.services.reservations.reserve`) and order allocation
(`orders.services.allocator`, many orders per transaction) both plan and write through a pool.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from inventory.models import Reservation, StockLevel
from inventory.services.levels import after_commit_changed, apply_level_deltas, expire_due

PartsOf = object  # Callable[[Product], list[tuple[int, int]]]: (stocked product id, per unit)


@dataclass(frozen=True)
class Take:
    """Units to reserve on one locked level, for an order line or a hold."""

    level_id: int
    quantity: int
    reference: str = ""
    order_line_id: int | None = None
    expires_at: datetime | None = None
    actor: str = ""


class StockPool:
    """The locked candidate levels of some products (of one or more accounts) and what is
    still available on each while reservations are planned."""

    def __init__(self, levels: list[StockLevel]):
        self.levels = {level.pk: level for level in levels}
        # pk → (product_id, warehouse_id, -priority, warehouse code, location code)
        self.meta = {
            level.pk: (
                level.product_id,
                level.warehouse_id,
                -level.warehouse.priority,
                level.warehouse.code,
                level.location.code,
            )
            for level in levels
        }
        self.warehouse_objects = {level.warehouse_id: level.warehouse for level in levels}
        self.reset()

    @classmethod
    def lock(cls, *, account_ids, product_ids) -> "StockPool":
        """Lock every candidate level of these products, in primary-key order (no-key locks:
        inserting reservations that refer to them still passes)."""
        levels = list(
            StockLevel.objects.select_for_update(no_key=True, of=("self",))
            .reservable()
            .filter(account_id__in=set(account_ids), product_id__in=set(product_ids))
            .select_related("warehouse", "location")
            .order_by("pk")
        )
        return cls(levels)

    def reset(self) -> None:
        """Forget what was planned: availability from the levels as they are."""
        self.available = {pk: lv.on_hand - lv.reserved for pk, lv in self.levels.items()}
        self.by_place: dict[tuple[int, int], list[int]] = defaultdict(list)
        for pk, meta in self.meta.items():
            self.by_place[meta[:2]].append(pk)

    def warehouses(self, account_id: int) -> list[int]:
        """Warehouses holding candidate stock for the account, highest priority first."""
        found = {
            (meta[2], meta[3], meta[1])
            for pk, meta in self.meta.items()
            if self.levels[pk].account_id == account_id
        }
        return [warehouse_id for *_, warehouse_id in sorted(found)]

    def snapshot(self, account_id: int) -> dict[tuple[int, int], int]:
        """Available units per (product, warehouse) of the account, as planned so far."""
        totals: dict[tuple[int, int], int] = defaultdict(int)
        for pk, meta in self.meta.items():
            if self.levels[pk].account_id == account_id:
                totals[meta[:2]] += self.available[pk]
        return dict(totals)

    def capacity(self, parts: list[tuple[int, int]], warehouse_id: int) -> int:
        return min(
            sum(self.available[pk] for pk in self.by_place.get((product_id, warehouse_id), ()))
            // per_unit
            for product_id, per_unit in parts
        )

    def take(self, product_id: int, warehouse_id: int, units: int) -> list[tuple[int, int]]:
        """Take units from the fullest bins first (fewest reservations), then by bin code."""
        taken = []
        places = sorted(
            self.by_place[(product_id, warehouse_id)],
            key=lambda pk: (-self.available[pk], self.meta[pk][4], pk),
        )
        for pk in places:
            if units == 0:
                break
            quantity = min(units, self.available[pk])
            if quantity > 0:
                self.available[pk] -= quantity
                units -= quantity
                taken.append((pk, quantity))
        if units != 0:  # capacity was checked before taking
            raise AssertionError("took more units than the pool had")
        return taken

    def plan(self, lines, parts_of, account_id: int) -> tuple[list[tuple[int, int, int]], list]:
        """(line index, level pk, quantity) takes and the units reserved per line, line by line:
        one warehouse that covers the whole line if any (highest priority first), else split
        across warehouses by priority. Kits take all their components from one warehouse.
        `lines` are ReserveLines; what is taken is no longer available to later plans."""
        takes, reserved = [], []
        for index, line in enumerate(lines):
            parts = parts_of(line.product)
            remaining = line.quantity
            if line.warehouse is not None:
                warehouses = [line.warehouse.pk]
            else:
                warehouses = self.warehouses(account_id)
            capacities = {w: self.capacity(parts, w) for w in warehouses}
            whole = next((w for w in warehouses if capacities[w] >= remaining), None)
            for warehouse_id in [whole] if whole is not None else warehouses:
                units = min(remaining, capacities[warehouse_id])
                if units <= 0:
                    continue
                for product_id, per_unit in parts:
                    for pk, quantity in self.take(product_id, warehouse_id, units * per_unit):
                        takes.append((index, pk, quantity))
                remaining -= units
                if remaining == 0:
                    break
            reserved.append(line.quantity - remaining)
        return takes, reserved

    def expire_lapsed(self, now: datetime | None = None) -> int:
        """Expire holds past their expiry on the locked levels; returns how many (the caller
        re-plans after `reset`)."""
        return expire_due(self.levels, now or timezone.now())

    def write(self, takes: list[Take], *, now: datetime | None = None) -> list[Reservation]:
        """Raise `reserved` on the levels (one UPDATE) and insert the reservations (one
        INSERT), in the order of `takes`."""
        now = now or timezone.now()
        by_level: dict[int, int] = defaultdict(int)
        for take in takes:
            by_level[take.level_id] += take.quantity
        apply_level_deltas(self.levels, on_hand={}, reserved=by_level, now=now)
        rows = Reservation.objects.bulk_create(
            [
                Reservation(
                    account_id=self.levels[take.level_id].account_id,
                    stock_level_id=take.level_id,
                    product_id=self.meta[take.level_id][0],
                    warehouse_id=self.meta[take.level_id][1],
                    quantity=take.quantity,
                    reference=take.reference,
                    expires_at=take.expires_at,
                    actor=take.actor,
                    order_line_id=take.order_line_id,
                )
                for take in takes
            ]
        )
        after_commit_changed(
            {(self.levels[pk].account_id, *self.meta[pk][:2]) for pk in by_level},
            cause="reserved",
        )
        return rows
