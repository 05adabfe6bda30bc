"""Hold, release, cancel (whole or lines) and ship. Each locks the order row first, then the
stock levels (inside inventory.services), and writes the order's history."""

from collections import defaultdict

from django.db.models import F
from django.utils import timezone

from inventory.services.order_lines import LineTake, reserved_by_line, take_from_lines
from orders import constants, totals
from orders.exceptions import AlreadyCancelled, InvalidStatusTransition
from orders.lines import matching
from orders.models import Order, OrderLine, Package
from orders.representation import order_data
from orders.services.history import derived_status, lock, record, set_status
from orders.services.packages import (
    parts_of,
    sync_pending_packages,
)
from vectis.db_retry import atomic_with_retry
from vectis.errors import Conflict
from webhooks import services as webhooks


def _refuse(order: Order, to_status: str, why: str) -> InvalidStatusTransition:
    return InvalidStatusTransition(
        f"An order in status {order.status} cannot be {why}.",
        field="status",
        extra={"from_status": order.status, "to_status": to_status},
    )


def _spread(lines: list[OrderLine], item: dict, room, where: str) -> list[tuple[OrderLine, int]]:
    """Split an item (`line_id` or `sku`, `quantity`) over the matching lines, each taking up
    to `room(line)`: a SKU that appears on several lines fills them in order."""
    matches = matching(lines, item, where=where)
    remaining, parts = item["quantity"], []
    for line in matches:
        part = min(remaining, room(line))
        if part > 0:
            parts.append((line, part))
            remaining -= part
    if remaining:
        total = sum(room(line) for line in matches)
        # what the order's lines hold now decides it: a conflict with their state
        raise Conflict(
            f"Only {total} units of {matches[0].sku} can be taken here.",
            field=f"{where}.quantity",
            code="not_allocated" if "packages" in where else "quantity_unavailable",
        )
    return parts


def _unallocated_status(order: Order) -> str:
    """Where an order with nothing allocated goes: backordered once allocation has come up
    short, pending otherwise (for an order on hold: what it was before the hold)."""
    status = order.status
    if status == constants.ON_HOLD:
        status = (
            order.events.filter(type="held").order_by("-id").values_list("from_status", flat=True)
        ).first() or constants.PENDING
    short = (constants.BACKORDERED, constants.PARTIALLY_ALLOCATED, constants.PARTIALLY_SHIPPED)
    return constants.BACKORDERED if status in short else constants.PENDING


def _allocate_later(order: Order, status: str) -> None:
    if status in (constants.PENDING, constants.BACKORDERED) and order.account.auto_allocate:
        from orders.services.intake import request_allocation

        request_allocation(order)


# --- hold -----------------------------------------------------------------------------------------
@atomic_with_retry
def order_hold(*, order: Order, reason: str, actor: str = "") -> Order:
    """Put an unshipped order on hold; its reservations stay. Emits order.held."""
    locked = lock(order)
    if locked.status not in constants.UNSHIPPED:
        raise _refuse(locked, constants.ON_HOLD, "put on hold")
    locked.hold_reason = reason
    locked.save(update_fields=["hold_reason"])
    set_status(locked, constants.ON_HOLD, type="held", data={"reason": reason}, actor=actor)
    webhooks.emit(locked.account_id, "order.held", order_data(locked))
    return locked


@atomic_with_retry
def order_release_hold(*, order: Order, actor: str = "") -> Order:
    """Take an order off hold, back to the status its lines call for; a pending order is then
    allocated (with the account's auto_allocate)."""
    locked = lock(order)
    if locked.status != constants.ON_HOLD:
        raise _refuse(locked, constants.PENDING, "released from hold (it is not on hold)")
    target = derived_status(list(locked.lines.all()), unallocated=_unallocated_status(locked))
    locked.hold_reason = ""
    locked.save(update_fields=["hold_reason"])
    set_status(locked, target, type="released", actor=actor)
    webhooks.emit(locked.account_id, "order.released", order_data(locked))
    _allocate_later(locked, target)
    return locked


# --- cancel ---------------------------------------------------------------------------------------
def _cancellable(line: OrderLine) -> int:
    return line.quantity - line.quantity_shipped - line.quantity_cancelled


