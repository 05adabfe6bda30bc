"""Order writes: intake, status changes with history, allocation against inventory.

Lock order: the order row first, then (inside inventory.services) stock levels in pk order.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F

from catalog.models import KitComponent, Product
from catalog.selectors import resolve_skus
from inventory import services as inventory
from inventory.selectors import available_by_warehouse
from orders import constants
from orders.models import Order, OrderEvent, OrderLine
from orders.representation import order_data
from vectis.accounts.models import Account
from vectis.db_retry import atomic_with_retry
from vectis.errors import Conflict, DuplicateError, ValidationFailed
from warehouses.models import Warehouse
from webhooks import services as webhooks

logger = logging.getLogger("vectis.orders")


class DuplicateOrder(DuplicateError):
    code = "duplicate_order"
    default_message = "An order with this channel and external_id already exists."


class InvalidStatusTransition(Conflict):
    code = "invalid_status_transition"
    default_message = "The order cannot move to that status."


# --- history --------------------------------------------------------------------------------------
def record(order: Order, type: str, *, data: dict | None = None, actor: str = "") -> OrderEvent:
    return OrderEvent.objects.create(
        account_id=order.account_id,
        order=order,
        type=type,
        from_status=order.status,
        to_status=order.status,
        data=data or {},
        actor=actor,
    )


def set_status(
    order: Order, to_status: str, *, type: str, data: dict | None = None, actor: str = ""
) -> OrderEvent:
    """The one place an order's status changes: checks the transition table, writes the
    OrderEvent. The caller holds the order's row lock."""
    from_status = order.status
    if not constants.can_transition(from_status, to_status):
        raise InvalidStatusTransition(
            f"An order cannot go from {from_status} to {to_status}.",
            field="status",
            extra={"from_status": from_status, "to_status": to_status},
        )
    order.status = to_status
    order.save(update_fields=["status", "updated_at"])
    return OrderEvent.objects.create(
        account_id=order.account_id,
        order=order,
        type=type,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
        actor=actor,
    )


# --- create ---------------------------------------------------------------------------------------
def _resolve_items(account: Account, channel: str, items: list[dict]) -> list[Product]:
    found = resolve_skus(account=account, skus=[i["sku"] for i in items], channel=channel)
    products = []
    for index, item in enumerate(items):
        product = found.get(item["sku"])
        if product is None:
            raise ValidationFailed(
                f"Invalid SKU: {item['sku']} not found", field=f"items[{index}].sku"
            )
        if not product.active:
            raise ValidationFailed(
                f"Product {item['sku']} is archived and cannot be ordered.",
                field=f"items[{index}].sku",
                code="product_inactive",
            )
        products.append(product)
    return products


def order_create(*, account: Account, data: dict, actor: str = "") -> Order:
    """Accept an order (status pending, or on_hold with `hold`); emits order.created and, with
    the account's auto_allocate, queues allocation after commit."""
    products = _resolve_items(account, data["channel"], data["items"])
    totals = data.get("totals", {})
    subtotal = sum(
        (Decimal(item.get("price") or 0) * item["quantity"] for item in data["items"]),
        Decimal(0),
    )
    ship_to = data["ship_to"]
    values = {
        "channel": data["channel"],
        "external_id": data["external_id"],
        "currency": data.get("currency", "USD"),
        "ship_to": ship_to,
        "customer_name": ship_to.get("name", ""),
        "customer_email": ship_to.get("email", ""),
        "shipping_method": data.get("shipping_method", ""),
        "placed_at": data.get("placed_at"),
        "notes": data.get("notes", ""),
        "tags": data.get("tags", []),
        "metadata": data.get("metadata", {}),
        "shipping": totals.get("shipping", 0),
        "tax": totals.get("tax", 0),
        "discount": totals.get("discount", 0),
        "payment": data.get("payment", {}),
        "priority": data.get("priority", 0),
        "subtotal": subtotal,
        "total": subtotal
        + Decimal(totals.get("shipping", 0))
        + Decimal(totals.get("tax", 0))
        - Decimal(totals.get("discount", 0)),
    }
    try:
        with transaction.atomic():
            order = Order.objects.create(account=account, **values)
            OrderLine.objects.bulk_create(
                [
                    OrderLine(
                        account=account,
                        order=order,
                        position=index,
                        product=product,
                        sku=item["sku"],
                        quantity=item["quantity"],
                        price=item.get("price") or 0,
                    )
                    for index, (item, product) in enumerate(
                        zip(data["items"], products, strict=True)
                    )
                ]
            )
            record(order, "created", data={"lines": len(products)}, actor=actor)
            if data.get("hold"):
                order.hold_reason = data.get("hold_reason", "") or "held at intake"
                order.save(update_fields=["hold_reason"])
                set_status(
                    order,
                    constants.ON_HOLD,
                    type="held",
                    data={"reason": order.hold_reason},
                    actor=actor,
                )
            webhooks.emit(account, "order.created", order_data(order))
    except IntegrityError as exc:
        existing = Order.objects.filter(
            account=account, channel=data["channel"], external_id=data["external_id"]
        ).first()
        if existing is None:
            raise
        raise DuplicateOrder(
            f"Order {existing.public_id} already has channel {data['channel']!r} and "
            f"external_id {data['external_id']!r}.",
            field="external_id",
            extra={"order_id": existing.public_id},
        ) from exc
    if account.auto_allocate and order.status == constants.PENDING:
        transaction.on_commit(lambda: _enqueue_allocation([order.pk]))
    return order


