"""Allocation: reserve stock for an order's open lines, and release it again.

Lock order: the order row first, then (inside inventory.services) stock levels in pk order.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from catalog.models import KitComponent
from catalog.selectors import stock_parts
from inventory import services as inventory
from inventory.selectors import available_by_warehouse
from orders import constants
from orders.exceptions import InvalidStatusTransition
from orders.models import Order, OrderLine
from orders.representation import order_data
from orders.services import allocator
from orders.services.allocator import AllocationResult
from orders.services.history import lock, set_status
from orders.services.packages import sync_pending_packages
from vectis import tasks
from vectis.db_retry import atomic_with_retry
from webhooks import services as webhooks

logger = logging.getLogger("vectis.orders")


# --- allocation -----------------------------------------------------------------------------------
def plan_warehouses(
    account_id: int,
    wanted: list[tuple[OrderLine, int]],
    *,
    available: dict[tuple[int, int], int] | None = None,
    warehouses: list[int] | None = None,
) -> dict[int, int]:
    """Line pk → warehouse id: whole lines only, as few warehouses as a greedy cover finds —
    each round takes the warehouse that can fill the most remaining lines (ties: higher
    priority). One warehouse that fills the whole order is therefore always chosen. Lines no
    single warehouse can fill are left out (inventory splits them by priority).

    The allocator passes what is `available` per (product, warehouse) under its locks and the
    `warehouses` by priority; called without them, it reads a snapshot."""
    parts = stock_parts(line.product for line, _ in wanted)
    if available is None or warehouses is None:
        stocked = {pid for plist in parts.values() for pid, _ in plist}
        available, warehouses = available_by_warehouse(account_id=account_id, product_ids=stocked)
    available = dict(available)
    remaining = list(wanted)
    plan: dict[int, int] = {}
    while remaining:
        best: tuple[int, list] | None = None
        for warehouse_id in warehouses:
            covered = _fillable(remaining, parts, available, warehouse_id)
            if covered and (best is None or len(covered) > len(best[1])):
                best = (warehouse_id, covered)
        if best is None:
            break
        warehouse_id, covered = best
        for line, quantity in covered:
            plan[line.pk] = warehouse_id
            for pid, per_unit in parts.get(line.product_id, []):
                available[(pid, warehouse_id)] -= quantity * per_unit
        remaining = [(line, q) for line, q in remaining if line.pk not in plan]
    return plan


def _fillable(lines, parts, available, warehouse_id) -> list[tuple[OrderLine, int]]:
    """The lines (in order) that `warehouse_id` can fill together."""
    left: dict[int, int] = {}
    covered = []
    for line, quantity in lines:
        need = {pid: quantity * per for pid, per in parts.get(line.product_id, [])}
        if need and all(
            left.get(pid, available.get((pid, warehouse_id), 0)) >= units
            for pid, units in need.items()
        ):
            for pid, units in need.items():
                left[pid] = left.get(pid, available.get((pid, warehouse_id), 0)) - units
            covered.append((line, quantity))
    return covered


# A strategy maps (account id, [(line, units)]) to {line pk: warehouse id}; lines it leaves out
# are split by warehouse priority. It may take `available` and `warehouses` keywords: the
# allocator then hands it the availability under its locks (no query of its own).
# Settings: VECTIS_ALLOCATION_STRATEGY (a dotted path).
Strategy = Callable[..., dict[int, int]]


@atomic_with_retry
def order_allocate(
    *,
    order: Order,
    items: list[dict] | None = None,
    strategy: Strategy | None = None,
    actor: str = "",
) -> AllocationResult:
    """Reserve stock for the order's open lines (or only `items`: line or product, quantity,
    warehouse): the whole order from one warehouse if any can fill it (highest priority first),
    otherwise line by line by priority. What cannot be covered stays open (backordered).
    Locks the order row, then stock levels (orders.services.allocator). Allocating a fully
    allocated order is a no-op; a held or closed one is refused."""
    locked = allocator.lock_orders([order.pk])
    if not locked:
        raise InvalidStatusTransition("The order has no lines to allocate.", field="status")
    return allocator.allocate_locked(locked, items=items, strategy=strategy, actor=actor)[0]


@atomic_with_retry
def allocate_orders(
    order_ids: list[int], *, actor: str, skip_locked: bool = False
) -> list[AllocationResult]:
    """Allocate many orders in one transaction, served in the order given. Orders that can no
    longer be allocated (held, cancelled, shipped meanwhile) are passed over and their
    allocation request is dropped; with `skip_locked`, orders busy elsewhere are left for
    later."""
    locked = allocator.lock_orders(order_ids, skip_locked=skip_locked)
    return allocator.allocate_locked(locked, actor=actor, refuse=False)


@atomic_with_retry
def order_deallocate(*, order: Order, actor: str = "") -> inventory.ReleaseResult:
    """Release every active reservation of the order; its lines return to open (pending)."""
    locked = lock(order)
    if locked.status not in (constants.ALLOCATED, constants.PARTIALLY_ALLOCATED):
        if locked.status in (constants.PENDING, constants.BACKORDERED):
            return inventory.ReleaseResult([], [])  # nothing allocated: a no-op
        raise InvalidStatusTransition(
            f"An order in status {locked.status} cannot be deallocated.",
            field="status",
            extra={"from_status": locked.status, "to_status": constants.PENDING},
        )
    line_ids = list(locked.lines.values_list("pk", flat=True))
    released = inventory.release(account_id=locked.account_id, order_line_ids=line_ids)
    OrderLine.objects.filter(pk__in=line_ids).update(quantity_allocated=0)
    sync_pending_packages(locked, list(locked.lines.select_related("product")))
    set_status(
        locked,
        constants.PENDING,
        type="deallocated",
        data={"released_units": sum(r.quantity for r in released.released)},
        actor=actor,
    )
    webhooks.emit(locked.account_id, "order.deallocated", order_data(locked))
    return released


# --- backorders -----------------------------------------------------------------------------------
BACKORDER_STATUSES = (
    constants.BACKORDERED,
    constants.PARTIALLY_ALLOCATED,
    constants.PARTIALLY_SHIPPED,
)


AUTO = "system:auto_allocate"
# Orders allocated per transaction by the dispatcher and the sweeps.
BATCH = 50


def allocate_requested(order_id: int, *, actor: str = AUTO) -> str:
    """Run the allocation an order asked for (after intake, release, item changes): "done", or
    "skipped" when the order can no longer be allocated (held, cancelled, shipped meanwhile),
    which also drops the request. A conflict that outlasts its retries keeps the request."""
    results = allocate_orders([order_id], actor=actor)
    return "done" if results else "skipped"


def _serve(
    ids: list[int],
    *,
    actor: str,
    skip_locked: bool,
    failed: list[int] | None = None,
    progress: Callable[[int], object] | None = None,
) -> list[AllocationResult]:
    """Allocate in batches; a batch that fails is retried order by order, so that one order
    that cannot be allocated does not stop the others (its request stays for the next run).
    The ids of such orders are added to `failed`; `progress` is told each batch's size."""
    results: list[AllocationResult] = []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        try:
            results += allocate_orders(chunk, actor=actor, skip_locked=skip_locked)
        except Exception:
            if len(chunk) == 1:
                logger.exception("allocation of order %s failed", chunk[0])
                if failed is not None:
                    failed.append(chunk[0])
            else:
                logger.exception(
                    "allocation of a batch of %d orders failed; one by one", len(chunk)
                )
                for order_id in chunk:
                    try:
                        results += allocate_orders([order_id], actor=actor, skip_locked=skip_locked)
                    except Exception:
                        logger.exception("allocation of order %s failed", order_id)
                        if failed is not None:
                            failed.append(order_id)
        if progress is not None:
            progress(len(chunk))
    return results


