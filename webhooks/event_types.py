"""The one registry of webhook event types: name, meaning, who may read it, payload shape."""

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    # The read scope that lets a client see this event in GET /v1/events.
    scope: str
    # Name of the OpenAPI component describing `data` (the resource's API representation).
    schema: str | None = None
    # JSON schema of `data` when no API resource has that shape (added as the component).
    payload: dict | None = None


def _object(required: dict[str, dict], optional: dict[str, dict] | None = None) -> dict:
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


_STR, _INT = {"type": "string"}, {"type": "integer"}
INVENTORY_ADJUSTED = _object(
    {
        "movement_id": {**_STR, "description": "The ledger row (`mov_…`)."},
        "product_id": _STR,
        "sku": _STR,
        "warehouse_id": _STR,
        "location_id": _STR,
        "location_code": _STR,
        "delta": {**_INT, "description": "Signed change of on_hand at the location."},
        "reason": _STR,
        "reference": {**_STR, "description": "A transfer's two events share a `trf_…` one."},
        "note": _STR,
        "on_hand": {**_INT, "description": "New on_hand at the location."},
        "reserved": _INT,
        "available": _INT,
    }
)
INVENTORY_LOW_STOCK = _object(
    {
        "product_id": _STR,
        "sku": _STR,
        "warehouse_id": _STR,
        "threshold": _INT,
        "on_hand": {**_INT, "description": "In the warehouse, every bin."},
        "reserved": _INT,
        "available": {**_INT, "description": "Pickable bins, live reservations excluded."},
    }
)

_COUNTS = _object({"on_hand": _INT, "reserved": _INT, "available": _INT})
INVENTORY_AVAILABLE_CHANGED = _object(
    {
        "product_id": _STR,
        "sku": _STR,
        "type": {**_STR, "enum": ["simple", "kit"]},
        "warehouse_id": _STR,
        "warehouse_code": _STR,
        "on_hand": {**_INT, "description": "In the warehouse, every bin."},
        "reserved": {**_INT, "description": "Live reservations (lapsed holds excluded)."},
        "available": {
            **_INT,
            "description": "What can be sold from the warehouse: as GET /v1/inventory shows it.",
        },
        "total": {**_COUNTS, "description": "The product over every warehouse."},
        "causes": {
            "type": "array",
            "description": "What changed it in this transaction, in order: `reason` (reserved, "
            "released, expired, shipped, ship_voided, adjusted, transferred) and the ledger rows "
            "written (`mov_…`).",
            "items": _object({"reason": _STR, "movement_ids": {"type": "array", "items": _STR}}),
        },
    }
)
ORDER_STATUSES = [
    "pending",
    "allocated",
    "partially_allocated",
    "backordered",
    "partially_shipped",
    "shipped",
    "delivered",
    "on_hold",
    "cancelled",
]
ORDER_STATUS_CHANGED = _object(
    {
        "order_id": {**_STR, "description": "The order (`ord_…`)."},
        "external_id": _STR,
        "channel": _STR,
        "from": {**_STR, "enum": ORDER_STATUSES},
        "to": {**_STR, "enum": ORDER_STATUSES},
        "cause": {
            **_STR,
            "description": "What moved it: the type of the order's history entry (`allocated`, "
            "`held`, `released`, `shipped`, `package_voided`, `deallocated`, `cancelled`, …).",
        },
    }
)


