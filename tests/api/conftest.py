"""Fixtures of the hostile-input tests (tests/api/hostile.py holds their tables)."""

import pytest

from orders.models import Package
from tests import factories
from tests.api.hostile import World, created, order_body
from tests.factories import Stock
from tests.helpers import warehouse_body
from warehouses.models import Warehouse
from webhooks.models import WebhookEndpoint


@pytest.fixture
def world(api, account, settings):
    stock = Stock(account)
    settings.VECTIS_WEBHOOK_ALLOW_HTTP = True
    settings.VECTIS_WEBHOOK_ALLOW_PRIVATE = True
    # these tests send thousands of requests from one client
    settings.VECTIS_RATE_LIMIT_ENABLED = False
    account.auto_allocate = False
    account.save()
    # through the API: a warehouse made by the service without an address cannot be rendered
    wh = Warehouse.objects.get(
        public_id=created(api.post("/v1/warehouses", warehouse_body("MAIN")))["id"]
    )
    bin_ = stock.location(wh, "BIN-1")
    a, b = stock.product("A"), stock.product("B")
    stock.receive(a, wh, 50)
    stock.receive(b, wh, 50)

    def order(external_id, items):
        return created(api.post("/v1/orders", factories.order_body(external_id, items=items)))

    pending = order("P-1", [{"sku": "A", "quantity": 2}])
    allocated = order("Q-1", [{"sku": "A", "quantity": 3}])
    created(api.post(f"/v1/orders/{allocated['id']}/allocate"))
    package = Package.objects.get(order__public_id=allocated["id"]).public_id
    shipped = order("S-1", [{"sku": "A", "quantity": 3}, {"sku": "B", "quantity": 1}])
    created(api.post(f"/v1/orders/{shipped['id']}/allocate"))
    created(api.post(f"/v1/orders/{shipped['id']}/ship"))
    shipped_package = Package.objects.get(order__public_id=shipped["id"]).public_id

    def ret():
        line = {"sku": "A", "quantity": 1, "reason": "damaged"}
        return created(api.post("/v1/returns", {"order_id": shipped["id"], "lines": [line]}))["id"]

    requested, authorized, received = ret(), ret(), ret()
    for r in (authorized, received):
        created(api.post(f"/v1/returns/{r}/authorize", {}))
    item = {"sku": "A", "quantity_received": 1, "condition": "new", "disposition": "restock"}
    created(api.post(f"/v1/returns/{received}/receive", {"lines": [item]}))
    webhook = WebhookEndpoint.objects.create(
        account=account, url="http://127.0.0.1:9/hook", events=["product.deleted"], secret="s"
    )
    return World(
        api=api,
        warehouse=wh.public_id,
        bin=bin_.public_id,
        product=a.public_id,
        pending=pending["id"],
        pending_line=pending["items"][0]["id"],
        allocated=allocated["id"],
        allocated_line=allocated["items"][0]["id"],
        package=package,
        shipped=shipped["id"],
        shipped_package=shipped_package,
        requested=requested,
        authorized=authorized,
        received=received,
        webhook=webhook.public_id,
    )


@pytest.fixture
def lists(api, account, settings):
    """Just the rows every list URL needs to resolve: a warehouse, product, order, webhook."""
    settings.VECTIS_WEBHOOK_ALLOW_HTTP = True
    settings.VECTIS_WEBHOOK_ALLOW_PRIVATE = True
    # these tests send thousands of requests from one client
    settings.VECTIS_RATE_LIMIT_ENABLED = False
    account.auto_allocate = False
    account.save()
    stock = Stock(account)
    warehouse = Warehouse.objects.get(
        public_id=created(api.post("/v1/warehouses", warehouse_body("MAIN")))["id"]
    )
    product = stock.product("A")
    stock.receive(product, warehouse, 5)
    order = created(api.post("/v1/orders", order_body()))
    webhook = WebhookEndpoint.objects.create(
        account=account, url="http://127.0.0.1:9/hook", events=["product.deleted"], secret="s"
    )
    return {
        "api": api,
        "id": order["id"],
        "warehouse_id": warehouse.public_id,
        "webhook_id": webhook.public_id,
        "product_id": product.public_id,
    }