@dataclass(frozen=True)
class DueAllocations:
    orders: list[str]  # public ids of the orders handled (or that would be)
    failed: list[str]  # of those, the ones whose allocation raised: still due, see the log


def allocate_due(*, older_than: timedelta, limit: int = 500, dry_run: bool = False) -> list[str]:
    """Allocate orders whose requested allocation has not run for `older_than` (its task was
    lost, say while the broker was down), oldest request first, many per transaction.
    Returns the public ids of the orders handled (or that would be, with `dry_run`)."""
    return allocate_due_report(older_than=older_than, limit=limit, dry_run=dry_run).orders


def allocate_due_report(
    *,
    older_than: timedelta,
    limit: int = 500,
    dry_run: bool = False,
    progress: Callable[[int], object] | None = None,
) -> DueAllocations:
    """`allocate_due`, also naming the orders whose allocation failed; `progress` is told
    the number of orders of each batch done."""
    cutoff = timezone.now() - older_than
    due = list(
        Order.objects.filter(allocation_due_at__lte=cutoff)
        .order_by("allocation_due_at", "pk")
        .values_list("pk", "public_id")[:limit]
    )
    failed: list[int] = []
    if not dry_run:
        _serve(
            [pk for pk, _ in due], actor=AUTO, skip_locked=True, failed=failed, progress=progress
        )
    public = dict(due)
    return DueAllocations(
        orders=[public_id for _, public_id in due], failed=[public[pk] for pk in failed]
    )


def allocate_requested_batch(*, limit: int = 100) -> int:
    """The dispatcher's share: allocate up to `limit` orders whose allocation was asked for,
    oldest request first; returns how many were handled."""
    return len(allocate_due(older_than=timedelta(0), limit=limit))


def on_stock_freed(product_ids: list[int]) -> None:
    """Inventory freed stock of these products (tasks in-process): serve their backorders."""
    from orders.tasks import allocate_backorders

    tasks.enqueue(allocate_backorders, (product_ids,))


def allocate_backorders(*, product_ids=None, limit: int = 500) -> int:
    """Allocate orders with open lines (of these products, or any), first come first served:
    higher priority first, then oldest, many per transaction. Returns how many orders
    received stock."""
    candidates = Order.objects.filter(
        status__in=BACKORDER_STATUSES,
        lines__quantity__gt=F("lines__quantity_allocated")
        + F("lines__quantity_shipped")
        + F("lines__quantity_cancelled"),
    )
    if product_ids is not None:
        kits = KitComponent.objects.filter(component_id__in=list(product_ids)).values_list(
            "kit_id", flat=True
        )
        candidates = candidates.filter(lines__product_id__in={*product_ids, *kits})
    ids = list(
        candidates.order_by("-priority", "created_at", "id")
        .values_list("pk", flat=True)
        .distinct()[:limit]
    )
    results = _serve(ids, actor="system:backorders", skip_locked=False)
    return sum(1 for r in results if r.reserve is not None and r.reserve.reservations)