_TYPES = [
    EventType(
        "ping", "Sent by POST /v1/webhooks/{id}/test to check an endpoint.", "webhooks:manage"
    ),
    # Orders
    EventType("order.created", "An order was accepted.", "orders:read", "Order"),
    EventType(
        "order.updated", "Order fields changed; `data.changed` lists them.", "orders:read", "Order"
    ),
    EventType("order.allocated", "Every line of an order is reserved.", "orders:read", "Order"),
    EventType("order.backordered", "Some or all lines lack stock.", "orders:read", "Order"),
    EventType("order.held", "An order was put on hold.", "orders:read", "Order"),
    EventType(
        "order.released",
        "An order's hold was released; it is back where its lines put it.",
        "orders:read",
        "Order",
    ),
    EventType(
        "order.deallocated",
        "Every reservation of an order was released; its lines are open again.",
        "orders:read",
        "Order",
    ),
    EventType(
        "order.status_changed",
        "An order's status changed, for any reason: `from`, `to` and the `cause` (besides the "
        "specific event of that change).",
        "orders:read",
        "OrderStatusChangedEvent",
        ORDER_STATUS_CHANGED,
    ),
    EventType(
        "order.cancelled", "An order (or some of its lines) was cancelled.", "orders:read", "Order"
    ),
    EventType("order.shipped", "Every unit of an order has shipped.", "orders:read", "Order"),
    EventType(
        "order.delivered", "Every package of an order was delivered.", "orders:read", "Order"
    ),
    # Packages
    EventType("package.created", "A package was created for an order.", "packages:read", "Package"),
    EventType("package.shipped", "A package shipped with a label.", "packages:read", "Package"),
    EventType(
        "package.in_transit",
        "The carrier scanned a package in transit.",
        "packages:read",
        "Package",
    ),
    EventType(
        "package.out_for_delivery",
        "The carrier scanned a package out for delivery.",
        "packages:read",
        "Package",
    ),
    EventType("package.delivered", "A package was delivered.", "packages:read", "Package"),
    EventType(
        "package.exception",
        "The carrier reported a delivery exception for a package.",
        "packages:read",
        "Package",
    ),
    EventType(
        "package.voided",
        "A shipped package's label was voided: its units are allocated again and it is pending.",
        "packages:read",
        "Package",
    ),
    EventType(
        "package.cancelled",
        "A pending package was emptied (its units cancelled or planned elsewhere).",
        "packages:read",
        "Package",
    ),
    # Inventory
    EventType(
        "inventory.adjusted",
        "On-hand stock changed by an adjustment or transfer.",
        "inventory:read",
        "InventoryAdjustedEvent",
        INVENTORY_ADJUSTED,
    ),
    EventType(
        "inventory.available_changed",
        "Stock of a SKU in a warehouse changed, for any reason (once per transaction, with the "
        "counts at commit): what a channel shows as available.",
        "inventory:read",
        "InventoryAvailableChangedEvent",
        INVENTORY_AVAILABLE_CHANGED,
    ),
    EventType(
        "inventory.low_stock",
        "Available stock in a warehouse fell to or below its threshold (once per crossing).",
        "inventory:read",
        "InventoryLowStockEvent",
        INVENTORY_LOW_STOCK,
    ),
    # Products
    EventType("product.created", "A product was created.", "products:read", "Product"),
    EventType("product.updated", "A product changed.", "products:read", "Product"),
    EventType(
        "product.archived",
        "A product still referenced by stock, orders or kits was archived instead of deleted.",
        "products:read",
        "Product",
    ),
    EventType(
        "product.deleted", "An unreferenced product was deleted.", "products:read", "Product"
    ),
    # Returns
    EventType("return.created", "A return (RMA) was requested.", "returns:read", "Return"),
    EventType("return.authorized", "A return was authorized.", "returns:read", "Return"),
    EventType("return.rejected", "A return was rejected.", "returns:read", "Return"),
    EventType("return.cancelled", "A return was cancelled.", "returns:read", "Return"),
    EventType("return.received", "Returned units were received.", "returns:read", "Return"),
    EventType("return.closed", "A return was closed.", "returns:read", "Return"),
    # Warehouses
    EventType("warehouse.created", "A warehouse was created.", "warehouses:read", "Warehouse"),
    EventType("warehouse.updated", "A warehouse changed.", "warehouses:read", "Warehouse"),
]

EVENT_TYPES: dict[str, EventType] = {t.name: t for t in _TYPES}


def get(name: str) -> EventType:
    try:
        return EVENT_TYPES[name]
    except KeyError:
        raise ValueError(
            f"Unknown event type {name!r}; declare it in webhooks/event_types.py"
        ) from None


def types_visible_to(scopes: frozenset[str] | set[str]) -> list[str]:
    """Event types whose read scope is among `scopes` (all of them with webhooks:manage)."""
    if "webhooks:manage" in scopes:
        return list(EVENT_TYPES)
    return [t.name for t in _TYPES if t.scope in scopes]
