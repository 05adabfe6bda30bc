"""Keyset (`cursor`) pagination for deep sync, and the bounded `meta.total`."""

import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.helpers import error_of, warehouse_body
from vectis.api import pagination
from warehouses import services
from warehouses.models import Warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def sixty_warehouses(account):
    for i in range(60):
        services.warehouse_create(account=account, data=warehouse_body(f"W{i:03d}"))


def walk(api, params: dict, between=None) -> list[dict]:
    """Every page from page 1 on, following next_cursor to the end."""
    body = api.get("/v1/warehouses", params).json()
    rows, pages = list(body["data"]), 1
    while body["meta"]["next_cursor"]:
        if between:
            between(pages)
        response = api.get("/v1/warehouses", {**params, "cursor": body["meta"]["next_cursor"]})
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body["meta"]) == {"per_page", "next_cursor"}
        rows += body["data"]
        pages += 1
        assert pages < 100
    return rows


def test_a_cursor_walk_returns_every_row_once_in_order(api, sixty_warehouses):
    rows = walk(api, {"per_page": 17, "sort": "code"})
    assert [w["code"] for w in rows] == [f"W{i:03d}" for i in range(60)]


def test_a_descending_walk_with_ties_returns_every_row_once(api, sixty_warehouses):
    # Every warehouse has the same priority: the order within it is the id's.
    rows = walk(api, {"per_page": 7, "sort": "-priority"})
    assert sorted(w["code"] for w in rows) == [f"W{i:03d}" for i in range(60)]
    assert len(rows) == 60


def test_rows_created_during_a_walk_neither_repeat_nor_push_rows_out(api, account):
    for i in range(30):
        services.warehouse_create(account=account, data=warehouse_body(f"A{i:03d}"))
    created = []

    def add_newer(page):
        # Newest first: new rows land before the cursor, as they would shift an OFFSET.
        code = f"N{page:03d}"
        services.warehouse_create(account=account, data=warehouse_body(code))
        created.append(code)

    rows = walk(api, {"per_page": 10, "sort": "-created_at"}, between=add_newer)
    assert [w["code"] for w in rows] == [f"A{i:03d}" for i in reversed(range(30))]
    assert created == ["N001", "N002"]


def test_an_updated_after_sync_by_updated_at_sees_a_changed_row_again_at_the_end(
    api, account, sixty_warehouses
):
    first = Warehouse.objects.get(account=account, code="W000")

    def touch(page):
        if page == 1:
            services.warehouse_update(warehouse=first, data={"name": "Renamed"})

    rows = walk(api, {"per_page": 20, "sort": "updated_at"}, between=touch)
    codes = [w["code"] for w in rows]
    assert len(codes) == 61 and sorted(set(codes)) == [f"W{i:03d}" for i in range(60)]
    assert codes[0] == "W000" and codes[-1] == "W000" and rows[-1]["name"] == "Renamed"


def test_the_last_page_has_no_next_cursor(api, sixty_warehouses):
    body = api.get("/v1/warehouses", {"per_page": 60}).json()
    assert len(body["data"]) == 60 and body["meta"]["next_cursor"] is None
    body = api.get("/v1/warehouses", {"per_page": 59}).json()
    last = api.get("/v1/warehouses", {"per_page": 59, "cursor": body["meta"]["next_cursor"]})
    assert len(last.json()["data"]) == 1 and last.json()["meta"] == {
        "per_page": 59,
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    "cursor,extra,field,code",
    [
        ("garbage", {}, "cursor", "invalid"),
        ("gAAAAABk" + "A" * 80, {}, "cursor", "invalid"),
        (None, {"sort": "name"}, "cursor", "sort_mismatch"),
        (None, {"page": "2"}, "page", "conflict"),
    ],
)
def test_a_cursor_that_cannot_be_followed_is_a_400_that_names_it(
    api, sixty_warehouses, cursor, extra, field, code
):
    if cursor is None:
        cursor = api.get("/v1/warehouses", {"sort": "code"}).json()["meta"]["next_cursor"]
    response = api.get("/v1/warehouses", {"sort": "code", "cursor": cursor, **extra})
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == ("validation_error", field)
    assert response.json()["error"]["details"][0]["code"] == code


def test_a_cursor_is_refused_for_a_sort_by_a_nullable_field(api):
    response = api.get("/v1/inventory/reservations", {"sort": "expires_at", "cursor": "x"})
    assert response.status_code == 400
    assert error_of(response)["field"] == "cursor"
    assert "expires_at" in error_of(response)["message"]


def test_a_list_without_a_cursor_refuses_one(api):
    response = api.get("/v1/inventory", {"cursor": "x"})
    assert response.status_code == 400
    assert error_of(response)["field"] == "cursor"


def test_a_cursor_page_costs_what_the_first_page_costs_and_counts_nothing(api, sixty_warehouses):
    api.get("/v1/warehouses")  # the token is verified once, then cached
    with CaptureQueriesContext(connection) as first:
        body = api.get("/v1/warehouses", {"per_page": 10}).json()
    with CaptureQueriesContext(connection) as deep:
        api.get("/v1/warehouses", {"per_page": 10, "cursor": body["meta"]["next_cursor"]})
    counts = [q["sql"] for q in first.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) == 1
    assert not [q for q in deep.captured_queries if "COUNT(" in q["sql"]]
    assert len(deep.captured_queries) == len(first.captured_queries) - 1


@pytest.mark.postgres
def test_above_the_exact_limit_the_total_is_an_estimate_and_flagged(
    api, sixty_warehouses, monkeypatch
):
    # The limit is 10,000 in service; lowered so sixty rows are "many".
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 20)
    with CaptureQueriesContext(connection) as queries:
        meta = api.get("/v1/warehouses", {"per_page": 25}).json()["meta"]
    assert meta["total_estimated"] is True
    assert meta["total"] >= 21
    assert meta["total_pages"] == math.ceil(meta["total"] / 25)
    count_sql = next(q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"])
    assert "LIMIT 21" in count_sql
    assert any(q["sql"].startswith("EXPLAIN") for q in queries.captured_queries)


def test_at_or_below_the_exact_limit_the_total_is_exact(api, sixty_warehouses, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 60)
    meta = api.get("/v1/warehouses").json()["meta"]
    assert (meta["total"], meta["total_estimated"], meta["total_pages"]) == (60, False, 2)
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 59)
    meta = api.get("/v1/warehouses").json()["meta"]
    if connection.vendor == "postgresql":
        assert meta["total_estimated"] is True and meta["total"] >= 60
    else:  # SQLite counts exactly, whatever the size
        assert (meta["total"], meta["total_estimated"]) == (60, False)


def test_a_walk_through_rows_created_in_the_same_instant_returns_each_once(api, account):
    # A bulk import stamps many rows with one created_at: the id breaks the tie.
    for i in range(30):
        services.warehouse_create(account=account, data=warehouse_body(f"T{i:03d}"))
    Warehouse.objects.filter(account=account).update(created_at="2026-01-01T00:00:00Z")
    for sort in ("created_at", "-created_at"):
        rows = walk(api, {"per_page": 7, "sort": sort})
        codes = [w["code"] for w in rows]
        expected = [f"T{i:03d}" for i in range(30)]
        assert codes == (expected if sort == "created_at" else expected[::-1])
