"""Reservations: reserve available units (all-or-nothing or partial), release them, expire holds."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from catalog.models import Product
from catalog.selectors import stock_parts
from inventory.exceptions import InsufficientStock
from inventory.models import Reservation, StockLevel
from inventory.services.levels import (
    after_commit_changed,
    apply_level_deltas,
    close_reservations,
    expire_due,
    lock_levels,
)
from vectis.db_retry import atomic_with_retry
from warehouses.models import Warehouse


@dataclass
class ReserveLine:
    product: Product  # simple, or a kit (its components are reserved together)
    quantity: int
    warehouse: Warehouse | None = None  # None: any active warehouse, by priority
    order_line_id: int | None = None  # the order line the units are for, if any


@dataclass
class LineResult:
    index: int
    product: Product
    requested: int
    reserved: int = 0  # units of the line's product (kits count whole kits)
    reservations: list[Reservation] = field(default_factory=list)
    order_line_id: int | None = None

    @property
    def shortfall(self) -> int:
        return self.requested - self.reserved


@dataclass
class ReserveResult:
    lines: list[LineResult]
    level_ids: list[int]

    @property
    def reservations(self) -> list[Reservation]:
        return [r for line in self.lines for r in line.reservations]

    @property
    def shortfalls(self) -> list[LineResult]:
        return [line for line in self.lines if line.shortfall]


@dataclass
class ReleaseResult:
    released: list[Reservation]
    level_ids: list[int]


class _Pool:
    """Available units of the locked candidate levels while a reservation is planned."""

    def __init__(self, levels: dict[int, StockLevel], meta: dict[int, tuple]):
        # meta: level pk → (product_id, warehouse_id, -priority, warehouse code, location code)
        self.meta = meta
        self.available = {pk: level.on_hand - level.reserved for pk, level in levels.items()}
        self.by_place: dict[tuple[int, int], list[int]] = defaultdict(list)
        for pk in levels:
            product_id, warehouse_id = meta[pk][:2]
            self.by_place[(product_id, warehouse_id)].append(pk)
        self.warehouses = [
            w for *_, w in sorted({(m[2], m[3], m[1]) for pk, m in meta.items() if pk in levels})
        ]

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


def _plan(lines, parts_of, pool: _Pool) -> tuple[list[tuple[int, int, int]], list[int]]:
    """Decide the (line index, level pk, quantity) takes and the units reserved per line, line by
    line: one warehouse that covers the whole line if any (highest priority first), else split
    across warehouses by priority. Kits take all their components from the same warehouse."""
    takes, reserved = [], []
    for index, line in enumerate(lines):
        parts = parts_of(line.product)
        remaining = line.quantity
        warehouses = [line.warehouse.pk] if line.warehouse else pool.warehouses
        capacities = {w: pool.capacity(parts, w) for w in warehouses}
        whole = next((w for w in warehouses if capacities[w] >= remaining), None)
        for warehouse_id in [whole] if whole is not None else warehouses:
            units = min(remaining, capacities[warehouse_id])
            if units <= 0:
                continue
            for product_id, per_unit in parts:
                for pk, quantity in pool.take(product_id, warehouse_id, units * per_unit):
                    takes.append((index, pk, quantity))
            remaining -= units
            if remaining == 0:
                break
        reserved.append(line.quantity - remaining)
    return takes, reserved


def reserve(
    *,
    account_id: int,
    lines: list[ReserveLine],
    reference: str = "",
    expires_at: datetime | None = None,
    allow_partial: bool = False,
    actor: str = "",
) -> ReserveResult:
    """Reserve available units in pickable bins of active warehouses. Locks every candidate stock
    level of the lines' products in pk order, plans under the lock, then raises `reserved` with
    one conditional UPDATE per level. All-or-nothing (409 insufficient_stock) unless
    `allow_partial`, which reserves what there is and reports each line's shortfall."""
    parts = stock_parts(line.product for line in lines)

    def parts_of(product: Product) -> list[tuple[int, int]]:
        return parts.get(product.pk, [])

    return _reserve(
        account_id=account_id,
        lines=lines,
        parts_of=parts_of,
        reference=reference,
        expires_at=expires_at,
        allow_partial=allow_partial,
        actor=actor,
    )


