"""SQL statements of the hot inventory requests, pinned (issue 13, S2 and S6): an adjustment,
and a hold, the same for 1 SKU and for 20."""

import pytest

from tests.factories import Stock
from tests.helpers import Api
from tests.statements import count_statements
from vectis import tasks

# PostgreSQL: follow-up work runs on background threads, which in-memory SQLite refuses.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(account, settings, close_db_in_threads):
    settings.VECTIS_BACKGROUND_INLINE = False
    stock = Stock(account)
    warehouse = stock.warehouse()
    for n in range(20):
        stock.receive(stock.product(f"SKU-{n}"), warehouse, 100)
    tasks.settle()
    api = Api(account)
    assert api.get("/v1/inventory").status_code == 200  # the token is verified (and cached)
    return api, warehouse


def test_an_adjustment_costs_a_fixed_number_of_statements(shop):
    api, warehouse = shop
    counts = []
    for n, quantity in enumerate((5, -3, 7)):
        body = {
            "sku": f"SKU-{n}",
            "warehouse_id": warehouse.public_id,
            "quantity": quantity,
            "reason": "cycle_count",
        }
        with count_statements() as seen:
            response = api.post("/v1/inventory/adjust", body)
        assert response.status_code == 200, response.content
        assert response.json()["levels"][0]["on_hand"] == 100 + quantity
        counts.append(seen)
        tasks.settle()
    assert counts[0].count == counts[1].count == counts[2].count, [str(c) for c in counts]
    # product, warehouse, location; BEGIN, one conditional UPDATE that locks and writes the
    # level, movement, event, COMMIT (15 before issue 13: a SELECT to find the level, another
    # to lock it, the levels re-read for the event and again for the answer); and, for the
    # channels' inventory.available_changed (issue 17), four more: the kits made of the
    # product, the lock that orders announcements of one product (PostgreSQL),
    # GET /v1/inventory's row of it, and that event's INSERT.
    assert counts[0].count <= 12, str(counts[0])


def test_a_hold_costs_the_same_for_1_and_20_skus(shop):
    api, _ = shop
    counts = {}
    for skus in (1, 20):
        body = {
            "reference": f"cart-{skus}",
            "expires_in": 600,
            "items": [{"sku": f"SKU-{n}", "quantity": 2} for n in range(skus)],
        }
        with count_statements() as seen:
            response = api.post("/v1/inventory/reserve", body)
        assert response.status_code == 200, response.content
        assert len(response.json()["reservations"]) == skus
        counts[skus] = seen
        tasks.settle()
    assert counts[1].count == counts[20].count, (str(counts[1]), str(counts[20]))
    # 8, and 4 for inventory.available_changed (issue 17): the kits made of the products,
    # the lock that orders announcements of a product (PostgreSQL), GET /v1/inventory's
    # rows of them, the events' INSERT (one for 1 or 20 SKUs).
    assert counts[1].count <= 12, str(counts[1])
