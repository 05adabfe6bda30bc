"""CSV export of admin lists: the list's filters and search, the user's accounts only, streamed."""

import csv
import io

import pytest
from django.contrib.auth.models import User

from tests.factories import Stock, order_body
from tests.helpers import Api
from vectis.accounts.models import Membership

pytestmark = pytest.mark.django_db


def rows(response) -> list[dict]:
    assert response.streaming  # rows are written as they are read, not built in memory
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def two_accounts(client, account, other_account):
    for acc, prefix in ((account, "A"), (other_account, "B")):
        acc.auto_allocate = False
        acc.save()
        stock = Stock(acc)
        main = stock.warehouse(f"{prefix}MAIN")
        stock.receive(stock.product("TEE"), main, 10)
        api = Api(acc)
        for n in range(3):
            data = order_body(f"{prefix}-{n}", items=[{"sku": "TEE", "quantity": 1}])
            public_id = api.post("/v1/orders", data).json()["id"]
            if n == 0:
                api.post(f"/v1/orders/{public_id}/allocate")
    user = User.objects.create_user("v", password="pw", is_staff=True)
    Membership.objects.create(user=user, account=account, role="viewer")
    client.force_login(user)
    return client


def test_orders_export_follows_the_lists_filters_and_accounts(two_accounts):
    client = two_accounts
    everything = rows(client.get("/admin/orders/order/export.csv"))
    assert sorted(r["external_id"] for r in everything) == ["A-0", "A-1", "A-2"]
    pending = rows(client.get("/admin/orders/order/export.csv?status__exact=pending"))
    assert sorted(r["external_id"] for r in pending) == ["A-1", "A-2"]
    searched = rows(client.get("/admin/orders/order/export.csv?q=A-2"))
    assert [r["external_id"] for r in searched] == ["A-2"]
    assert searched[0]["total"] and searched[0]["created_at"].startswith("20")
    listing = client.get("/admin/orders/order/?status__exact=pending").content.decode()
    assert 'href="/admin/orders/order/export.csv?status__exact=pending"' in listing


def test_stock_and_movements_export(two_accounts):
    client = two_accounts
    levels = rows(client.get("/admin/inventory/stocklevel/export.csv"))
    assert [(r["sku"], r["warehouse"], r["on_hand"], r["reserved"]) for r in levels] == [
        ("TEE", "AMAIN", "10", "1")
    ]
    moves = rows(client.get("/admin/inventory/stockmovement/export.csv?reason__exact=received"))
    assert [(r["sku"], r["quantity"], r["reason"]) for r in moves] == [("TEE", "10", "received")]


def test_export_needs_a_login(client, db):
    response = client.get("/admin/orders/order/export.csv")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
