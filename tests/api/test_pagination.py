import pytest

from tests.helpers import error_of, warehouse_body
from warehouses import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def sixty_warehouses(account):
    for i in range(60):
        services.warehouse_create(account=account, data=warehouse_body(f"W{i:03d}"))


def test_default_page_is_50_with_meta(api, sixty_warehouses):
    body = api.get("/v1/warehouses").json()
    assert len(body["data"]) == 50
    # meta gained total_estimated and next_cursor with keyset pagination (issue 13).
    assert body["meta"] == {
        "page": 1,
        "per_page": 50,
        "total": 60,
        "total_estimated": False,
        "total_pages": 2,
        "next_cursor": body["meta"]["next_cursor"],
    }
    assert body["meta"]["next_cursor"]


def test_per_page_and_page_walk_every_row_once(api, sixty_warehouses):
    seen = []
    for page in (1, 2, 3, 4):
        body = api.get("/v1/warehouses", {"page": page, "per_page": 17, "sort": "code"}).json()
        assert body["meta"]["total_pages"] == 4
        seen += [w["code"] for w in body["data"]]
    assert seen == [f"W{i:03d}" for i in range(60)]


def test_page_past_the_end_is_empty(api, sixty_warehouses):
    body = api.get("/v1/warehouses", {"page": 9}).json()
    assert body["data"] == []
    assert body["meta"] == {
        "page": 9,
        "per_page": 50,
        "total": 60,
        "total_estimated": False,
        "total_pages": 2,
        "next_cursor": None,
    }


def test_empty_list_has_zero_pages(api):
    assert api.get("/v1/warehouses").json()["meta"] == {
        "page": 1,
        "per_page": 50,
        "total": 0,
        "total_estimated": False,
        "total_pages": 0,
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    "params,field",
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"per_page": "x"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "101"}, "per_page"),
    ],
)
def test_bad_page_parameters_are_400(api, params, field):
    response = api.get("/v1/warehouses", params)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == ("validation_error", field)


def test_per_page_100_is_allowed(api, sixty_warehouses):
    body = api.get("/v1/warehouses", {"per_page": 100}).json()
    assert len(body["data"]) == 60 and body["meta"]["per_page"] == 100


def test_bad_sort_is_400(api):
    response = api.get("/v1/warehouses", {"sort": "password"})
    assert response.status_code == 400
    assert error_of(response)["field"] == "sort"


@pytest.mark.django_db
def test_a_page_beyond_the_deepest_is_a_400_naming_it(api):
    # an offset past the database's integers was a 409 "conflict" (found by schemathesis)
    response = api.get("/v1/events", {"page": "48282968522753773821493248"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "page"
    assert api.get("/v1/events", {"page": "1000000"}).status_code == 200
