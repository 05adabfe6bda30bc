"""Order import: many orders accepted at once (the orders CSV import), by intake's rules.

Each order is checked as `order_create` checks it (SKUs or the channel's aliases, archived
products, totals) and is written as it writes one: status pending (on_hold with `hold`), its
history entry, its `order.created` event with the API representation, and, when the account
allocates automatically, due for allocation by the dispatcher. The statements are constant per
batch, whatever its size: SKUs resolved per channel, existing orders found in one query, and
orders, lines, history and events each written by one COPY on PostgreSQL.
"""

from dataclasses import dataclass

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from catalog.selectors import resolve_skus
from orders import constants
from orders.models import Order, OrderEvent, OrderLine
from orders.representation import OrderSerializer
from orders.services.intake import after_commit_allocate, items_products, order_values
from vectis.accounts.models import Account
from vectis.db import bulk_insert
from vectis.errors import Conflict, ValidationFailed
from webhooks import services as webhooks

ORDER_COLUMNS = [
    "public_id",
    "account_id",
    "channel",
    "external_id",
    "status",
    "sub_status",
    "hold_reason",
    "currency",
    "ship_to",
    "customer_name",
    "customer_email",
    "shipping_method",
    "placed_at",
    "notes",
    "tags",
    "metadata",
    "shipping",
    "tax",
    "discount",
    "subtotal",
    "total",
    "payment",
    "priority",
    "allocation_due_at",
    "created_at",
    "updated_at",
]
LINE_COLUMNS = [
    "public_id",
    "account_id",
    "order_id",
    "position",
    "product_id",
    "sku",
    "quantity",
    "price",
    "quantity_allocated",
    "quantity_shipped",
    "quantity_cancelled",
    "quantity_returned",
]
EVENT_COLUMNS = [
    "account_id",
    "order_id",
    "type",
    "from_status",
    "to_status",
    "data",
    "actor",
    "created_at",
]
_ENCODER = DjangoJSONEncoder()


@dataclass
class ImportOutcome:
    index: int  # the order's position in the batch
    status: str  # created | existing | error
    order: Order | None = None
    existing_id: str | None = None  # the order already holding (channel, external_id)
    error: dict | None = None


def orders_import(
    *, account: Account, orders: list[dict], actor: str = "", skip_existing: bool = False
) -> list[ImportOutcome]:
    """Create `orders` (OrderCreateSerializer's validated data) in the caller's transaction
    and return one outcome per order, in order. An order whose (channel, external_id) exists
    already, in the database or earlier in the batch, is refused as `duplicate_order`, or
    reported as `existing` with `skip_existing`. Orders that fail are not written; the others
    are (the caller rolls back when it wants all or nothing)."""
    found_by_channel = {
        channel: resolve_skus(
            account=account,
            skus={i["sku"] for o in orders if o["channel"] == channel for i in o["items"]},
            channel=channel,
        )
        for channel in {o["channel"] for o in orders}
    }
    existing = _existing(account, orders)
    now = timezone.now()
    auto = account.auto_allocate
    outcomes: list[ImportOutcome] = []
    created: list[tuple[Order, list[OrderLine]]] = []
    seen: set[tuple[str, str]] = set()
    for index, data in enumerate(orders):
        key = (data["channel"], data["external_id"])
        if key in existing or key in seen:
            outcomes.append(_duplicate(index, key, existing.get(key), skip_existing))
            continue
        try:
            products = items_products(data["items"], found_by_channel[data["channel"]])
            values = order_values(data)
        except (ValidationFailed, Conflict) as exc:  # this order's, reported in its outcome
            error = {"code": exc.code, "message": exc.message, "field": exc.field}
            outcomes.append(ImportOutcome(index, "error", error=error))
            continue
        seen.add(key)
        held = bool(data.get("hold"))
        order = Order(
            account_id=account.pk,
            status=constants.ON_HOLD if held else constants.PENDING,
            hold_reason=(data.get("hold_reason", "") or "held at intake") if held else "",
            allocation_due_at=now if auto and not held else None,
            created_at=now,
            updated_at=now,
            **values,
        )
        lines = [
            OrderLine(  # order_id is set once the order has its id
                account_id=account.pk,
                position=position,
                product=product,
                sku=item["sku"],
                quantity=item["quantity"],
                price=item.get("price") or 0,
            )
            for position, (item, product) in enumerate(zip(data["items"], products, strict=True))
        ]
        created.append((order, lines))
        outcomes.append(ImportOutcome(index, "created", order=order))
    if created:
        _write(account, created, actor=actor, now=now)
    return outcomes


