"""The typed body fields of every write (dates, integers, money, strings), each with a request
that puts a hostile value in it; the tests in test_hostile_bodies.py and test_hostile_input.py
send them all."""

from tests.api.hostile import new, order_body
from tests.factories import REFERENCE_ORDER
from tests.helpers import warehouse_body


def date_fields(world):
    return [
        ("POST", "/v1/orders", lambda v: order_body(placed_at=v), "placed_at"),
        (
            "POST",
            f"/v1/packages/{world.shipped_package}/tracking",
            lambda v: {"status": "in_transit", "occurred_at": v},
            "occurred_at",
        ),
        ("POST", f"/v1/webhooks/{world.webhook}/recover", lambda v: {"since": v}, "since"),
    ]


NOT_INTEGERS = [1.0, "1", 1e2, True, "1.0", 1.5, "", [1], {"n": 1}]


def integer_fields(world):
    adjust = {"sku": "A", "warehouse_id": world.warehouse, "reason": "found"}
    reserve = {"reference": "cart-1", "items": [{"sku": "A", "quantity": 1}]}
    return [
        (
            "POST",
            "/v1/orders",
            lambda v: order_body(items=[{"sku": "A", "quantity": v}]),
            "items[0].quantity",
        ),
        ("POST", "/v1/orders", lambda v: order_body(priority=v), "priority"),
        (
            "PATCH",
            f"/v1/orders/{world.pending}",
            lambda v: {"items": [{"line_id": world.pending_line, "quantity": v}]},
            "items[0].quantity",
        ),
        ("PATCH", f"/v1/orders/{world.pending}", lambda v: {"priority": v}, "priority"),
        (
            "POST",
            f"/v1/orders/{world.pending}/cancel",
            lambda v: {"items": [{"line_id": world.pending_line, "quantity": v}]},
            "items[0].quantity",
        ),
        (
            "POST",
            f"/v1/orders/{world.allocated}/ship",
            lambda v: {
                "packages": [
                    {
                        "warehouse_id": world.warehouse,
                        "lines": [{"line_id": world.allocated_line, "quantity": v}],
                    }
                ]
            },
            "packages[0].lines[0].quantity",
        ),
        (
            "POST",
            f"/v1/packages/{world.package}/split",
            lambda v: {"lines": [{"sku": "A", "quantity": v}]},
            "lines[0].quantity",
        ),
        ("POST", "/v1/inventory/adjust", lambda v: {**adjust, "quantity": v}, "quantity"),
        ("POST", "/v1/inventory/adjust", lambda v: {**adjust, "set_on_hand": v}, "set_on_hand"),
        (
            "POST",
            "/v1/inventory/adjust",
            lambda v: {**adjust, "quantity": 1, "expected_on_hand": v},
            "expected_on_hand",
        ),
        (
            "POST",
            "/v1/inventory/transfer",
            lambda v: {
                "sku": "A",
                "quantity": v,
                "from_warehouse_id": world.warehouse,
                "to_warehouse_id": world.warehouse,
                "to_location_id": world.bin,
            },
            "quantity",
        ),
        (
            "POST",
            "/v1/inventory/reserve",
            lambda v: {**reserve, "items": [{"sku": "A", "quantity": v}]},
            "items[0].quantity",
        ),
        ("POST", "/v1/inventory/reserve", lambda v: {**reserve, "expires_in": v}, "expires_in"),
        (
            "POST",
            "/v1/inventory/thresholds",
            lambda v: {"sku": "A", "warehouse_id": world.warehouse, "low_stock_threshold": v},
            "low_stock_threshold",
        ),
        (
            "POST",
            "/v1/products",
            lambda v: {
                "sku": new("KIT"),
                "name": "Kit",
                "type": "kit",
                "components": [{"sku": "A", "quantity": v}],
            },
            "components[0].quantity",
        ),
        (
            "POST",
            "/v1/products",
            lambda v: {"sku": new("N"), "name": "N", "low_stock_threshold": v},
            "low_stock_threshold",
        ),
        (
            "POST",
            "/v1/returns",
            lambda v: {
                "order_id": world.shipped,
                "lines": [{"sku": "B", "quantity": v, "reason": "damaged"}],
            },
            "lines[0].quantity",
        ),
        (
            "POST",
            f"/v1/returns/{world.authorized}/receive",
            lambda v: {
                "lines": [
                    {
                        "sku": "A",
                        "quantity_received": v,
                        "condition": "new",
                        "disposition": "restock",
                    }
                ]
            },
            "lines[0].quantity_received",
        ),
        ("POST", "/v1/warehouses", lambda v: warehouse_body(new("W"), priority=v), "priority"),
    ]


