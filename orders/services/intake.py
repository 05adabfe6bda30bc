"""Order intake: validate, resolve SKUs (then channel aliases), record, queue allocation."""

import logging

from celery import current_app
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Product
from catalog.selectors import resolve_skus
from orders import constants, totals
from orders.exceptions import DuplicateOrder, FieldLocked
from orders.lines import matching
from orders.models import Order, OrderLine
from orders.representation import order_data
from orders.services.history import lock, record, set_status
from vectis import tasks
from vectis.accounts.models import Account
from vectis.db_retry import atomic_with_retry
from vectis.errors import Conflict, ValidationFailed
from webhooks import services as webhooks

logger = logging.getLogger("vectis.orders")


# --- create ---------------------------------------------------------------------------------------
def _resolve_items(
    account: Account, channel: str, items: list[dict], positions: list[int] | None = None
) -> list[Product]:
    """The product of each item (SKU, then the channel's alias); `positions` are the items'
    indexes in the request, for error fields."""
    found = resolve_skus(account=account, skus=[i["sku"] for i in items], channel=channel)
    return items_products(items, found, positions)


def items_products(
    items: list[dict], found: dict[str, Product], positions: list[int] | None = None
) -> list[Product]:
    """The product of each item from `found` (resolve_skus's answer): an unknown SKU or an
    archived product is refused, naming the item."""
    products = []
    for n, item in enumerate(items):
        index = positions[n] if positions is not None else n
        product = found.get(item["sku"])
        if product is None:
            raise ValidationFailed(
                f"Invalid SKU: {item['sku']} not found", field=f"items[{index}].sku"
            )
        if not product.active:
            # the product's state, not the body: a conflict (it may be reactivated)
            raise Conflict(
                f"Product {item['sku']} is archived and cannot be ordered.",
                field=f"items[{index}].sku",
                code="product_inactive",
            )
        products.append(product)
    return products


def order_values(data: dict) -> dict:
    """An accepted order's columns from its validated data (OrderCreateSerializer's), totals
    computed and checked."""
    money = data.get("totals", {})
    sums = totals.compute(
        ((item.get("price"), item["quantity"]) for item in data["items"]),
        shipping=money.get("shipping", 0),
        tax=money.get("tax", 0),
        discount=money.get("discount", 0),
        negative_field="totals.discount",
    )
    ship_to = data["ship_to"]
    return {
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
        "shipping": money.get("shipping", 0),
        "tax": money.get("tax", 0),
        "discount": money.get("discount", 0),
        "payment": data.get("payment", {}),
        "priority": data.get("priority", 0),
        "subtotal": sums.subtotal,
        "total": sums.total,
    }


