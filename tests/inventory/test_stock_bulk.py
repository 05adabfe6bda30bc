"""POST /v1/inventory/adjust/bulk and /set/bulk: up to 1,000 rows a call, per-row results,
compare-and-set rows reported stale and not applied, one ledger row per change, a constant
number of statements, and no deadlock between bulk calls in opposite orders."""

import threading

import pytest
from django.db import connection

from catalog import services as catalog
from catalog.services import BulkItem
from inventory.models import StockLevel, StockMovement
from inventory.selectors import verify_ledger
from tests.factories import Stock
from tests.helpers import Api, error_of, make_account
from tests.statements import count_statements
from webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(stock):
    main = stock.warehouse("MAIN")
    for sku in ("A", "B", "C"):
        stock.receive(stock.product(sku), main, 10)
    stock.product("D")
    stock.kit("KIT", {"A": 1})
    return main


def on_hand(sku: str) -> int:
    return sum(StockLevel.objects.filter(product__sku=sku).values_list("on_hand", flat=True))


def test_adjust_bulk_applies_each_row_and_reports_the_ones_it_cannot(api, shelf):
    wh = shelf.public_id
    api.post("/v1/inventory/reserve", {"reference": "cart", "items": [{"sku": "C", "quantity": 8}]})
    movements_before = StockMovement.objects.count()
    body = {
        "adjustments": [
            {"sku": "A", "warehouse_id": wh, "quantity": 5, "reason": "received"},
            {"sku": "NOPE", "warehouse_id": wh, "quantity": 1, "reason": "received"},
            {"sku": "KIT", "warehouse_id": wh, "quantity": 1, "reason": "received"},
            {"sku": "C", "warehouse_id": wh, "quantity": -5, "reason": "damaged"},
            {"sku": "A", "warehouse_id": wh, "quantity": -2, "reason": "damaged"},
            {"sku": "D", "warehouse_id": wh, "quantity": 7, "reason": "found"},
        ]
    }

    response = api.post("/v1/inventory/adjust/bulk", body)

    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["applied"], answer["failed"]) == (3, 3)
    statuses = [(r["index"], r["status"], r["on_hand"]) for r in answer["results"]]
    assert statuses == [
        (0, "applied", 15),
        (1, "error", None),
        (2, "error", None),
        (3, "error", None),
        (4, "applied", 13),  # after row 0: rows of one level see each other
        (5, "applied", 7),  # a level that did not exist yet
    ]
    errors = {r["index"]: r["error"] for r in answer["results"] if "error" in r}
    assert (errors[1]["code"], errors[1]["field"]) == ("validation_error", "sku")
    assert (errors[2]["code"], errors[2]["field"]) == ("kit_has_no_stock", "sku")
    assert (errors[3]["code"], errors[3]["field"]) == ("insufficient_stock", "quantity")
    assert (on_hand("A"), on_hand("C"), on_hand("D")) == (13, 10, 7)
    written = StockMovement.objects.filter(pk__gt=0).order_by("-pk")[:3]
    assert StockMovement.objects.count() == movements_before + 3
    assert sorted(m.on_hand_after for m in written) == [7, 13, 15]
    assert {r["movement_id"] for r in answer["results"] if r["movement_id"]} == {
        m.public_id for m in written
    }
    assert verify_ledger()[1] == []


def test_set_bulk_reports_a_stale_row_and_applies_the_rest(api, shelf):
    wh = shelf.public_id
    body = {
        "counts": [
            {"sku": "A", "warehouse_id": wh, "on_hand": 4, "expected_on_hand": 10},
            {"sku": "B", "warehouse_id": wh, "on_hand": 4, "expected_on_hand": 9},
            {"sku": "C", "warehouse_id": wh, "on_hand": 10},
        ]
    }

    response = api.post("/v1/inventory/set/bulk", body)

    assert response.status_code == 200, response.content
    answer = response.json()
    assert [(r["status"], r["on_hand"]) for r in answer["results"]] == [
        ("applied", 4),
        ("stale", 10),  # not applied; says what on_hand is
        ("unchanged", 10),
    ]
    assert (answer["applied"], answer["stale"], answer["unchanged"]) == (1, 1, 1)
    assert (on_hand("A"), on_hand("B"), on_hand("C")) == (4, 10, 10)
    (movement,) = StockMovement.objects.filter(reason="cycle_count")
    assert (movement.quantity, movement.on_hand_after) == (-6, 4)


