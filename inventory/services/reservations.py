"""Reservations: reserve available units (all-or-nothing or partial), release them, expire holds."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from catalog.models import Product
from catalog.selectors import stock_parts
from inventory.exceptions import InsufficientStock
from inventory.models import Reservation
from inventory.services.levels import (
    after_commit_changed,
    close_reservations,
    expire_due,
    lock_levels,
)
from inventory.services.pool import StockPool, Take
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
    pool = StockPool.lock(account_ids=[account_id], product_ids=product_ids)
    takes, reserved = pool.plan(lines, parts_of, account_id)
    short = any(got < line.quantity for got, line in zip(reserved, lines, strict=True))
    # Holds past their expiry still count in `reserved` until expired; free them and retry.
    if short and pool.expire_lapsed(now):
        pool.reset()
        takes, reserved = pool.plan(lines, parts_of, account_id)
    results = [
        LineResult(i, line.product, line.quantity, got, order_line_id=line.order_line_id)
        for i, (line, got) in enumerate(zip(lines, reserved, strict=True))
    ]
    short = [r for r in results if r.shortfall]
    if short and not allow_partial:
        raise _insufficient(short)
    rows = pool.write(
        [
            Take(
                pk,
                quantity,
                reference=reference,
                order_line_id=lines[index].order_line_id,
                expires_at=expires_at,
                actor=actor,
            )
            for index, pk, quantity in takes
        ],
        now=now,
    )
    for (index, _, _), row in zip(takes, rows, strict=True):
        results[index].reservations.append(row)
    return ReserveResult(results, sorted({pk for _, pk, _ in takes}))


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
    after_commit_changed(
        {(r.account_id, r.product_id, r.warehouse_id) for r in released},
        cause="released",
        arrived=True,
    )
    return ReleaseResult(released, sorted({level_id for _, level_id, _ in rows}))


def expire_holds(
    *,
    now: datetime | None = None,
    batch: int = 200,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Expire every hold past its `expires_at` (all accounts), a batch of levels per transaction.
    Returns the number of reservations expired; `progress` is told each batch's number."""
    now = now or timezone.now()
    total = 0
    while True:
        level_ids = list(
            Reservation.objects.lapsed(now)
            .order_by("stock_level_id")
            .values_list("stock_level_id", flat=True)
            .distinct()[:batch]
        )
        if not level_ids:
            return total
        expired = _expire_levels(level_ids, now)
        total += expired
        if progress is not None:
            progress(expired)


@atomic_with_retry
def _expire_levels(level_ids: list[int], now: datetime) -> int:
    levels = {level.pk: level for level in lock_levels(level_ids)}
    expired = expire_due(levels, now)
    after_commit_changed(
        {(lv.account_id, lv.product_id, lv.warehouse_id) for lv in levels.values()},
        cause="expired",
        arrived=bool(expired),
    )
    return expired