@atomic_with_retry
def order_cancel(
    *, order: Order, reason: str = "", items: list[dict] | None = None, actor: str = ""
) -> Order:
    """Cancel the whole order, or `items` (line_id or sku, quantity). Unallocated units go first,
    then reserved ones, whose reservations are released in this transaction (all stock levels
    locked once, in pk order). Emits order.cancelled."""
    locked = lock(order)
    if locked.status == constants.CANCELLED:
        raise AlreadyCancelled(field="status")
    if locked.status in (constants.SHIPPED, constants.DELIVERED):
        raise _refuse(locked, constants.CANCELLED, "cancelled")
    lines = list(locked.lines.select_related("product").order_by("position"))
    cuts: dict[int, int] = defaultdict(int)
    if items is None:
        for line in lines:
            cuts[line.pk] = _cancellable(line)
    else:
        for index, item in enumerate(items):
            room = lambda line: _cancellable(line) - cuts[line.pk]  # noqa: E731
            for line, part in _spread(lines, item, room, f"items[{index}]"):
                cuts[line.pk] += part
    by_pk = {line.pk: line for line in lines}
    held = reserved_by_line([pk for pk, q in cuts.items() if q])
    takes, released_units = [], 0
    for pk, quantity in cuts.items():
        line = by_pk[pk]
        from_allocated = quantity - min(quantity, line.open_quantity)
        if from_allocated == line.quantity_allocated and from_allocated:
            # the whole allocation goes: release exactly what the line holds
            takes.append(LineTake(pk, dict(held.get(pk, {}))))
        elif from_allocated:
            takes.append(LineTake(pk, {p: from_allocated * per for p, per in parts_of(line)}))
        released_units += from_allocated
        line.quantity_cancelled += quantity
        line.quantity_allocated -= from_allocated
    if takes:
        take_from_lines(account_id=locked.account_id, takes=takes, actor=actor)
    OrderLine.objects.bulk_update(
        [by_pk[pk] for pk in cuts], ["quantity_cancelled", "quantity_allocated"]
    )
    sync_pending_packages(locked, lines)
    _recompute_totals(locked, lines)
    data = {
        "reason": reason,
        "lines": [{"line_id": by_pk[pk].public_id, "quantity": q} for pk, q in cuts.items() if q],
        "released_units": released_units,
    }
    if locked.status == constants.ON_HOLD:
        target = derived_status(lines, unallocated=constants.ON_HOLD)
        target = constants.CANCELLED if target == constants.CANCELLED else constants.ON_HOLD
    else:
        target = derived_status(lines, unallocated=_unallocated_status(locked))
    if target == constants.CANCELLED:
        set_status(locked, target, type="cancelled", data=data, actor=actor)
    elif target == constants.SHIPPED:
        # what was left unshipped is cancelled: the order is complete (and maybe delivered)
        set_status(locked, target, type="shipped", data=data, actor=actor)
        webhooks.emit(locked.account_id, "order.shipped", order_data(locked))
        from orders.services.shipping import deliver_if_complete

        deliver_if_complete(locked, actor=actor)
    elif target != locked.status:
        set_status(locked, target, type="line_cancelled", data=data, actor=actor)
    else:
        record(locked, "line_cancelled", data=data, actor=actor)
    webhooks.emit(locked.account_id, "order.cancelled", {**order_data(locked), "cancel": data})
    return locked


def _recompute_totals(order: Order, lines: list[OrderLine]) -> None:
    """Cancelled units no longer count towards the order's subtotal and total."""
    sums = totals.of_order(order, lines)
    order.subtotal, order.total = sums.subtotal, sums.total
    order.save(update_fields=["subtotal", "total", "updated_at"])


# --- delivered ------------------------------------------------------------------------------------
@atomic_with_retry
def order_deliver(*, order: Order, actor: str = "") -> Order:
    """Mark a shipped order delivered (and its shipped packages): when a carrier or the merchant
    confirms delivery. Emits order.delivered."""
    locked = lock(order)
    if locked.status != constants.SHIPPED:
        raise _refuse(locked, constants.DELIVERED, "marked delivered (it is not shipped)")
    now = timezone.now()
    arriving = list(locked.packages.filter(status__in=Package.can_become(Package.DELIVERED)))
    Package.objects.filter(pk__in=[p.pk for p in arriving]).update(
        status=Package.DELIVERED, delivered_at=now, updated_at=now
    )
    from orders.representation import packages_data

    webhooks.emit_many(
        locked.account_id, [("package.delivered", d) for d in packages_data(arriving)]
    )
    set_status(locked, constants.DELIVERED, type="delivered", actor=actor)
    webhooks.emit(locked.account_id, "order.delivered", order_data(locked))
    return locked


# --- returns --------------------------------------------------------------------------------------
def order_record_return(
    *, order: Order, line_quantities: dict[int, int], rma: str, actor: str = ""
) -> None:
    """Count received return units on the order's lines and note it in the history. The
    caller (returns.services) holds the order's row lock."""
    for line_pk, quantity in line_quantities.items():
        OrderLine.objects.filter(pk=line_pk, order=order).update(
            quantity_returned=F("quantity_returned") + quantity
        )
    record(
        order,
        "returned",
        data={"rma_number": rma, "units": sum(line_quantities.values())},
        actor=actor,
    )
