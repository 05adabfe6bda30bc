"""Taking units back out of an order line's reservations: released (a partial cancel) or
consumed (shipped, which also takes them off the shelf with `shipped` movements)."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F, Sum
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


@dataclass
class LineTake:
    order_line_id: int
    units: dict[int, int]  # product id → units
    warehouse_id: int | None = None  # only reservations in this warehouse
    reference: str = ""  # the package, for `shipped` movements


def take_from_lines(
    *, account_id: int, takes: list[LineTake], ship: bool = False, actor: str = ""
) -> Taken:
    """Take each LineTake's units out of its order line's active reservations (in its
    warehouse, when given), newest first, splitting a reservation when only part of it goes.
    Released units return to available; with `ship` they leave on_hand too, writing one
    `shipped` movement per bin and reference. Every stock level involved is locked once, in pk
    order, before anything changes."""
    return _take(account_id, takes, ship, actor)


@atomic_with_retry
def _take(account_id, takes: list[LineTake], ship, actor) -> Taken:
    now = timezone.now()
    base = Reservation.objects.filter(
        account_id=account_id,
        order_line_id__in={t.order_line_id for t in takes},
        status=Reservation.ACTIVE,
    )
    warehouses = {t.warehouse_id for t in takes}
    if None not in warehouses:
        base = base.filter(warehouse_id__in=warehouses)
    level_ids = set(base.values_list("stock_level_id", flat=True))
    levels = {level.pk: level for level in lock_levels(level_ids)}
    rows = list(base.filter(stock_level_id__in=level_ids).order_by("-pk"))
    reserved_delta: dict[int, int] = defaultdict(int)
    on_hand_delta: dict[tuple[int, str], int] = defaultdict(int)
    taken: dict[tuple[int, int], int] = defaultdict(int)
    status = Reservation.CONSUMED if ship else Reservation.RELEASED
    closed, splits = [], []
    for take in takes:
        for product_id, wanted in take.units.items():
            remaining = wanted
            for row in rows:
                if remaining == 0:
                    break
                if (
                    row.order_line_id != take.order_line_id
                    or row.product_id != product_id
                    or take.warehouse_id not in (None, row.warehouse_id)
                ):
                    continue
                part = min(row.quantity, remaining)
                if part == 0:
                    continue
                remaining -= part
                reserved_delta[row.stock_level_id] -= part
                if ship:
                    on_hand_delta[(row.stock_level_id, take.reference)] -= part
                taken[(product_id, row.warehouse_id)] += part
                if part == row.quantity:
                    closed.append((row.pk, take.reference if ship else ""))
                else:
                    # keep the history: the taken part becomes its own closed reservation
                    Reservation.objects.filter(pk=row.pk).update(quantity=F("quantity") - part)
                    splits.append(
                        Reservation(
                            account_id=account_id,
                            stock_level_id=row.stock_level_id,
                            product_id=product_id,
                            warehouse_id=row.warehouse_id,
                            order_line_id=take.order_line_id,
                            quantity=part,
                            reference=row.reference,
                            status=status,
                            consumed_by=take.reference if ship else "",
                            actor=actor,
                            closed_at=now,
                        )
                    )
                row.quantity -= part  # what is left of it for later takes in this call
            if remaining:
                raise NotReserved(
                    f"Only {wanted - remaining} of {wanted} units are reserved for this line.",
                    field="quantity",
                )
    by_reference: dict[str, list[int]] = defaultdict(list)
    for pk, reference in closed:
        by_reference[reference].append(pk)
    for reference, pks in by_reference.items():
        Reservation.objects.filter(pk__in=pks).update(
            status=status, closed_at=now, consumed_by=reference
        )
    Reservation.objects.bulk_create(splits)
    movements = []
    for (pk, reference), delta in sorted(on_hand_delta.items()):
        # one level may ship in several packages: each movement carries its own after-count
        apply_level_deltas(levels, on_hand={pk: delta}, reserved={pk: delta}, now=now)
        reserved_delta[pk] -= delta
        movements.append(
            StockMovement.of(levels[pk], delta, "shipped", reference=reference, actor=actor)
        )
    apply_level_deltas(levels, on_hand={}, reserved=reserved_delta, now=now)
    StockMovement.objects.bulk_create(movements)
    after_commit_changed(
        {(lv.account_id, lv.product_id, lv.warehouse_id) for lv in levels.values()},
        cause="shipped" if ship else "released",
        arrived=not ship,
        movements=movements,
    )
    return Taken(dict(taken), movements, sorted(levels))


def reserved_by_line(order_line_ids) -> dict[int, dict[int, int]]:
    """Active reserved units per order line and product (what a line actually holds)."""
    held: dict[int, dict[int, int]] = defaultdict(dict)
    rows = (
        Reservation.objects.filter(
            order_line_id__in=list(order_line_ids), status=Reservation.ACTIVE
        )
        .values("order_line_id", "product_id")
        .annotate(units=Sum("quantity"))
    )
    for row in rows:
        held[row["order_line_id"]][row["product_id"]] = row["units"]
    return held


def restore_shipped(*, account_id: int, reference: str, actor: str = "") -> list[int]:
    """Undo the shipment `reference` (a package whose label was voided before pickup): its
    consumed reservations become active again and their units return to on_hand, each bin
    writing a `ship_voided` movement. Locks the levels in pk order. Returns the level ids."""
    return _restore(account_id, reference, actor)


@atomic_with_retry
def _restore(account_id: int, reference: str, actor: str) -> list[int]:
    now = timezone.now()
    base = Reservation.objects.filter(
        account_id=account_id, status=Reservation.CONSUMED, consumed_by=reference
    )
    levels = {lv.pk: lv for lv in lock_levels(base.values_list("stock_level_id", flat=True))}
    rows = list(
        base.filter(stock_level_id__in=list(levels)).values_list("pk", "stock_level_id", "quantity")
    )
    back: dict[int, int] = defaultdict(int)
    for _, level_id, quantity in rows:
        back[level_id] += quantity
    apply_level_deltas(levels, on_hand=back, reserved=back, now=now)
    Reservation.objects.filter(pk__in=[pk for pk, _, _ in rows]).update(
        status=Reservation.ACTIVE, closed_at=None, consumed_by=""
    )
    movements = StockMovement.objects.bulk_create(
        [
            StockMovement.of(levels[pk], quantity, "ship_voided", reference=reference, actor=actor)
            for pk, quantity in sorted(back.items())
        ]
    )
    after_commit_changed(
        {(levels[pk].account_id, levels[pk].product_id, levels[pk].warehouse_id) for pk in back},
        cause="ship_voided",
        movements=movements,
    )
    return sorted(levels)
