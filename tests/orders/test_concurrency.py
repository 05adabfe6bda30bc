"""Orders under concurrency on PostgreSQL: real threads through the API."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Sum
from rest_framework.test import APIClient

from inventory.models import Reservation, StockLevel
from inventory.selectors import verify_ledger
from orders.models import Order, OrderLine
from tests.factories import Stock, order_body
from tests.helpers import Api, make_account

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def hot_order(external_id: str) -> dict:
    data = order_body(external_id, items=[{"sku": "HOT", "quantity": 1, "price": 5}])
    return data


def run_threads(count: int, work) -> None:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def target(n):
        try:
            barrier.wait()
            work(n)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [], errors[:3]


def test_200_concurrent_orders_compete_for_50_units(close_db_in_threads):
    # given 50 units of one SKU and an account that allocates on intake
    account = make_account("Rush")
    stock = Stock(account)
    wh = stock.warehouse()
    stock.receive(stock.product("HOT"), wh, 50)
    clients = [Api(account) for _ in range(50)]
    statuses: Counter = Counter()
    lock = threading.Lock()

    # when 50 threads create 4 one-unit orders each
    def work(n):
        for i in range(4):
            response = clients[n].post("/v1/orders", hot_order(f"R-{n}-{i}"))
            with lock:
                statuses[response.status_code] += 1

    run_threads(50, work)

    # then every create succeeded, exactly 50 units are allocated and the rest backordered
    assert statuses == Counter({201: 200})
    by_status = Counter(Order.objects.filter(account=account).values_list("status", flat=True))
    assert by_status == Counter({"allocated": 50, "backordered": 150})
    allocated = OrderLine.objects.filter(account=account).aggregate(n=Sum("quantity_allocated"))
    assert allocated["n"] == 50
    level = StockLevel.objects.get(account=account)
    assert (level.on_hand, level.reserved) == (50, 50)
    assert Reservation.objects.filter(account=account, status="active").count() == 50
    assert verify_ledger(account_id=account.pk)[1] == []


def test_twenty_retries_with_one_key_create_one_order(close_db_in_threads):
    account = make_account("Retry")
    Stock(account).product("HOT")
    api = Api(account)
    results: list = []
    lock = threading.Lock()

    def work(n):
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {api.token}")
        response = http.post(
            "/v1/orders", hot_order("ONCE"), format="json", HTTP_IDEMPOTENCY_KEY="order-once"
        )
        with lock:
            results.append(response)

    run_threads(20, work)

    assert Order.objects.filter(account=account).count() == 1
    codes = Counter(r.status_code for r in results)
    assert set(codes) <= {201, 409} and codes[201] >= 1
    created = {r.json()["id"] for r in results if r.status_code == 201}
    assert len(created) == 1
    assert all(
        r.json()["error"]["code"] == "idempotency_in_progress"
        for r in results
        if r.status_code == 409
    )
    # and without the key, the duplicate external id is refused
    again = api.post("/v1/orders", hot_order("ONCE"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate_order"
