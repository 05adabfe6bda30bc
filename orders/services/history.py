"""The order's status and history: one function changes status, every change writes an event."""

from orders import constants
from orders.exceptions import InvalidStatusTransition
from orders.models import Order, OrderEvent, OrderLine, Package
from webhooks import services as webhooks


def set_package_status(package: Package, to_status: str) -> None:
    """The one place a package's status changes: per Package.TRANSITIONS, else 409
    `invalid_status_transition`. The caller holds the package's row lock and saves it."""
    from_status = package.status
    if to_status not in Package.TRANSITIONS[from_status]:
        raise InvalidStatusTransition(
            f"A package cannot go from {from_status} to {to_status}.",
            field="status",
            extra={"from_status": from_status, "to_status": to_status},
        )
    package.status = to_status


def record(order: Order, type: str, *, data: dict | None = None, actor: str = "") -> OrderEvent:
    """History without a status change (a note, an update, a re-allocation)."""
    event = note(order, type, data=data, actor=actor)
    event.save()
    return event


def set_status(
    order: Order, to_status: str, *, type: str, data: dict | None = None, actor: str = ""
) -> OrderEvent:
    """Change an order's status (per the transition table), write its OrderEvent and emit
    order.status_changed. The caller holds the order's row lock."""
    event = transition(order, to_status, type=type, data=data, actor=actor)
    order.save(update_fields=["status", "updated_at"])
    event.save()
    webhooks.emit(order.account_id, "order.status_changed", status_changed(event))
    return event


def status_changed(event: OrderEvent) -> dict:
    """The order.status_changed payload of a status change's history entry."""
    order = event.order
    return {
        "order_id": order.public_id,
        "external_id": order.external_id,
        "channel": order.channel,
        "from": event.from_status,
        "to": event.to_status,
        "cause": event.type,
    }


def transition(
    order: Order, to_status: str, *, type: str, data: dict | None = None, actor: str = ""
) -> OrderEvent:
    """The one place an order's status changes: checked against constants.TRANSITIONS, set
    on `order` and returned as its unsaved OrderEvent (`set_status` saves both; the bulk
    allocator writes many at once)."""
    from_status = order.status
    if not constants.can_transition(from_status, to_status):
        raise InvalidStatusTransition(
            f"An order cannot go from {from_status} to {to_status}.",
            field="status",
            extra={"from_status": from_status, "to_status": to_status},
        )
    order.status = to_status
    event = note(order, type, data=data, actor=actor)
    event.from_status = from_status
    return event


def note(order: Order, type: str, *, data: dict | None = None, actor: str = "") -> OrderEvent:
    """An unsaved OrderEvent of the order as it stands (no status change)."""
    return OrderEvent(
        account_id=order.account_id,
        order=order,
        type=type,
        from_status=order.status,
        to_status=order.status,
        data=data or {},
        actor=actor,
    )


def derived_status(lines: list[OrderLine], *, unallocated: str) -> str:
    """The status the lines' counts call for; `unallocated` (pending or backordered) when
    nothing is allocated or shipped yet."""
    active = sum(line.quantity - line.quantity_cancelled for line in lines)
    if active == 0:
        return constants.CANCELLED
    shipped = sum(line.quantity_shipped for line in lines)
    if shipped == active:
        return constants.SHIPPED
    if shipped:
        return constants.PARTIALLY_SHIPPED
    open_units = sum(line.open_quantity for line in lines)
    allocated = sum(line.quantity_allocated for line in lines)
    if open_units == 0:
        return constants.ALLOCATED
    if allocated:
        return constants.PARTIALLY_ALLOCATED
    return unallocated


def lock(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)
