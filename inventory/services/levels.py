"""Shared by every stock-moving service: finding, creating and locking stock levels, closing
reservations, and scheduling the after-commit work a change triggers.

Lock order, everywhere: stock levels in primary-key order first, then whatever else. Every change of
a reservation's status happens while its stock level is locked, so the level lock is enough to
read reservations consistently.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from celery import current_app
from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, F, Q, Value, When

from catalog.models import Product
from inventory.models import Reservation, StockFreed, StockLevel
from inventory.services.announce import stock_changed
from vectis import tasks
from vectis.errors import ConflictRetry
from warehouses.models import Location

logger = logging.getLogger("vectis.inventory")


def lock_levels(ids: Iterable[int]) -> list[StockLevel]:
    """Lock stock levels in primary-key order (no-key lock: reservation inserts still pass)."""
    return list(
        StockLevel.objects.select_for_update(no_key=True).filter(pk__in=set(ids)).order_by("pk")
    )


def add_on_hand_if_room(
    *, product: Product, location: Location, delta: int, ceiling: int, now
) -> StockLevel | None:
    """Add `delta` to on_hand at an existing level in one conditional UPDATE (which also takes
    the row lock) when the result stays within [reserved, ceiling]; the level as written, or
    None (no level, or not within bounds: the caller takes the locking path, which explains
    why). The lock is held from this statement to the commit, not from a SELECT before it."""
    table = StockLevel._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET on_hand = on_hand + %s, updated_at = %s"  # noqa: S608 (model's table)
            " WHERE product_id = %s AND location_id = %s"
            " AND on_hand + %s >= reserved AND on_hand + %s >= 0 AND on_hand + %s <= %s"
            " RETURNING id, account_id, on_hand, reserved",
            [delta, now, product.pk, location.pk, delta, delta, delta, ceiling],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    pk, account_id, on_hand, reserved = row
    level = StockLevel(
        pk=pk,
        account_id=account_id,
        product=product,
        warehouse_id=location.warehouse_id,
        location=location,
        on_hand=on_hand,
        reserved=reserved,
        updated_at=now,
    )
    if Location.warehouse.is_cached(location):
        level.warehouse = location.warehouse
    return level


def lock_level_at(account_id: int, product_id: int, location: Location) -> tuple[StockLevel, bool]:
    """The stock level of a product at a location, locked (no-key) with its product, warehouse
    and location loaded, in one statement; created empty first when missing (then True)."""

    def locked() -> StockLevel | None:
        return (
            StockLevel.objects.select_for_update(no_key=True, of=("self",))
            .select_related("product", "warehouse", "location")
            .filter(product_id=product_id, location_id=location.pk)
            .first()
        )

    level = locked()
    if level is not None:
        return level, False
    ensure_levels(account_id, [(product_id, location)])
    return locked(), True


def ensure_levels(account_id: int, pairs: Iterable[tuple[int, Location]]) -> dict[tuple, int]:
    """Ids of the stock levels for (product_id, location), creating empty ones that are missing.
    Concurrent creators are harmless: the unique constraint keeps one row."""
    pairs = list(pairs)
    wanted = {(product_id, location.pk) for product_id, location in pairs}

    def existing() -> dict[tuple, int]:
        rows = StockLevel.objects.filter(
            product_id__in={p for p, _ in wanted}, location_id__in={loc for _, loc in wanted}
        ).values_list("product_id", "location_id", "pk")
        return {(p, loc): pk for p, loc, pk in rows if (p, loc) in wanted}

    found = existing()
    missing = [(p, loc) for p, loc in pairs if (p, loc.pk) not in found]
    if not missing:
        return found
    StockLevel.objects.bulk_create(
        [
            StockLevel(
                account_id=account_id,
                product_id=product_id,
                location_id=location.pk,
                warehouse_id=location.warehouse_id,
            )
            for product_id, location in missing
        ],
        ignore_conflicts=True,
    )
    return existing()


def apply_level_deltas(
    levels: dict[int, StockLevel], *, on_hand: dict[int, int], reserved: dict[int, int], now
) -> None:
    """Write counter changes to locked levels: one conditional UPDATE for all of them, however
    many there are.

    Each row's condition repeats what the callers checked under the lock (and what the CHECK
    constraints enforce): if any row fails it, fewer rows are updated than changed and the
    whole transaction is retried, so a logic error surfaces as a retryable conflict instead
    of a broken invariant.
    """
    changes = [
        (pk, on_hand.get(pk, 0), reserved.get(pk, 0))
        for pk in sorted(set(on_hand) | set(reserved))
        if on_hand.get(pk, 0) or reserved.get(pk, 0)
    ]
    if not changes:
        return
    condition = Q()
    for pk, d_on_hand, d_reserved in changes:
        # new reserved >= 0 and new on_hand >= new reserved
        condition |= Q(
            pk=pk,
            reserved__gte=-d_reserved,
            on_hand__gte=F("reserved") + (d_reserved - d_on_hand),
        )
    values: dict = {"updated_at": now}
    if any(d for _, d, _ in changes):
        values["on_hand"] = F("on_hand") + _per_row(changes, 1)
    if any(d for _, _, d in changes):
        values["reserved"] = F("reserved") + _per_row(changes, 2)
    if StockLevel.objects.filter(condition).update(**values) != len(changes):
        raise ConflictRetry()
    for pk, d_on_hand, d_reserved in changes:
        level = levels[pk]
        level.on_hand += d_on_hand
        level.reserved += d_reserved
        level.updated_at = now


def _per_row(changes, column: int):
    """CASE pk WHEN … THEN delta … END for one column of the changes."""
    whens = [When(pk=change[0], then=Value(change[column])) for change in changes if change[column]]
    return Case(*whens, default=Value(0), output_field=BigIntegerField())


def expire_due(levels: dict[int, StockLevel], now: datetime) -> int:
    """Expire the holds past their `expires_at` on these locked levels; returns how many."""
    due = list(
        Reservation.objects.lapsed(now)
        .filter(stock_level_id__in=list(levels))
        .values_list("pk", "stock_level_id", "quantity")
    )
    if not due:
        return 0
    close_reservations(levels, due, status=Reservation.EXPIRED, now=now)
    return len(due)


def close_reservations(
    levels: dict[int, StockLevel], rows: list[tuple[int, int, int]], *, status: str, now
) -> None:
    """Move active reservations (pk, stock_level_id, quantity) out of `reserved`. The levels must
    be locked and the rows re-read as active under that lock."""
    if not rows:
        return
    Reservation.objects.filter(pk__in=[pk for pk, _, _ in rows], status=Reservation.ACTIVE).update(
        status=status, closed_at=now
    )
    freed: dict[int, int] = defaultdict(int)
    for _, level_id, quantity in rows:
        freed[level_id] -= quantity
    apply_level_deltas(levels, on_hand={}, reserved=freed, now=now)


# Reactions of higher apps to freed stock when tasks run in-process (the orders app serves
# backorders); registered in their AppConfig.ready. Inventory never imports them.
STOCK_FREED_LISTENERS: list = []


def after_commit_changed(
    triples: Iterable[tuple[int, int, int]],
    *,
    cause: str,
    arrived: bool = False,
    movements: Iterable = (),
) -> None:
    """Stock of these (account_id, product_id, warehouse_id) triples changed in the current
    transaction (`cause`, and the ledger rows written); `arrived`: units became available.
    Announced in this transaction (inventory.available_changed, inventory.services.announce).

    Nothing is queued: the dispatcher checks low stock of recently changed levels, and freed
    stock is announced with StockFreed rows (one INSERT) for it to serve backorders. With tasks
    in-process (no broker, no dispatcher) both happen right after the commit instead."""
    triples = sorted(set(triples))
    if not triples:
        return
    stock_changed(triples, cause=cause, movements=movements)
    pairs = sorted({(product, warehouse) for _, product, warehouse in triples})
    if not current_app.conf.task_always_eager:
        if arrived:
            StockFreed.objects.bulk_create(
                [StockFreed(product_id=p, warehouse_id=w) for p, w in pairs]
            )
        return

    def react():
        from inventory.tasks import evaluate_low_stock

        tasks.enqueue(evaluate_low_stock, ([list(pair) for pair in pairs],))
        if arrived:
            product_ids = sorted({product for product, _ in pairs})
            for listener in STOCK_FREED_LISTENERS:
                listener(product_ids)

    transaction.on_commit(react)


def take_freed(*, limit: int = 1000) -> list[int]:
    """The products announced as freed, oldest first; their notifications are deleted (by the
    one caller that got them: SKIP LOCKED)."""
    with transaction.atomic():
        rows = list(
            StockFreed.objects.select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("pk", "product_id")[:limit]
        )
        if rows:
            StockFreed.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return sorted({product_id for _, product_id in rows})
