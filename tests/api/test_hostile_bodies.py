"""Items 10 and 11: date-times, integers, money, currencies, strings and booleans in bodies."""

import pytest

from tests.api.hostile import (
    BAD_BODY_DATES,
    order_body,
    refusals,
)
from tests.api.hostile_fields import (
    BAD_MONEY,
    NOT_INTEGERS,
    NOT_STRINGS,
    date_fields,
    integer_fields,
    money_fields,
    string_fields,
)

pytestmark = pytest.mark.django_db


def test_body_date_times_that_cannot_be_rendered_back_are_400(world):
    wrong = {
        field: refusals(world, method, path, body, field, BAD_BODY_DATES)
        for method, path, body, field in date_fields(world)
    }
    assert wrong == {field: [] for field in wrong}


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        ("2026-01-01T00:00:00+16:00", "2025-12-31T08:00:00.000000Z"),
        ("2026-01-01T00:00:00-16:00", "2026-01-01T16:00:00.000000Z"),
        ("1000-01-01T00:00:00Z", "1000-01-01T00:00:00.000000Z"),
        ("9999-12-31T00:00:00+05:00", "9999-12-30T19:00:00.000000Z"),
        ("2026-03-01T10:20:30.5Z", "2026-03-01T10:20:30.500000Z"),
        ("2026-03-01t10:20:30z", "2026-03-01T10:20:30.000000Z"),
    ],
)
def test_accepted_date_times_are_echoed_in_rfc_3339_utc(world, sent, echoed):
    response = world.api.post("/v1/orders", order_body(placed_at=sent))
    assert response.status_code == 201, response.content
    assert response.json()["placed_at"] == echoed


def test_integers_must_be_json_integers(world):
    wrong = {
        f"{method} {path} {field}": refusals(world, method, path, body, field, NOT_INTEGERS)
        for method, path, body, field in integer_fields(world)
    }
    assert wrong == {key: [] for key in wrong}


def test_json_integers_are_still_accepted(world):
    for method, path, body, field in integer_fields(world):
        response = world.api.call(method, path, body(1))
        # understood: done, or refused by the domain (409) for the state the world is in
        assert response.status_code in (200, 201, 409), (path, field, response.content)


def test_money_is_a_non_negative_decimal_with_at_most_4_places(world):
    wrong = {
        f"{method} {path} {field}": refusals(world, method, path, body, field, BAD_MONEY)
        for method, path, body, field in money_fields(world)
    }
    assert wrong == {key: [] for key in wrong}


@pytest.mark.parametrize(
    ("sent", "stored"),
    [(29.99, "29.99"), ("29.99", "29.99"), (0, "0.00"), ("0.0001", "0.0001"), (12, "12.00")],
)
def test_money_as_number_or_decimal_string_is_accepted(world, sent, stored):
    response = world.api.patch(f"/v1/products/{world.product}", {"price": sent})
    assert response.status_code == 200, response.content
    assert response.json()["price"] == stored


BAD_CURRENCIES = ["0", "", "US", "USDX", 840, "U$D", None]


def test_currencies_are_iso_4217(world):
    refund = (
        "POST",
        f"/v1/returns/{world.requested}/authorize",
        lambda v: {"refund": {"amount": "1.00", "currency": v}},
        "refund.currency",
    )
    order = ("POST", "/v1/orders", lambda v: order_body(currency=v), "currency")
    product = ("PATCH", f"/v1/products/{world.product}", lambda v: {"currency": v}, "currency")
    wrong = {
        path: refusals(world, method, path, body, field, BAD_CURRENCIES)
        for method, path, body, field in (refund, order, product)
    }
    assert wrong == {key: [] for key in wrong}
    ok = world.api.post(
        f"/v1/returns/{world.requested}/authorize",
        {"refund": {"amount": "1.00", "currency": "EUR"}},
    )
    assert ok.status_code == 200, ok.content
    assert (ok.json()["refund"]["amount"], ok.json()["refund"]["currency"]) == ("1.00", "EUR")


def test_strings_and_codes_must_be_json_strings(world):
    wrong = {
        f"{method} {path} {field}": refusals(world, method, path, body, field, NOT_STRINGS)
        for method, path, body, field in string_fields(world)
    }
    assert wrong == {key: [] for key in wrong}


NOT_BOOLEANS = ["true", "false", 1, 0, "yes", "on", None]


def test_booleans_must_be_json_booleans(world):
    cases = [
        ("PATCH", f"/v1/locations/{world.bin}", lambda v: {"pickable": v}, "pickable"),
        ("PATCH", f"/v1/products/{world.product}", lambda v: {"active": v}, "active"),
        ("POST", "/v1/orders", lambda v: order_body(hold=v), "hold"),
        (
            "POST",
            f"/v1/returns/{world.requested}/authorize",
            lambda v: {"label": v},
            "label",
        ),
    ]
    wrong = {
        f"{method} {path} {field}": refusals(world, method, path, body, field, NOT_BOOLEANS)
        for method, path, body, field in cases
    }
    assert wrong == {key: [] for key in wrong}


def _request_serializers() -> dict[str, type]:
    """{"POST /v1/orders": OrderCreateSerializer, …} for every write endpoint with a body."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.settings import spectacular_settings

    generator = SchemaGenerator()
    generator._initialise_endpoints()
    found = {}
    for path, path_regex, method, view in generator._get_paths_and_endpoints():
        if method not in ("POST", "PATCH", "PUT"):
            continue
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        view.schema.path, view.schema.path_regex, view.schema.method = path, path_regex, method
        serializer = view.schema.get_request_serializer()
        if serializer is not None:
            found[f"{method} {path}"] = serializer
    return found


def _loose_fields(serializer, prefix="") -> list[str]:
    from rest_framework import serializers as drf

    from vectis import serializers as strict

    loose_kinds = (
        drf.CharField,
        drf.IntegerField,
        drf.DecimalField,
        drf.FloatField,
        drf.BooleanField,
        drf.DateTimeField,
        drf.DateField,
        drf.TimeField,
        drf.DurationField,
    )
    strict_kinds = (
        strict.CharField,
        strict.EmailField,
        strict.URLField,
        strict.IntegerField,
        strict.DecimalField,
        strict.BooleanField,
        strict.DateTimeField,
    )
    out = []
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        path = f"{prefix}{name}"
        while isinstance(field, drf.ListSerializer | drf.ListField | drf.DictField):
            field, path = field.child, f"{path}[]"
        if isinstance(field, drf.Serializer):
            out += _loose_fields(field, f"{path}.")
        elif isinstance(field, loose_kinds) and not isinstance(field, strict_kinds):
            out.append(f"{path}: {type(field).__name__}")
    return out


def test_every_request_body_is_read_with_the_json_typed_fields():
    from vectis.api.serializers import StrictSerializer

    found = _request_serializers()
    assert len(found) >= 30
    not_strict = [key for key, cls in found.items() if not issubclass(cls, StrictSerializer)]
    loose = {key: _loose_fields(cls()) for key, cls in found.items()}
    assert not_strict == []
    assert {key: fields for key, fields in loose.items() if fields} == {}
