"""Allocation: reserve stock for an order's open lines, and release it again.

Lock order: the order row first, then (inside inventory.services) stock levels in pk order.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from catalog.models import KitComponent
from catalog.selectors import stock_parts
from inventory import services as inventory
from inventory.selectors import available_by_warehouse
from orders import constants
from orders.exceptions import InvalidStatusTransition, OrderOnHold
from orders.models import Order, OrderLine
from orders.representation import order_data
from orders.services.history import derived_status, lock, record, set_status
from orders.services.packages import sync_pending_packages
from vectis.db_retry import atomic_with_retry
from vectis.errors import ValidationFailed
from warehouses.models import Warehouse
from webhooks import services as webhooks

logger = logging.getLogger("vectis.orders")


# --- allocation -----------------------------------------------------------------------------------
@dataclass
class AllocationResult:
    order: Order
    reserve: inventory.ReserveResult | None  # None: nothing was open to allocate


def plan_warehouses(account_id: int, wanted: list[tuple[OrderLine, int]]) -> dict[int, int]:
    """Line pk → warehouse id, from a snapshot: whole lines only, as few warehouses as a greedy
    cover finds — each round takes the warehouse that can fill the most remaining lines (ties:
    higher priority). One warehouse that fills the whole order is therefore always chosen.
    Lines no single warehouse can fill are left out (inventory splits them by priority)."""
    parts = stock_parts(line.product for line, _ in wanted)
    stocked = {pid for plist in parts.values() for pid, _ in plist}
    available, warehouses = available_by_warehouse(account_id=account_id, product_ids=stocked)
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
# are split by warehouse priority. Settings: VECTIS_ALLOCATION_STRATEGY (a dotted path).
Strategy = Callable[[int, list[tuple[OrderLine, int]]], dict[int, int]]


def default_strategy() -> Strategy:
    return import_string(settings.VECTIS_ALLOCATION_STRATEGY)


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
    Locks the order row, then stock levels. Allocating a fully allocated order is a no-op."""
    locked = lock(order)
    if locked.status == constants.ON_HOLD:
        raise OrderOnHold(field="status")
    if locked.allocation_due_at is not None:
        # Whatever the outcome, the allocation that was asked for has now run.
        Order.objects.filter(pk=locked.pk).update(allocation_due_at=None)
        locked.allocation_due_at = None
    if locked.status not in constants.ALLOCATABLE:
        raise InvalidStatusTransition(
            f"An order in status {locked.status} cannot be allocated.",
            field="status",
            extra={"from_status": locked.status, "to_status": constants.ALLOCATED},
        )
    lines = list(locked.lines.select_related("product").order_by("position"))
    wanted = _wanted(lines, items)
    if not wanted:
        return AllocationResult(locked, None)
    plan = (strategy or default_strategy())(
        locked.account_id, [(line, q) for line, q, w in wanted if not w]
    )
    chosen = Warehouse.objects.in_bulk(set(plan.values()))
    # Planned lines first, so that a line left to split cannot take the units the plan
    # counted on; then whatever a planned line still lacks may come from any warehouse.
    order = sorted(range(len(wanted)), key=lambda i: wanted[i][0].pk not in plan)
    reserve_lines = [
        inventory.ReserveLine(
            wanted[i][0].product,
            wanted[i][1],
            wanted[i][2] or chosen.get(plan.get(wanted[i][0].pk)),
            order_line_id=wanted[i][0].pk,
        )
        for i in order
    ]
    result = _reserve(locked, reserve_lines, actor)
    fallback = [
        inventory.ReserveLine(got.product, got.shortfall, None, order_line_id=got.order_line_id)
        for i, got in zip(order, result.lines, strict=True)
        if got.shortfall and wanted[i][2] is None and got.order_line_id in plan
    ]
    if fallback:
        more = {line.order_line_id: line for line in _reserve(locked, fallback, actor).lines}
        for line in result.lines:
            if line.order_line_id in more:
                line.reserved += more[line.order_line_id].reserved
                line.reservations += more[line.order_line_id].reservations
    for i, line in zip(order, result.lines, strict=True):
        line.index = i  # report against the caller's order of lines
        if line.reserved:
            OrderLine.objects.filter(pk=line.order_line_id).update(
                quantity_allocated=F("quantity_allocated") + line.reserved
            )
    result.lines.sort(key=lambda line: line.index)
    if result.reservations:
        sync_pending_packages(locked, list(locked.lines.select_related("product")))
    _settle_status(locked, actor=actor, reserved_any=bool(result.reservations))
    return AllocationResult(locked, result)


