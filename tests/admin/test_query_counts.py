"""Admin pages run a bounded number of queries: the same for 1 and 100 rows in a list, and for
an order (and its package) of 1 and 30 lines."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from tests.factories import order_body
from tests.helpers import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(account, stock):
    account.auto_allocate = False
    account.save()
    main = stock.warehouse("MAIN")
    skus = [f"SKU-{n:02d}" for n in range(30)]
    for sku in skus:
        stock.receive(stock.product(sku), main, 1000)
    return skus


def place(account, skus, n=0):
    data = order_body(f"Q-{n}-{len(skus)}", items=[{"sku": s, "quantity": 1} for s in skus])
    api = Api(account)
    public_id = api.post("/v1/orders", data).json()["id"]
    assert api.post(f"/v1/orders/{public_id}/allocate").status_code == 200
    return Order.objects.get(public_id=public_id)


def count(client, url) -> int:
    client.get(url)  # warm the per-process caches (content types, the session's first save)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orders/order/",
        "/admin/orders/package/",
        "/admin/inventory/stocklevel/",
        "/admin/inventory/stockmovement/",
        "/admin/inventory/reservation/",
        "/admin/returns/return/",
    ],
)
def test_lists_cost_the_same_for_1_and_100_rows(operator, account, catalog, url):
    place(account, catalog[:1], 0)
    one = count(operator, url)
    for n in range(1, 100):
        place(account, [catalog[n % 30]], n)
    assert count(operator, url) == one


def test_order_and_package_pages_cost_the_same_for_1_and_30_lines(operator, account, catalog):
    small = place(account, catalog[:1], 1)
    big = place(account, catalog, 2)
    for kind, objects in (
        ("order", (small, big)),
        ("package", (small.packages.get(), big.packages.get())),
    ):
        urls = [f"/admin/orders/{kind}/{o.pk}/change/" for o in objects]
        assert count(operator, urls[0]) == count(operator, urls[1]), kind
    urls = [f"/admin/orders/package/{o.packages.get().pk}/pack/" for o in (small, big)]
    assert count(operator, urls[0]) == count(operator, urls[1])
    urls = [f"/admin/orders/order/{o.pk}/pick-list/?screen=1" for o in (small, big)]
    assert count(operator, urls[0]) == count(operator, urls[1])


def test_low_stock_list_shows_quantities_in_constant_queries(operator, account, stock):
    from inventory import services as inventory

    main = stock.warehouse("LOW")
    for n in range(5):
        product = stock.product(f"LOW-{n}", low_stock_threshold=10)
        stock.receive(product, main, n + 1)
        inventory.evaluate_low_stock(product_id=product.pk, warehouse_id=main.pk)
    url = "/admin/inventory/lowstockrule/?is_low__exact=1"
    response = operator.get(url)
    shown = {(str(r.product.sku), r.available_sum) for r in response.context["cl"].result_list}
    assert shown == {(f"LOW-{n}", n + 1) for n in range(5)}
    few = count(operator, url)
    for n in range(5, 30):
        product = stock.product(f"LOW-{n}", low_stock_threshold=100)
        stock.receive(product, main, 1)
        inventory.evaluate_low_stock(product_id=product.pk, warehouse_id=main.pk)
    assert count(operator, url) == few
