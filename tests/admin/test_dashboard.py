"""The shift dashboard: its figures match the database, link to lists that show as many rows,
stay within the user's accounts, and cost the same number of queries for 1 order or 40."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services as inventory
from orders.models import Order, Package
from tests.factories import order_body
from tests.helpers import Api
from vectis.accounts.models import Membership
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def place(api, sku, quantity=1, external_id=None):
    data = order_body(
        external_id or f"X-{Order.objects.count()}", items=[{"sku": sku, "quantity": quantity}]
    )
    response = api.post("/v1/orders", data)
    assert response.status_code == 201, response.content
    return Order.objects.get(public_id=response.json()["id"])


@pytest.fixture
def floor(client, account, other_account, stock, other_stock):
    """Account A (the user's, operator) with work waiting; account B with its own."""
    user = User.objects.create_user("clerk", password="pw", is_staff=True)
    Membership.objects.create(user=user, account=account, role="operator")
    client.force_login(user)
    api = Api(account)
    main = stock.warehouse("MAIN")
    tee = stock.product("TEE", low_stock_threshold=5)
    stock.product("MUG")  # ordered, never stocked anywhere
    stock.receive(tee, main, 4)  # 4 ≤ 5: low
    inventory.evaluate_low_stock(product_id=tee.pk, warehouse_id=main.pk)
    account.auto_allocate = False
    account.save()
    first = place(api, "TEE", 2)
    assert api.post(f"/v1/orders/{first.public_id}/allocate").status_code == 200
    place(api, "TEE", 1)
    place(api, "TEE", 1)  # 2 pending
    backordered = place(api, "MUG", 3)
    api.post(f"/v1/orders/{backordered.public_id}/allocate")
    WebhookEndpoint.objects.create(
        account=account,
        url="https://hooks.example/a",
        events=["order.created"],
        secret="s",
        failing_since="2026-12-01T00:00:00Z",
    )
    # account B: the same kinds of rows, none of which may show
    other_main = other_stock.warehouse("BMAIN")
    other_tee = other_stock.product("TEE")
    other_stock.receive(other_tee, other_main, 10)
    other_api = Api(other_account)
    other_account.auto_allocate = False
    other_account.save()
    for _ in range(3):
        place(other_api, "TEE")
    return user, main


def figures(response) -> dict:
    (block,) = response.context["dashboard"]
    out = {f.label: (f.count, f.url) for f in block.orders}
    f = block.failing_endpoints
    out[f.label] = (f.count, f.url)
    for row in block.warehouses:
        for f in row.figures:
            out[f"{row.warehouse.code}: {f.label}"] = (f.count, f.url)
    return out


def test_figures_match_the_database_and_their_lists(client, account, floor):
    response = client.get("/admin/")
    assert response.status_code == 200
    got = figures(response)
    mine = Order.objects.filter(account=account)
    assert got["orders to allocate"][0] == mine.filter(status="pending").count() == 2
    assert got["backordered"][0] == mine.filter(status="backordered").count() == 1
    assert got["allocated, to pick"][0] == mine.filter(status="allocated").count() == 1
    pending = Package.objects.filter(account=account, status="pending").count()
    assert got["MAIN: to pick, pack, ship"][0] == pending == 1
    assert got["failing or disabled webhook endpoints"][0] == 1
    # every link opens the list it counts, with as many rows
    for label, (count, url) in got.items():
        listing = client.get(url)
        assert listing.status_code == 200, (label, url)
        assert "?e=1" not in listing.get("Location", ""), (label, url)
        assert listing.context["cl"].result_count == count, (label, url)

    (block,) = response.context["dashboard"]
    low = {r.sku: r for r in block.low_stock}
    assert (low["TEE"].available, low["TEE"].threshold, low["TEE"].warehouse) == (4 - 2, 5, "MAIN")
    assert low["TEE"].demand == 2  # the two pending orders, one unit each
    assert (low["MUG"].warehouse, low["MUG"].available, low["MUG"].demand) == ("—", 0, 3)
    html = response.content.decode()
    assert "BMAIN" not in html and "Globex" not in html


def test_the_dashboard_costs_the_same_queries_for_one_order_or_forty(client, account, floor):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/admin/").status_code == 200
        return len(captured)

    before = queries()
    api = Api(account)
    for _ in range(40):
        place(api, "TEE")
    assert queries() == before


def test_a_superuser_sees_every_account(client, account, other_account, floor):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    names = [b.account.name for b in client.get("/admin/").context["dashboard"]]
    assert names == sorted([account.name, other_account.name])


def test_no_view_site_link_and_plural_names(client, floor):
    html = client.get("/admin/").content.decode()
    assert "View site" not in html
    assert "Vectis back-office" in html
    assert "Deliveries" in html and "SKU aliases" in html
    assert "Deliverys" not in html and "Sku aliass" not in html


def test_a_user_without_accounts_is_told_so(client, db):
    user = User.objects.create_user("new", password="pw", is_staff=True)
    client.force_login(user)
    assert "not a member of any account" in client.get("/admin/").content.decode()