def order_create(*, account: Account, data: dict, actor: str = "") -> Order:
    """Accept an order (status pending, or on_hold with `hold`); emits order.created and, with
    the account's auto_allocate, queues allocation after commit. The order comes back with
    `representation`, its API form as of the commit (the event's payload)."""
    products = _resolve_items(account, data["channel"], data["items"])
    values = order_values(data)
    auto = account.auto_allocate and not data.get("hold")
    if auto:
        values["allocation_due_at"] = timezone.now()
    try:
        with transaction.atomic():
            order = Order.objects.create(account=account, **values)
            lines = OrderLine.objects.bulk_create(
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
            # Serialized once: the event's payload is also the API's answer.
            order.representation = order_data(order, lines=lines)
            webhooks.emit(account, "order.created", order.representation)
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
    if auto:
        after_commit_allocate([order.pk])
    return order


def request_allocation(order: Order) -> None:
    """Ask for the order to be allocated after the current transaction commits. The request
    is recorded on the order itself, so a task the broker lost is found by the sweep."""
    order.allocation_due_at = timezone.now()
    Order.objects.filter(pk=order.pk).update(allocation_due_at=order.allocation_due_at)
    after_commit_allocate([order.pk])


def after_commit_allocate(order_ids: list[int]) -> None:
    """Nothing is queued per order: the dispatcher (`manage.py dispatch`) allocates the orders
    whose `allocation_due_at` is set, many per transaction, and the periodic sweep does when
    no dispatcher runs. Only with tasks in-process (no broker) are they allocated right after
    the commit, on a background thread."""
    if not current_app.conf.task_always_eager:
        return
    from orders.tasks import allocate_order

    def allocate() -> None:
        for order_id in order_ids:
            tasks.enqueue(allocate_order, (order_id,))

    transaction.on_commit(allocate)


# --- update ---------------------------------------------------------------------------------------
SIMPLE_FIELDS = ("notes", "tags", "metadata", "shipping_method", "sub_status", "priority")


@atomic_with_retry
def order_update(*, order: Order, data: dict, actor: str = "") -> list[str]:
    """Change fields (`ship_to` merges) while the order is not fully shipped; `items` (line_id +
    quantity to change or, 0, remove; sku + quantity + price to add) only while pending or
    backordered. Returns the changed fields; emits order.updated carrying them."""
    locked = lock(order)
    closed = (constants.SHIPPED, constants.DELIVERED, constants.CANCELLED)
    if locked.status in closed and data:
        field = next(iter(data))
        raise FieldLocked(f"{field} cannot change once the order is {locked.status}.", field=field)
    if "items" in data and locked.status not in (constants.PENDING, constants.BACKORDERED):
        raise FieldLocked(
            f"items can change only while the order is pending or backordered, not "
            f"{locked.status}.",
            field="items",
        )
    changed = []
    for name in SIMPLE_FIELDS:
        if name in data and getattr(locked, name) != data[name]:
            setattr(locked, name, data[name])
            changed.append(name)
    if "ship_to" in data:
        merged = {**locked.ship_to, **data["ship_to"]}
        if merged != locked.ship_to:
            locked.ship_to = merged
            locked.customer_name = merged.get("name", "")
            locked.customer_email = merged.get("email", "")
            changed.append("ship_to")
    if data.get("items"):
        _change_items(locked, data["items"])
        changed.append("items")
    if not changed:
        return []
    locked.save()
    record(locked, "updated", data={"changed": changed}, actor=actor)
    if "notes" in changed:
        record(locked, "note_added", data={"notes": locked.notes}, actor=actor)
    webhooks.emit(locked.account_id, "order.updated", {**order_data(locked), "changed": changed})
    if "items" in changed and locked.account.auto_allocate:
        request_allocation(locked)
    return changed


def _change_items(order: Order, items: list[dict]) -> None:
    lines = {line.public_id: line for line in order.lines.select_related("product")}
    seen: set[str] = set()
    for index, item in enumerate(items):
        line_id = item.get("line_id")
        if not line_id:
            continue
        if line_id in seen:
            raise ValidationFailed(
                f"Line {line_id} is listed twice.", field=f"items[{index}].line_id"
            )
        seen.add(line_id)
        (line,) = matching(list(lines.values()), item, where=f"items[{index}]")
        floor = line.quantity_allocated + line.quantity_shipped + line.quantity_cancelled
        if item["quantity"] == 0:
            if floor or line.reservations.exists():
                # it has a history (reservations, cancellations): cancel what is left instead
                line.quantity_cancelled = line.quantity - line.quantity_shipped
                line.quantity_allocated = 0
                line.save(update_fields=["quantity_cancelled", "quantity_allocated"])
            else:
                line.delete()
            continue
        if item["quantity"] < floor:
            raise ValidationFailed(
                f"Line {line_id} already has {floor} units allocated, shipped or cancelled.",
                field=f"items[{index}].quantity",
            )
        line.quantity = item["quantity"]
        if "price" in item:
            line.price = item["price"]
        line.save(update_fields=["quantity", "price"])
    new_items = [(i, item) for i, item in enumerate(items) if not item.get("line_id")]
    products = _resolve_items(
        order.account,
        order.channel,
        [item for _, item in new_items],
        positions=[i for i, _ in new_items],
    )
    position = max((line.position for line in lines.values()), default=-1) + 1
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                account_id=order.account_id,
                order=order,
                position=position + n,
                product=product,
                sku=item["sku"],
                quantity=item["quantity"],
                price=item.get("price") or 0,
            )
            for n, ((_, item), product) in enumerate(zip(new_items, products, strict=True))
        ]
    )
    remaining = [line for line in order.lines.all() if line.quantity > line.quantity_cancelled]
    if not remaining:
        raise ValidationFailed("An order needs at least one line.", field="items")
    sums = totals.of_order(order, remaining, negative_field="items")
    order.subtotal, order.total = sums.subtotal, sums.total
