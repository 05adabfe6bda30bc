"""The bodies every side of a comparison sends: the same order, package and adjustment for
Vectis, B_sql (rendered into the pgbench scripts) and B_py."""

import secrets

from bench.harness.data import public_id

SHIP_TO = {
    "name": "Bench Buyer",
    "address1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


def contiguous(ids: list[int], what: str) -> int:
    if ids != list(range(ids[0], ids[0] + len(ids))):
        raise SystemExit(f"{what} ids are not contiguous; the SQL baselines need them so")
    return ids[0]


def order_payload(lines: int = 3) -> dict:
    """An order as the API renders it in events (orders.representation.OrderSerializer)."""
    return {
        "id": public_id("ord"),
        "external_id": "bench-" + secrets.token_hex(8),
        "channel": "web",
        "status": "pending",
        "sub_status": "",
        "hold_reason": "",
        "currency": "USD",
        "ship_to": SHIP_TO,
        "shipping_method": "",
        "placed_at": None,
        "notes": "",
        "tags": [],
        "metadata": {},
        "payment": {},
        "priority": 0,
        "totals": {"shipping": "0.00", "tax": "0.00", "discount": "0.00"},
        "subtotal": "30.00",
        "total": "30.00",
        "items": [
            {
                "id": public_id("lin"),
                "sku": f"SKU-{i:04d}",
                "product_id": public_id("prd"),
                "quantity": 1,
                "price": "10.00",
                "quantity_allocated": 0,
                "quantity_shipped": 0,
                "quantity_cancelled": 0,
                "quantity_returned": 0,
            }
            for i in range(lines)
        ],
        "created_at": "2026-12-01T00:00:00.000000Z",
        "updated_at": "2026-12-01T00:00:00.000000Z",
    }


def package_payload() -> dict:
    return {
        "id": public_id("pkg"),
        "order_id": public_id("ord"),
        "warehouse_id": public_id("wh"),
        "status": "pending",
        "carrier": "",
        "service": "",
        "tracking_number": "",
        "weight": None,
        "weight_unit": "g",
        "dimensions": {"length": None, "width": None, "height": None, "unit": "cm"},
        "lines": [
            {"line_id": public_id("lin"), "sku": f"SKU-{i:04d}", "quantity": 1} for i in range(3)
        ],
        "labels": [],
        "shipped_at": None,
        "delivered_at": None,
        "created_at": "2026-12-01T00:00:00.000000Z",
        "updated_at": "2026-12-01T00:00:00.000000Z",
    }


def adjust_payload() -> dict:
    return {
        "movement_id": public_id("mov"),
        "product_id": public_id("prd"),
        "sku": "ADJ-0001",
        "warehouse_id": public_id("wh"),
        "location_id": public_id("loc"),
        "location_code": "DEFAULT",
        "delta": 3,
        "reason": "correction",
        "reference": "",
        "note": "",
        "on_hand": 1000003,
        "reserved": 0,
        "available": 1000003,
    }