def _reserve(order: Order, lines: list, actor: str) -> inventory.ReserveResult:
    return inventory.reserve(
        account_id=order.account_id,
        lines=lines,
        reference=order.public_id,
        allow_partial=True,
        actor=actor,
    )


def _wanted(
    lines: list[OrderLine], items: list[dict] | None
) -> list[tuple[OrderLine, int, object]]:
    """(line, units to reserve, pinned warehouse or None) for the open lines, or for `items`
    (by SKU; a SKU on several lines fills them in order, never beyond their open units)."""
    if items is None:
        return [(line, line.open_quantity, None) for line in lines if line.open_quantity > 0]
    taken: dict[int, int] = {}
    wanted = []
    for index, item in enumerate(items):
        matches = [line for line in lines if item.get("sku") in (line.sku, line.product.sku)]
        if not matches:
            raise ValidationFailed(
                f"The order has no line for {item.get('sku')}.", field=f"items[{index}].sku"
            )
        remaining = item.get("quantity") or sum(line.open_quantity for line in matches)
        for line in matches:
            part = min(remaining, line.open_quantity - taken.get(line.pk, 0))
            if part > 0:
                taken[line.pk] = taken.get(line.pk, 0) + part
                wanted.append((line, part, item.get("warehouse")))
                remaining -= part
    return wanted


def _settle_status(order: Order, *, actor: str, reserved_any: bool) -> None:
    """Derive the status from the lines after allocating; emit order.allocated/backordered
    when something changed (a sweep that finds nothing new stays silent)."""
    lines = list(order.lines.all())
    target = derived_status(lines, unallocated=constants.BACKORDERED)
    if target == order.status and not reserved_any:
        return
    data = {
        "allocated_units": sum(line.quantity_allocated for line in lines),
        "open_units": sum(line.open_quantity for line in lines),
    }
    kind = "allocated" if data["open_units"] == 0 else "backordered"
    if target != order.status:
        set_status(order, target, type=kind, data=data, actor=actor)
    else:
        record(order, kind, data=data, actor=actor)
    webhooks.emit(order.account_id, f"order.{kind}", order_data(order))


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
    return released


# --- backorders -----------------------------------------------------------------------------------
BACKORDER_STATUSES = (
    constants.BACKORDERED,
    constants.PARTIALLY_ALLOCATED,
    constants.PARTIALLY_SHIPPED,
)


def allocate_requested(order_id: int, *, actor: str = "system:auto_allocate") -> str:
    """Run the allocation an order asked for (after intake, release, item changes): "done", or
    "skipped" when the order can no longer be allocated (held, cancelled, shipped meanwhile),
    which also drops the request."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return "skipped"
    if order.status in constants.ALLOCATABLE:
        try:
            order_allocate(order=order, actor=actor)
            return "done"
        except (InvalidStatusTransition, OrderOnHold):  # held or closed meanwhile
            pass
        # Anything else (a conflict that outlasted its retries, say) keeps the request for the
        # sweep to try again.
    # Only the request that was read: one made since (a release, say) stays.
    Order.objects.filter(pk=order_id, allocation_due_at=order.allocation_due_at).exclude(
        allocation_due_at=None
    ).update(allocation_due_at=None)
    return "skipped"


def allocate_due(*, older_than: timedelta, limit: int = 500, dry_run: bool = False) -> list[str]:
    """Allocate orders whose requested allocation has not run for `older_than` (its task was
    lost, say while the broker was down), oldest request first, each in its own transaction.
    Returns the public ids of the orders handled (or that would be, with `dry_run`)."""
    cutoff = timezone.now() - older_than
    due = list(
        Order.objects.filter(allocation_due_at__lte=cutoff)
        .order_by("allocation_due_at", "pk")
        .values_list("pk", "public_id")[:limit]
    )
    if not dry_run:
        for order_id, public_id in due:
            try:
                allocate_requested(order_id)
            except Exception:
                # One order that cannot be allocated must not stop the others behind it; its
                # request stays and the next sweep tries it again.
                logger.exception("allocation sweep: order %s failed", public_id)
    return [public_id for _, public_id in due]


def allocate_backorders(*, product_ids=None, limit: int = 500) -> int:
    """Allocate orders with open lines (of these products, or any), first come first served:
    higher priority first, then oldest. Each order is its own transaction. Returns how many
    orders received stock."""
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
    served = 0
    for order in Order.objects.filter(pk__in=ids).order_by("-priority", "created_at", "id"):
        try:
            result = order_allocate(order=order, actor="system:backorders")
        except (InvalidStatusTransition, OrderOnHold):
            continue  # held or closed meanwhile
        if result.reserve is not None and result.reserve.reservations:
            served += 1
    return served