@atomic_with_retry
def _reserve(
    *, account_id, lines, parts_of, reference, expires_at, allow_partial, actor
) -> ReserveResult:
    now = timezone.now()
    product_ids = {pid for line in lines for pid, _ in parts_of(line.product)}
    meta = {
        pk: (product_id, warehouse_id, -priority, wh_code, loc_code)
        for pk, product_id, warehouse_id, priority, wh_code, loc_code in StockLevel.objects.filter(
            account_id=account_id,
            product_id__in=product_ids,
            location__pickable=True,
            location__active=True,
            warehouse__active=True,
        ).values_list(
            "pk",
            "product_id",
            "warehouse_id",
            "warehouse__priority",
            "warehouse__code",
            "location__code",
        )
    }
    levels = {level.pk: level for level in lock_levels(meta)}
    takes, reserved = _plan(lines, parts_of, _Pool(levels, meta))
    short = any(got < line.quantity for got, line in zip(reserved, lines, strict=True))
    # Holds past their expiry still count in `reserved` until expired; free them and retry.
    if short and expire_due(levels, now):
        takes, reserved = _plan(lines, parts_of, _Pool(levels, meta))
    results = [
        LineResult(i, line.product, line.quantity, got, order_line_id=line.order_line_id)
        for i, (line, got) in enumerate(zip(lines, reserved, strict=True))
    ]
    short = [r for r in results if r.shortfall]
    if short and not allow_partial:
        raise _insufficient(short)

    by_level: dict[int, int] = defaultdict(int)
    for _, pk, quantity in takes:
        by_level[pk] += quantity
    apply_level_deltas(levels, on_hand={}, reserved=by_level, now=now)
    rows = Reservation.objects.bulk_create(
        [
            Reservation(
                account_id=account_id,
                stock_level_id=pk,
                product_id=meta[pk][0],
                warehouse_id=meta[pk][1],
                quantity=quantity,
                reference=reference,
                expires_at=expires_at,
                actor=actor,
                order_line_id=lines[index].order_line_id,
            )
            for index, pk, quantity in takes
        ]
    )
    for (index, _, _), row in zip(takes, rows, strict=True):
        results[index].reservations.append(row)
    after_commit_changed({meta[pk][:2] for pk in by_level})
    return ReserveResult(results, sorted(by_level))


def _insufficient(short: list[LineResult]) -> InsufficientStock:
    details, shortfalls = [], []
    for line in short:
        shortfalls.append(
            {
                "index": line.index,
                "sku": line.product.sku,
                "requested": line.requested,
                "available": line.reserved,
            }
        )
        details.append(
            {
                "field": f"items[{line.index}].quantity",
                "code": "insufficient_stock",
                "message": (
                    f"Only {line.reserved} of {line.requested} units of {line.product.sku} "
                    "are available."
                ),
            }
        )
    first = details[0]
    return InsufficientStock(
        first["message"], field=first["field"], details=details, extra={"shortfalls": shortfalls}
    )


def release(
    *,
    account_id: int,
    reservation_ids=None,
    reference: str | None = None,
    order_line_ids=None,
) -> ReleaseResult:
    """Release active reservations (by ids, reference or order lines). Locks their stock levels
    in pk order; reservations already released, consumed or expired are left alone (a no-op).
    Order lines' allocated counts are the orders app's to adjust (orders.services)."""
    match = Q(account_id=account_id, status=Reservation.ACTIVE)
    if reservation_ids is not None:
        match &= Q(pk__in=list(reservation_ids))
    if reference is not None:
        match &= Q(reference=reference)
    if order_line_ids is not None:
        match &= Q(order_line_id__in=list(order_line_ids))
    else:
        # An order's reservations go with the order (orders.services.order_deallocate), so
        # that its lines' allocated counts stay true.
        match &= Q(order_line__isnull=True)
    if reservation_ids is None and reference is None and order_line_ids is None:
        raise ValueError("release needs reservation ids, a reference or order lines")
    return _release(match)


@atomic_with_retry
def _release(match: Q) -> ReleaseResult:
    now = timezone.now()
    level_ids = set(Reservation.objects.filter(match).values_list("stock_level_id", flat=True))
    if not level_ids:
        return ReleaseResult([], [])
    levels = {level.pk: level for level in lock_levels(level_ids)}
    # Re-read under the level locks: a concurrent release may have taken some already.
    rows = list(
        Reservation.objects.filter(match, stock_level_id__in=level_ids).values_list(
            "pk", "stock_level_id", "quantity"
        )
    )
    close_reservations(levels, rows, status=Reservation.RELEASED, now=now)
    released = list(
        Reservation.objects.filter(pk__in=[pk for pk, _, _ in rows]).select_related(
            "product", "warehouse", "stock_level__location", "order_line__order"
        )
    )
    after_commit_changed({(r.product_id, r.warehouse_id) for r in released}, arrived=True)
    return ReleaseResult(released, sorted({level_id for _, level_id, _ in rows}))


def expire_holds(*, now: datetime | None = None, batch: int = 200) -> int:
    """Expire every hold past its `expires_at` (all accounts), a batch of levels per transaction.
    Returns the number of reservations expired."""
    now = now or timezone.now()
    total = 0
    while True:
        level_ids = list(
            Reservation.objects.filter(status=Reservation.ACTIVE, expires_at__lte=now)
            .order_by("stock_level_id")
            .values_list("stock_level_id", flat=True)
            .distinct()[:batch]
        )
        if not level_ids:
            return total
        total += _expire_levels(level_ids, now)


@atomic_with_retry
def _expire_levels(level_ids: list[int], now: datetime) -> int:
    levels = {level.pk: level for level in lock_levels(level_ids)}
    due = list(
        Reservation.objects.filter(
            stock_level_id__in=list(levels), status=Reservation.ACTIVE, expires_at__lte=now
        ).values_list("pk", "stock_level_id", "quantity")
    )
    close_reservations(levels, due, status=Reservation.EXPIRED, now=now)
    after_commit_changed(
        {(lv.product_id, lv.warehouse_id) for lv in levels.values()}, arrived=bool(due)
    )
    return len(due)