BAD_MONEY = [
    "-0",
    "-0.00",
    -0.0,
    "1E+2",
    "1e2",
    -1,
    "-1",
    -0.01,
    "1.00001",
    1.00001,
    "",
    "-",
    "+1",
    " 1",
    "1.",
    ".5",
    "NaN",
    "Infinity",
    "0x10",
    "1_000",
    True,
    [],
    {},
]


def money_fields(world):
    return [
        (
            "POST",
            "/v1/orders",
            lambda v: order_body(items=[{"sku": "A", "quantity": 1, "price": v}]),
            "items[0].price",
        ),
        *[
            ("POST", "/v1/orders", lambda v, k=k: order_body(totals={k: v}), f"totals.{k}")
            for k in ("shipping", "tax", "discount")
        ],
        (
            "PATCH",
            f"/v1/orders/{world.pending}",
            lambda v: {"items": [{"sku": "B", "quantity": 1, "price": v}]},
            "items[0].price",
        ),
        ("POST", "/v1/products", lambda v: {"sku": new("N"), "name": "N", "price": v}, "price"),
        ("POST", "/v1/products", lambda v: {"sku": new("N"), "name": "N", "cost": v}, "cost"),
        ("PATCH", f"/v1/products/{world.product}", lambda v: {"price": v}, "price"),
        (
            "POST",
            f"/v1/returns/{world.requested}/authorize",
            lambda v: {"refund": {"amount": v, "currency": "USD"}},
            "refund.amount",
        ),
        (
            "POST",
            f"/v1/returns/{world.received}/close",
            lambda v: {"refund": {"amount": v, "currency": "USD"}},
            "refund.amount",
        ),
    ]


NOT_STRINGS = [123, 1.5, True, ["A"], {"a": "b"}]


def string_fields(world):
    return [
        (
            "POST",
            f"/v1/warehouses/{world.warehouse}/locations",
            lambda v: {"code": v},
            "code",
        ),
        ("PATCH", f"/v1/locations/{world.bin}", lambda v: {"code": v}, "code"),
        ("POST", "/v1/warehouses", lambda v: warehouse_body(v), "code"),
        ("POST", "/v1/products", lambda v: {"sku": v, "name": "N"}, "sku"),
        ("POST", "/v1/products", lambda v: {"sku": new("N"), "name": v}, "name"),
        ("POST", "/v1/orders", lambda v: order_body(external_id=v), "external_id"),
        ("POST", "/v1/orders", lambda v: order_body(channel=v), "channel"),
        (
            "POST",
            "/v1/orders",
            lambda v: order_body(ship_to={**REFERENCE_ORDER["ship_to"], "postal_code": v}),
            "ship_to.postal_code",
        ),
        (
            "POST",
            "/v1/orders",
            lambda v: order_body(items=[{"sku": v, "quantity": 1}]),
            "items[0].sku",
        ),
        ("POST", "/v1/orders", lambda v: order_body(tags=[v]), "tags[0]"),
        ("PATCH", f"/v1/orders/{world.pending}", lambda v: {"notes": v}, "notes"),
        (
            "POST",
            "/v1/inventory/adjust",
            lambda v: {"sku": "A", "warehouse_id": v, "reason": "found", "quantity": 1},
            "warehouse_id",
        ),
        ("POST", f"/v1/orders/{world.pending}/hold", lambda v: {"reason": v}, "reason"),
        ("PATCH", f"/v1/webhooks/{world.webhook}", lambda v: {"description": v}, "description"),
        (
            "POST",
            "/v1/orders",
            lambda v: order_body(ship_to={**REFERENCE_ORDER["ship_to"], "country": v}),
            "ship_to.country",
        ),
    ]
