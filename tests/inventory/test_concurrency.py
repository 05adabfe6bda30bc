"""Concurrency on PostgreSQL: real threads, real connections, no oversell, no deadlock."""

import random
import threading
from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.db.models import Sum

from inventory import services
from inventory.exceptions import InsufficientStock
from inventory.models import Reservation, StockLevel
from inventory.selectors import verify_ledger
from tests.factories import Stock
from tests.helpers import make_account

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_threads(count: int, work) -> None:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def target(n):
        try:
            barrier.wait()
            work(n)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [], errors[:3]


def deadlocks_so_far() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_64_threads_1000_reserve_attempts_never_oversell(close_db_in_threads):
    # given 5 SKUs with 100 units each, spread over two warehouses (60 + 40)
    stock = Stock(make_account("Oversell"))
    east, west = stock.warehouse("EAST", priority=2), stock.warehouse("WEST", priority=1)
    products = [stock.product(f"HOT-{i}") for i in range(5)]
    for product in products:
        stock.receive(product, east, 60)
        stock.receive(product, west, 40)
    attempts = [(random.choice(products), random.randint(1, 3)) for _ in range(1000)]
    succeeded: dict[int, int] = defaultdict(int)
    outcomes: Counter = Counter()
    lock = threading.Lock()
    deadlocks_before = deadlocks_so_far()

    # when 64 threads make the 1,000 attempts between them
    def work(n):
        for product, quantity in attempts[n::64]:
            try:
                result = services.reserve(
                    account_id=stock.account.pk,
                    lines=[services.ReserveLine(product, quantity)],
                    reference=f"t{n}",
                )
            except InsufficientStock:
                with lock:
                    outcomes["insufficient_stock"] += 1
                continue
            with lock:
                outcomes["reserved"] += 1
                succeeded[product.pk] += sum(r.quantity for r in result.reservations)

    run_threads(64, work)

    # then every attempt ended as a success or a clean refusal
    assert outcomes["reserved"] + outcomes["insufficient_stock"] == 1000
    for product in products:
        levels = StockLevel.objects.filter(product=product)
        reserved = levels.aggregate(total=Sum("reserved"))["total"]
        active = Reservation.objects.filter(product=product, status="active").aggregate(
            total=Sum("quantity")
        )["total"]
        # never more than the 100 units, and exactly what the successful calls were told
        assert reserved <= 100
        assert reserved == active == succeeded[product.pk]
        assert reserved >= 98  # demand (≈ 400 units per SKU) far exceeds supply
        assert all(level.on_hand - level.reserved >= 0 for level in levels)
    checked, mismatches = verify_ledger(account_id=stock.account.pk)
    assert (checked, mismatches) == (10, [])
    assert deadlocks_so_far() == deadlocks_before


def test_500_reservations_in_opposite_orders_never_deadlock(close_db_in_threads):
    # given two SKUs with enough stock in two bins for every request
    stock = Stock(make_account("Deadlock"))
    wh = stock.warehouse()
    shelf = stock.location(wh, "SHELF")
    a, b = stock.product("A"), stock.product("B")
    for product in (a, b):
        stock.receive(product, wh, 600)
        stock.receive(product, shelf, 600)
    outcomes: Counter = Counter()
    lock = threading.Lock()
    deadlocks_before = deadlocks_so_far()

    # when 50 threads make 10 reservations each, half listing A then B, half B then A,
    # while transfers between the two bins run in both directions
    def work(n):
        for i in range(10):
            first, second = (a, b) if (n + i) % 2 else (b, a)
            try:
                services.reserve(
                    account_id=stock.account.pk,
                    lines=[services.ReserveLine(first, 1), services.ReserveLine(second, 1)],
                    reference=f"r{n}-{i}",
                )
                outcome = "reserved"
            except Exception as exc:  # anything at all is a failure of this test
                outcome = type(exc).__name__
            with lock:
                outcomes[outcome] += 1
            source, target = (stock.default(wh), shelf) if i % 2 else (shelf, stock.default(wh))
            services.transfer(product=first, from_location=source, to_location=target, quantity=1)

    run_threads(50, work)

    # then all 500 succeeded: zero deadlocks surfaced, zero detected by PostgreSQL
    assert outcomes == Counter({"reserved": 500})
    assert Reservation.objects.filter(status="active").count() == 1000
    assert deadlocks_so_far() == deadlocks_before
    assert verify_ledger(account_id=stock.account.pk)[1] == []