def _enqueue_allocation(order_ids: list[int]) -> None:
    from orders.tasks import allocate_order

    for order_id in order_ids:
        try:
            allocate_order.delay(order_id)
        except Exception as exc:  # broker down: the order stays pending; allocate by API
            logger.warning("allocation of order %s not queued (%s)", order_id, exc)


# --- allocation -----------------------------------------------------------------------------------
@dataclass
class AllocationResult:
    order: Order
    reserve: inventory.ReserveResult | None  # None: nothing was open to allocate


def _parts(lines: list[OrderLine]) -> dict[int, list[tuple[int, int]]]:
    """product id → [(stocked product id, units per unit)] for the lines' products."""
    kits = [line.product_id for line in lines if line.product.is_kit]
    parts: dict[int, list[tuple[int, int]]] = {
        line.product_id: [(line.product_id, 1)] for line in lines if not line.product.is_kit
    }
    for kit_id, component_id, quantity in KitComponent.objects.filter(kit_id__in=kits).values_list(
        "kit_id", "component_id", "quantity"
    ):
        parts.setdefault(kit_id, []).append((component_id, quantity))
    return parts


def _single_warehouse(account_id: int, wanted: list[tuple[OrderLine, int]]) -> int | None:
    """The highest-priority warehouse that can fill every wanted line, from a snapshot."""
    parts = _parts([line for line, _ in wanted])
    stocked = {pid for plist in parts.values() for pid, _ in plist}
    available, warehouses = available_by_warehouse(account_id=account_id, product_ids=stocked)
    for warehouse_id in warehouses:
        need: dict[int, int] = {}
        for line, quantity in wanted:
            for pid, per_unit in parts.get(line.product_id, []):
                need[pid] = need.get(pid, 0) + quantity * per_unit
        if all(available.get((pid, warehouse_id), 0) >= units for pid, units in need.items()):
            return warehouse_id
    return None


@atomic_with_retry
def order_allocate(
    *, order: Order, items: list[dict] | None = None, actor: str = ""
) -> AllocationResult:
    """Reserve stock for the order's open lines (or only `items`: line or product, quantity,
    warehouse): the whole order from one warehouse if any can fill it (highest priority first),
    otherwise line by line by priority. What cannot be covered stays open (backordered).
    Locks the order row, then stock levels. Allocating a fully allocated order is a no-op."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status == constants.ON_HOLD:
        raise Conflict("The order is on hold; release the hold first.", code="order_on_hold")
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
    pinned = _single_warehouse(locked.account_id, [(line, q) for line, q, _ in wanted])
    whole_order_warehouse = Warehouse.objects.get(pk=pinned) if pinned else None
    reserve_lines = [
        inventory.ReserveLine(
            line.product, quantity, warehouse or whole_order_warehouse, order_line_id=line.pk
        )
        for line, quantity, warehouse in wanted
    ]
    result = inventory.reserve(
        account_id=locked.account_id,
        lines=reserve_lines,
        reference=locked.public_id,
        allow_partial=True,
        actor=actor,
    )
    for (line, _, _), line_result in zip(wanted, result.lines, strict=True):
        if line_result.reserved:
            OrderLine.objects.filter(pk=line.pk).update(
                quantity_allocated=F("quantity_allocated") + line_result.reserved
            )
    _settle_status(locked, actor=actor, shortfall=bool(result.shortfalls))
    return AllocationResult(locked, result)


def _wanted(
    lines: list[OrderLine], items: list[dict] | None
) -> list[tuple[OrderLine, int, object]]:
    """(line, units to reserve, pinned warehouse or None) for the open lines, or for `items`."""
    if items is None:
        return [(line, line.open_quantity, None) for line in lines if line.open_quantity > 0]
    wanted = []
    for index, item in enumerate(items):
        line = next(
            (
                line
                for line in lines
                if line.public_id == item.get("line_id")
                or item.get("sku") in (line.sku, line.product.sku)
            ),
            None,
        )
        if line is None:
            raise ValidationFailed(
                f"The order has no line for {item.get('sku') or item.get('line_id')}.",
                field=f"items[{index}].sku",
            )
        quantity = min(item.get("quantity") or line.open_quantity, line.open_quantity)
        if quantity > 0:
            wanted.append((line, quantity, item.get("warehouse")))
    return wanted


def _settle_status(order: Order, *, actor: str, shortfall: bool) -> None:
    """Derive the status from the lines after allocating; emit order.allocated/backordered."""
    lines = list(order.lines.all())
    open_units = sum(line.open_quantity for line in lines)
    allocated = sum(line.quantity_allocated for line in lines)
    if open_units == 0:
        target, event, kind = constants.ALLOCATED, "order.allocated", "allocated"
    elif allocated:
        target, event, kind = constants.PARTIALLY_ALLOCATED, "order.backordered", "backordered"
    else:
        target, event, kind = constants.BACKORDERED, "order.backordered", "backordered"
    data = {"allocated_units": allocated, "open_units": open_units}
    if target != order.status:
        set_status(order, target, type=kind, data=data, actor=actor)
    elif shortfall and order.status == constants.BACKORDERED:
        return  # still nothing to reserve: no new event
    else:
        record(order, kind, data=data, actor=actor)
    webhooks.emit(order.account_id, event, order_data(order))


@atomic_with_retry
def order_deallocate(*, order: Order, actor: str = "") -> inventory.ReleaseResult:
    """Release every active reservation of the order; its lines return to open (pending)."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
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
    set_status(
        locked,
        constants.PENDING,
        type="deallocated",
        data={"released_units": sum(r.quantity for r in released.released)},
        actor=actor,
    )
    return released
