from tests.inventory.conftest import other_stock, stock  # noqa: F401  (shared fixtures)

REFERENCE_ORDER = {
    "external_id": "SHOP-12345",
    "channel": "shopify",
    "items": [
        {"sku": "WIDGET-BLU", "quantity": 2, "price": 29.99},
        {"sku": "GADGET-RED", "quantity": 1, "price": 49.99},
    ],
    "ship_to": {
        "name": "John Doe",
        "address1": "123 Main St",
        "city": "Phoenix",
        "state": "AZ",
        "postal_code": "85001",
        "country": "US",
    },
}
