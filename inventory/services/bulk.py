"""Stock written in bulk: up to 1,000 adjustments (deltas) or counts (absolute, with an
optional compare-and-set) in one transaction and a number of statements that does not grow
with the rows. Every stock level is locked once, in primary-key order, so two bulk calls over
the same SKUs in any order never deadlock; each change writes one ledger row."""

from dataclasses import dataclass, field

from django.utils import timezone

from catalog.models import Product
from inventory.exceptions import KitHoldsNoStock
from inventory.models import MAX_ON_HAND, StockLevel, StockMovement
from inventory.services.adjust import emit_adjusted
from inventory.services.levels import (
    after_commit_changed,
    apply_level_deltas,
    ensure_levels,
    expire_due,
    lock_levels,
)
from vectis.db_retry import atomic_with_retry
from vectis.errors import Conflict, DomainError, ValidationFailed
from warehouses.models import Location

MAX_ROWS = 1000

APPLIED, UNCHANGED, STALE, ERROR = "applied", "unchanged", "stale", "error"


@dataclass
class StockRow:
    """One row, its references resolved: `quantity` (a delta) or `on_hand` (a count)."""

    index: int
    product: Product
    location: Location
    reason: str
    quantity: int | None = None
    on_hand: int | None = None
    expected_on_hand: int | None = None
    note: str = ""
    reference: str = ""


@dataclass
class StockRowResult:
    index: int
    status: str  # applied | unchanged | stale | error
    row: StockRow | None = None
    level: StockLevel | None = None
    on_hand: int | None = None  # after the row (or, when stale, as found)
    delta: int = 0
    movement: StockMovement | None = None
    error: dict | None = field(default=None)

    @classmethod
    def failed(cls, index: int, exc: DomainError, row: StockRow | None = None):
        return cls(index, ERROR, row, error=_error(exc))


class BulkStockRejected(Conflict):
    """`atomic=true` and a row could not be applied: nothing was written."""

    code = "bulk_rejected"
    default_message = "At least one row could not be applied; nothing was written."


def stock_bulk(
    *,
    rows: list[StockRow],
    failed: list[StockRowResult],
    atomic: bool,
    collection: str,
    actor: str = "",
) -> list[StockRowResult]:
    """Apply the rows in index order (two rows of one level see each other's result). Rows
    refused by validation come in `failed`. With `atomic`, any row that is not applied
    (stale or refused) writes nothing (409 bulk_rejected, every such row in `details` as
    `{collection}[i].field`)."""
    if atomic and failed:
        raise _rejected(failed, collection)
    results = _apply(rows, atomic=atomic, collection=collection, actor=actor)
    return sorted([*failed, *results], key=lambda r: r.index)


@atomic_with_retry
def _apply(
    rows: list[StockRow], *, atomic: bool, collection: str, actor: str
) -> list[StockRowResult]:
    if not rows:
        return []
    now = timezone.now()
    results: list[StockRowResult] = []
    stockable = []
    for row in rows:
        if row.product.is_kit:
            results.append(StockRowResult.failed(row.index, KitHoldsNoStock(field="sku"), row))
        else:
            stockable.append(row)
    account_id = rows[0].product.account_id
    ids = ensure_levels(account_id, [(r.product.pk, r.location) for r in stockable])
    levels = {level.pk: level for level in lock_levels(ids.values())}
    # A product that became a kit since it was read (catalog refuses it once a level exists).
    kits = set(
        Product.objects.filter(
            pk__in={r.product.pk for r in stockable}, type=Product.TYPE_KIT
        ).values_list("pk", flat=True)
    )
    on_hand = {pk: level.on_hand for pk, level in levels.items()}
    expired_checked: set[int] = set()
    for row in stockable:
        level = levels[ids[(row.product.pk, row.location.pk)]]
        result = _plan(row, level, on_hand, kits, expired_checked, now)
        results.append(result)
        if result.status == APPLIED:
            on_hand[level.pk] = result.on_hand
    refused = [r for r in results if r.status in (STALE, ERROR)]
    if atomic and refused:
        raise _rejected(refused, collection)
    applied = [r for r in results if r.status == APPLIED]
    if applied:
        _write(applied, levels, on_hand, now, actor)
    return results


def _plan(row, level, on_hand, kits, expired_checked, now) -> StockRowResult:
    where = "quantity" if row.quantity is not None else "on_hand"
    if row.product.pk in kits:
        return StockRowResult.failed(row.index, KitHoldsNoStock(field="sku"), row)
    current = on_hand[level.pk]
    if row.expected_on_hand is not None and current != row.expected_on_hand:
        return StockRowResult(row.index, STALE, row, level, on_hand=current)
    delta = row.quantity if row.quantity is not None else row.on_hand - current
    if delta == 0:
        return StockRowResult(row.index, UNCHANGED, row, level, on_hand=current)
    after = current + delta
    if after > MAX_ON_HAND:
        message = f"A location holds at most {MAX_ON_HAND} units."
        error = ValidationFailed(message, field=where, code="quantity_too_large")
        return StockRowResult.failed(row.index, error, row)
    if after < level.reserved and level.pk not in expired_checked:
        expired_checked.add(level.pk)  # holds past their expiry give way (as in adjust)
        expire_due({level.pk: level}, now)
    if after < 0 or after < level.reserved:
        message = (
            f"{level.reserved} units are reserved at {row.location.code}; on_hand cannot go "
            f"to {after}."
            if after >= 0
            else f"Only {current} on hand at {row.location.code}; cannot remove {-delta}."
        )
        error = Conflict(message, field=where, code="insufficient_stock")
        return StockRowResult.failed(row.index, error, row)
    return StockRowResult(row.index, APPLIED, row, level, on_hand=after, delta=delta)


def _write(applied, levels, on_hand, now, actor) -> None:
    deltas = {pk: on_hand[pk] - levels[pk].on_hand for pk in {r.level.pk for r in applied}}
    apply_level_deltas(levels, on_hand=deltas, reserved={}, now=now)
    movements = []
    for result in applied:
        row, level = result.row, result.level
        movement = StockMovement.of(
            level,
            result.delta,
            row.reason,
            reference=row.reference,
            note=row.note,
            actor=actor,
            related={"product": row.product, "location": row.location},
        )
        movement.on_hand_after = result.on_hand  # this row's count, not the level's last
        result.movement = movement
        movements.append(movement)
    StockMovement.objects.bulk_create(movements)
    emit_adjusted(movements)
    after_commit_changed(
        {(m.account_id, m.product_id, m.warehouse_id) for m in movements},
        cause="adjusted",
        arrived=any(m.quantity > 0 for m in movements),
        movements=movements,
    )


def _error(exc: DomainError) -> dict:
    return {"code": exc.code, "message": exc.message, "field": exc.field}


def _rejected(results: list[StockRowResult], collection: str) -> BulkStockRejected:
    details = []
    for r in sorted(results, key=lambda r: r.index):
        if r.error is None:  # stale
            error = {
                "field": "expected_on_hand",
                "code": "stale_quantity",
                "message": f"on_hand is {r.on_hand}, not the expected {r.row.expected_on_hand}.",
            }
        else:
            error = r.error
        where = f"{collection}[{r.index}]"
        details.append(
            {
                "field": f"{where}.{error['field']}" if error["field"] else where,
                "code": error["code"],
                "message": error["message"],
            }
        )
    first = details[0]
    return BulkStockRejected(first["message"], field=first["field"], details=details)
