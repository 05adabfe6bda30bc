"""Item 9 and the filter half of 10: a query value that cannot be understood is a 400 naming it."""

import pytest

from catalog.models import Product
from inventory.models import Reservation
from orders.models import Order
from tests.api.hostile import (
    FILTER_CASES,
    GOOD_DATES,
    LIST_OPERATIONS,
    QUERY_PARAMS,
    assert_refused,
    bad_query_values,
    fill,
)
from tests.helpers import error_of

pytestmark = pytest.mark.django_db


def test_the_filter_table_covers_every_list():
    paths = {path for path, _ in LIST_OPERATIONS}
    assert {
        "/v1/orders",
        "/v1/packages",
        "/v1/returns",
        "/v1/products",
        "/v1/warehouses",
        "/v1/locations",
        "/v1/inventory",
        "/v1/inventory/movements",
        "/v1/inventory/reservations",
        "/v1/events",
        "/v1/webhooks/{webhook_id}/deliveries",
        "/v1/warehouses/{warehouse_id}/locations",
    } <= paths
    assert len(FILTER_CASES) > 300


@pytest.mark.parametrize(
    ("path", "param"), [pytest.param(p, q, id=f"{p}?{q['name']}") for p, q in QUERY_PARAMS]
)
def test_a_query_value_that_cannot_be_understood_is_400_naming_it(lists, path, param):
    url, name = fill(path, lists), param["name"]
    wrong = []
    for value in bad_query_values(param):
        response = lists["api"].get(url, {name: value})
        error = response.json().get("error", {}) if response.status_code < 500 else {}
        got = (response.status_code, error.get("code"), error.get("field"))
        if got != (400, "validation_error", name):
            wrong.append((value, *got))
    assert wrong == []


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/orders", {"status": "bogus"}),
        ("/v1/orders", {"status": "PENDING"}),
        ("/v1/orders", {"status": "pending,canceled"}),
        ("/v1/orders", {"status": "pending,"}),
        ("/v1/packages", {"status": "bogus"}),
        ("/v1/returns", {"status": "bogus"}),
        ("/v1/inventory/reservations", {"status": "bogus"}),
        ("/v1/inventory/reservations", {"status": "active,ACTIVE"}),
        ("/v1/inventory/movements", {"reason": "bogus"}),
        ("/v1/inventory/movements", {"reason": ""}),
        ("/v1/events", {"type": "order.bogus"}),
        ("/v1/events", {"type": ""}),
        ("/v1/webhooks/{webhook_id}/deliveries", {"event_type": "bogus"}),
        ("/v1/orders", {"created_after": ""}),
        ("/v1/orders", {"channel": ""}),
        ("/v1/products", {"q": ""}),
        ("/v1/orders", {"sort": ""}),
        ("/v1/orders", {"page": ""}),
        ("/v1/inventory", {"warehouse": ""}),
        ("/v1/orders", {"created_after": "0519-08-10T00:00:00Z"}),
        ("/v1/orders", {"created_after": "9999-12-31T23:00:00-05:00"}),
    ],
)
def test_the_issue_examples_are_400_naming_the_parameter(lists, path, params):
    response = lists["api"].get(fill(path, lists), params)
    assert_refused(response, next(iter(params)))


def test_a_repeated_parameter_is_400_not_last_one_wins(lists):
    response = lists["api"].http.get("/v1/orders?status=pending&status=shipped")
    assert_refused(response, "status")
    assert "comma" in error_of(response)["message"]


@pytest.mark.parametrize("value", GOOD_DATES)
def test_dates_with_any_valid_offset_are_understood(lists, value):
    for path in ("/v1/orders", "/v1/inventory/movements", "/v1/events"):
        response = lists["api"].get(path, {"created_after": value})
        assert response.status_code == 200, (path, value, response.content)


def test_a_date_offset_is_applied_not_dropped(lists):
    created = Order.objects.get(public_id=lists["id"]).created_at
    # the same instant written with a +16:00 and a -16:00 offset
    plus = created.astimezone(_tz(16)).isoformat()
    minus = created.astimezone(_tz(-16)).isoformat()
    for value in (plus, minus):
        found = lists["api"].get("/v1/orders", {"created_after": value})
        assert [o["id"] for o in found.json()["data"]] == [lists["id"]], value
        before = lists["api"].get("/v1/orders", {"created_before": value})
        assert before.json()["data"] == [], value


def _tz(hours: int):
    from datetime import timedelta, timezone

    return timezone(timedelta(hours=hours))


def test_comma_lists_of_known_values_still_filter(world):
    listed = world.api.get("/v1/orders", {"status": "pending,allocated", "sort": "created_at"})
    assert [o["id"] for o in listed.json()["data"]] == [world.pending, world.allocated]
    kinds = world.api.get("/v1/inventory/movements", {"reason": "received,shipped"}).json()
    assert {m["reason"] for m in kinds["data"]} == {"received", "shipped"}
    active = world.api.get("/v1/inventory/reservations", {"status": "active"}).json()
    assert len(active["data"]) == Reservation.objects.filter(status="active").count() > 0
    events = world.api.get("/v1/events", {"type": "order.created,order.shipped"}).json()
    assert {e["type"] for e in events["data"]} == {"order.created", "order.shipped"}


def _list_filtersets():
    from django.urls import URLPattern, URLResolver, get_resolver

    found = set()

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns)
            elif isinstance(p, URLPattern) and getattr(p.callback, "cls", None) is not None:
                filterset = getattr(p.callback.cls, "filterset_class", None)
                if filterset is not None:
                    found.add(filterset)

    walk(get_resolver().url_patterns)
    return sorted(found, key=lambda f: f.__name__)


def test_every_filter_is_one_of_the_strict_kinds():
    from django_filters import CharFilter
    from django_filters.utils import get_model_field

    from vectis.api.filters import BooleanFilter, CommaListFilter, DateOrDateTimeFilter

    filtersets = _list_filtersets()
    assert len(filtersets) >= 10
    loose = []
    for filterset in filtersets:
        for name, f in filterset.base_filters.items():
            model_field = get_model_field(filterset._meta.model, f.field_name)
            if isinstance(f, CommaListFilter | DateOrDateTimeFilter | BooleanFilter):
                continue
            # a free-text filter is fine, unless the field has choices (then: CommaListFilter)
            if type(f) is CharFilter and not getattr(model_field, "choices", None):
                continue
            loose.append(f"{filterset.__name__}.{name}: {type(f).__name__}")
    assert loose == []


def test_query_parameters_of_other_endpoints_follow_the_same_rule(world):
    label = f"/v1/packages/{world.shipped_package}/label"
    assert_refused(world.api.get(label, {"format": ""}), "format")
    assert_refused(world.api.http.get(f"{label}?format=pdf&format=png"), "format")
    assert world.api.get(label, {"format": "zpl"}).status_code == 200
    body = {"products": [{"sku": "NEW-1", "name": "New"}]}
    for query in ("?atomic=", "?atomic=maybe", "?atomic=true&atomic=false"):
        assert_refused(world.api.post(f"/v1/products/bulk{query}", body), "atomic")
    assert not Product.objects.filter(sku="NEW-1").exists()