def test_atomic_bulk_writes_nothing_when_a_row_cannot_be_applied(api, shelf):
    wh = shelf.public_id
    before = (StockMovement.objects.count(), Event.objects.count())
    body = {
        "counts": [
            {"sku": "A", "warehouse_id": wh, "on_hand": 4},
            {"sku": "B", "warehouse_id": wh, "on_hand": 4, "expected_on_hand": 9},
        ]
    }

    response = api.post("/v1/inventory/set/bulk?atomic=true", body)

    assert response.status_code == 409, response.content
    error = error_of(response)
    assert (error["code"], error["field"]) == ("bulk_rejected", "counts[1].expected_on_hand")
    assert [d["code"] for d in error["details"]] == ["stale_quantity"]
    assert (StockMovement.objects.count(), Event.objects.count()) == before
    assert on_hand("A") == 10


def test_bad_rows_are_a_400_naming_the_row(api, shelf):
    body = {"adjustments": [{"sku": "A", "warehouse_id": shelf.public_id, "quantity": 0}]}
    response = api.post("/v1/inventory/adjust/bulk", body)
    assert response.status_code == 400
    assert error_of(response)["field"].startswith("adjustments[0].")
    too_many = {"counts": [{"sku": "A", "warehouse_id": "wh_x", "on_hand": 1}] * 1001}
    response = api.post("/v1/inventory/set/bulk", too_many)
    assert (response.status_code, error_of(response)["field"]) == (400, "counts")


def test_a_bulk_call_costs_the_same_for_100_and_1000_rows(api, stock):
    wh = stock.warehouse("MAIN")
    catalog.products_bulk_upsert(
        account=api.account,
        items=[BulkItem(n, {"sku": f"S-{n}", "name": f"S {n}"}) for n in range(1100)],
        failed=[],
        atomic=False,
    )
    assert api.get("/v1/inventory").status_code == 200  # the token is verified (and cached)
    counts, first = {}, 0
    for rows in (100, 1000):
        skus = [f"S-{n}" for n in range(first, first + rows)]
        first += rows
        body = {"counts": [{"sku": s, "warehouse_id": wh.public_id, "on_hand": 5} for s in skus]}
        with count_statements() as seen:
            response = api.post("/v1/inventory/set/bulk", body)
        assert response.json()["applied"] == rows
        counts[rows] = seen
    # new levels, their movements and events: the same statements for 10 times the rows
    assert counts[100].count == counts[1000].count, (str(counts[100]), str(counts[1000]))


def test_10000_rows_in_10_calls(api, stock, settings):
    # given 2,500 SKUs in 4 warehouses
    warehouses = [stock.warehouse(f"W{n}") for n in range(4)]
    catalog.products_bulk_upsert(
        account=api.account,
        items=[BulkItem(n, {"sku": f"K-{n:05}", "name": "k"}) for n in range(2500)],
        failed=[],
        atomic=False,
    )
    rows = [
        {"sku": f"K-{n:05}", "warehouse_id": wh.public_id, "on_hand": n % 50 + 1}
        for n in range(2500)
        for wh in warehouses
    ]
    # when they are counted 1,000 rows a call
    applied = 0
    for start in range(0, len(rows), 1000):
        response = api.post("/v1/inventory/set/bulk", {"counts": rows[start : start + 1000]})
        assert response.status_code == 200, response.content
        applied += response.json()["applied"]
    # then every row is applied, each with its movement, and the ledger agrees
    assert applied == 10_000
    assert StockMovement.objects.filter(reason="cycle_count").count() == 10_000
    assert (
        StockLevel.objects.filter(product__sku="K-00049")
        .values_list("on_hand", flat=True)
        .distinct()
        .get()
        == 50
    )
    checked, mismatches = verify_ledger()
    assert checked >= 10_000 and mismatches == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bulk_calls_in_opposite_orders_never_deadlock(close_db_in_threads, settings):
    settings.VECTIS_RATE_LIMIT_ENABLED = False
    account = make_account("Bulk")
    stock = Stock(account)
    wh = stock.warehouse("MAIN")
    skus = [f"P-{n}" for n in range(50)]
    for sku in skus:
        stock.receive(stock.product(sku), wh, 100)
    forward = [
        {"sku": sku, "warehouse_id": wh.public_id, "quantity": 1, "reason": "found"} for sku in skus
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        deadlocks_before = cursor.fetchone()[0]
    errors, statuses = [], []
    barrier = threading.Barrier(4)

    def work(n: int) -> None:
        api = Api(account)
        rows = forward if n % 2 == 0 else list(reversed(forward))
        try:
            barrier.wait()
            for _ in range(5):
                response = api.post("/v1/inventory/adjust/bulk", {"adjustments": rows})
                statuses.append(response.status_code)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == [] and statuses == [200] * 20
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        assert cursor.fetchone()[0] == deadlocks_before
    assert {on_hand(sku) for sku in skus} == {120}
    assert verify_ledger()[1] == []
