"""SQL statements per request and per task, pinned: the same for 1 line and for 20.

These are the throughput issue's S2 figures (bench/RESULTS.md); a change that adds a
statement per line fails here, not in a benchmark.
"""

import pytest

from orders.models import Order
from tests.factories import Stock, order_body
from tests.helpers import Api
from tests.statements import count_statements
from vectis import tasks

# PostgreSQL: the work that follows a commit runs on background threads here (as on the
# embedded default), and the in-memory SQLite test database refuses concurrent writers.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(account):
    account.auto_allocate = False
    account.save()
    stock = Stock(account)
    warehouse = stock.warehouse()
    for n in range(20):
        stock.receive(stock.product(f"SKU-{n}"), warehouse, 100)
    api = Api(account)
    assert api.get("/v1/orders").status_code == 200  # the token is verified (and cached)
    return api


def lines_body(lines: int, external_id: str) -> dict:
    data = order_body(
        external_id,
        items=[{"sku": f"SKU-{n}", "quantity": 1, "price": "2.50"} for n in range(lines)],
    )
    return data


@pytest.fixture
def relay_in_background(settings, close_db_in_threads):
    """What follows a commit (the relay fanning out events) runs on a background thread, as on
    the embedded default (and in the dispatcher in production): not the request's work."""
    settings.VECTIS_BACKGROUND_INLINE = False

    return tasks.settle


def test_an_order_create_costs_the_same_for_1_and_20_lines(shop, relay_in_background):
    counts = {}
    for lines in (1, 20):
        with count_statements() as seen:
            response = shop.post("/v1/orders", lines_body(lines, f"S2-{lines}"))
        assert response.status_code == 201, response.content
        assert len(response.json()["items"]) == lines
        counts[lines] = seen
        relay_in_background()
    assert counts[1].count == counts[20].count, (str(counts[1]), str(counts[20]))
    assert counts[1].count <= 10, str(counts[1])
    assert Order.objects.count() == 2


def test_an_allocation_costs_the_same_for_1_and_20_lines(shop, relay_in_background):
    from orders import services

    counts = {}
    for lines in (1, 20):
        response = shop.post("/v1/orders", lines_body(lines, f"S2-alloc-{lines}"))
        assert response.status_code == 201, response.content
        relay_in_background()
        order = Order.objects.get(public_id=response.json()["id"])
        with count_statements() as seen:
            result = services.order_allocate(order=order)
        assert result.order.status == "allocated"
        assert sum(len(line.reservations) for line in result.reserve.lines) == lines
        counts[lines] = seen
        relay_in_background()
    assert counts[1].count == counts[20].count, (str(counts[1]), str(counts[20]))
    # 12, and 4 for inventory.available_changed (issue 17): the kits made of the products,
    # the lock that orders announcements of a product (PostgreSQL), GET /v1/inventory's
    # rows of them, the events' INSERT (one for 1 or 20 lines).
    assert counts[1].count <= 16, str(counts[1])


def test_a_batch_of_orders_costs_what_one_order_does(shop, relay_in_background):
    from orders import services

    ids = []
    for n in range(10):
        response = shop.post("/v1/orders", lines_body(3, f"S2-batch-{n}"))
        ids.append(Order.objects.get(public_id=response.json()["id"]).pk)
        relay_in_background()
    with count_statements() as one:
        services.allocate_orders(ids[:1], actor="test")
    relay_in_background()
    with count_statements() as nine:
        results = services.allocate_orders(ids[1:], actor="test")
    relay_in_background()
    assert [r.order.status for r in results] == ["allocated"] * 9
    assert nine.count == one.count, (str(one), str(nine))
