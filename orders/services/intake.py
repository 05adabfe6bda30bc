"""Order intake: validate, resolve SKUs (then channel aliases), record, queue allocation."""

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction

from catalog.models import Product
from catalog.selectors import resolve_skus
from orders import constants
from orders.exceptions import DuplicateOrder
from orders.models import Order, OrderLine
from orders.representation import order_data
from orders.services.history import record, set_status
from vectis.accounts.models import Account
from vectis.errors import ValidationFailed
from webhooks import services as webhooks

logger = logging.getLogger("vectis.orders")


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