def _existing(account: Account, orders: list[dict]) -> dict[tuple[str, str], str]:
    """(channel, external_id) → public id of the batch's orders that exist already: one query."""
    channels = {o["channel"] for o in orders}
    external_ids = {o["external_id"] for o in orders}
    wanted = {(o["channel"], o["external_id"]) for o in orders}
    rows = Order.objects.filter(
        account=account, channel__in=channels, external_id__in=external_ids
    ).values_list("channel", "external_id", "public_id")
    return {(c, e): public_id for c, e, public_id in rows if (c, e) in wanted}


def _duplicate(index: int, key: tuple[str, str], existing_id, skip: bool) -> ImportOutcome:
    channel, external_id = key
    if skip and existing_id:
        return ImportOutcome(index, "existing", existing_id=existing_id)
    where = f"Order {existing_id} already has" if existing_id else "An earlier order has"
    return ImportOutcome(
        index,
        "error",
        existing_id=existing_id,
        error={
            "code": "duplicate_order",
            "message": f"{where} channel {channel!r} and external_id {external_id!r}.",
            "field": "external_id",
        },
    )


def _write(account: Account, created, *, actor: str, now) -> None:
    orders = [order for order, _ in created]
    bulk_insert(Order, orders, ORDER_COLUMNS, _order_row)
    all_lines = []
    history = []
    for order, lines in created:
        for line in lines:
            line.order_id = order.pk
        all_lines.extend(lines)
        history.append(
            OrderEvent(
                account_id=account.pk,
                order=order,
                type="created",
                from_status=constants.PENDING,
                to_status=constants.PENDING,
                data={"lines": len(lines)},
                actor=actor,
                created_at=now,
            )
        )
        if order.status == constants.ON_HOLD:
            history.append(
                OrderEvent(
                    account_id=account.pk,
                    order=order,
                    type="held",
                    from_status=constants.PENDING,
                    to_status=constants.ON_HOLD,
                    data={"reason": order.hold_reason},
                    actor=actor,
                    created_at=now,
                )
            )
        order._prefetched_objects_cache = {"lines": lines}
    bulk_insert(OrderLine, all_lines, LINE_COLUMNS, _line_row)
    bulk_insert(OrderEvent, history, EVENT_COLUMNS, _event_row)
    # One serializer for the batch (its fields are built once): the same representation
    # order_create emits and answers with.
    representations = OrderSerializer(orders, many=True).data
    for order, representation in zip(orders, representations, strict=True):
        order.representation = representation
    webhooks.emit_many(account, [("order.created", r) for r in representations])
    due = [order.pk for order in orders if order.allocation_due_at is not None]
    if due:
        after_commit_allocate(due)


def _json(value) -> str:
    return orjson.dumps(value, default=_ENCODER.default).decode()


def _order_row(o: Order) -> tuple:
    return (
        o.public_id,
        o.account_id,
        o.channel,
        o.external_id,
        o.status,
        o.sub_status,
        o.hold_reason,
        o.currency,
        _json(o.ship_to),
        o.customer_name,
        o.customer_email,
        o.shipping_method,
        o.placed_at,
        o.notes,
        _json(o.tags),
        _json(o.metadata),
        o.shipping,
        o.tax,
        o.discount,
        o.subtotal,
        o.total,
        _json(o.payment),
        o.priority,
        o.allocation_due_at,
        o.created_at,
        o.updated_at,
    )


def _line_row(line: OrderLine) -> tuple:
    return (
        line.public_id,
        line.account_id,
        line.order_id,
        line.position,
        line.product_id,
        line.sku,
        line.quantity,
        line.price,
        0,
        0,
        0,
        0,
    )


def _event_row(e: OrderEvent) -> tuple:
    return (
        e.account_id,
        e.order_id,
        e.type,
        e.from_status,
        e.to_status,
        _json(e.data),
        e.actor,
        e.created_at,
    )
