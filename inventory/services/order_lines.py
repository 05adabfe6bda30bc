"""Taking units back out of an order line's reservations: released (a partial cancel) or
consumed (shipped, which also takes them off the shelf with `shipped` movements)."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from inventory.models import Reservation, StockMovement
from inventory.services.levels import after_commit_changed, apply_level_deltas, lock_levels
from vectis.db_retry import atomic_with_retry
from vectis.errors import Conflict


class NotReserved(Conflict):
    code = "not_reserved"
    default_message = "The order line has fewer reserved units than asked for."


@dataclass
class Taken:
    """What was taken: per (product, warehouse) units, the movements written (when shipped)."""

    units: dict[tuple[int, int], int]
    movements: list[StockMovement]
    level_ids: list[int]


def take_from_line(
    *,
    account_id: int,
    order_line_id: int,
    units: dict[int, int],
    warehouse_id: int | None = None,
    ship: bool = False,
    reference: str = "",
    actor: str = "",
) -> Taken:
    """Take `units` (product id → units) out of the line's active reservations (only those in
    `warehouse_id`, when given), newest first, splitting a reservation when only part of it
    goes. Released units return to available; with `ship`, they leave on_hand too, each bin
    writing a `shipped` movement with `reference`. Locks the levels in pk order."""
    return _take(account_id, order_line_id, units, warehouse_id, ship, reference, actor)


@atomic_with_retry
def _take(account_id, order_line_id, units, warehouse_id, ship, reference, actor) -> Taken:
    now = timezone.now()
    base = Reservation.objects.filter(
        account_id=account_id, order_line_id=order_line_id, status=Reservation.ACTIVE
    )
    if warehouse_id is not None:
        base = base.filter(warehouse_id=warehouse_id)
    level_ids = set(base.values_list("stock_level_id", flat=True))
    levels = {level.pk: level for level in lock_levels(level_ids)}
    rows = list(base.filter(stock_level_id__in=level_ids).order_by("-pk"))
    reserved_delta: dict[int, int] = defaultdict(int)
    on_hand_delta: dict[int, int] = defaultdict(int)
    taken: dict[tuple[int, int], int] = defaultdict(int)
    status = Reservation.CONSUMED if ship else Reservation.RELEASED
    closed, splits = [], []
    for product_id, wanted in units.items():
        remaining = wanted
        for row in (r for r in rows if r.product_id == product_id):
            if remaining == 0:
                break
            part = min(row.quantity, remaining)
            remaining -= part
            reserved_delta[row.stock_level_id] -= part
            if ship:
                on_hand_delta[row.stock_level_id] -= part
            taken[(product_id, row.warehouse_id)] += part
            if part == row.quantity:
                closed.append(row.pk)
            else:
                # keep the history: the taken part becomes its own closed reservation
                Reservation.objects.filter(pk=row.pk).update(quantity=F("quantity") - part)
                splits.append(
                    Reservation(
                        account_id=account_id,
                        stock_level_id=row.stock_level_id,
                        product_id=product_id,
                        warehouse_id=row.warehouse_id,
                        order_line_id=order_line_id,
                        quantity=part,
                        reference=row.reference,
                        status=status,
                        actor=actor,
                        closed_at=now,
                    )
                )
        if remaining:
            raise NotReserved(
                f"Only {wanted - remaining} of {wanted} units are reserved for this line.",
                field="quantity",
            )
    Reservation.objects.filter(pk__in=closed).update(status=status, closed_at=now)
    Reservation.objects.bulk_create(splits)
    apply_level_deltas(levels, on_hand=on_hand_delta, reserved=reserved_delta, now=now)
    movements = []
    if ship:
        movements = StockMovement.objects.bulk_create(
            [
                StockMovement(
                    account_id=account_id,
                    product_id=levels[pk].product_id,
                    warehouse_id=levels[pk].warehouse_id,
                    location_id=levels[pk].location_id,
                    quantity=delta,
                    on_hand_after=levels[pk].on_hand,
                    reason="shipped",
                    reference=reference,
                    actor=actor,
                )
                for pk, delta in sorted(on_hand_delta.items())
                if delta
            ]
        )
    after_commit_changed(
        {(lv.product_id, lv.warehouse_id) for lv in levels.values()}, arrived=not ship
    )
    return Taken(dict(taken), movements, sorted(levels))
