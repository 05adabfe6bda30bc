"""Bad input gets a clear 4xx, never a 500, and changes nothing: the sweep over every table."""

import pytest
from rest_framework.test import APIClient

from tests.api.hostile import (
    BAD_BODY_DATES,
    FILTER_CASES,
    LIST_OPERATIONS,
    SCHEMA,
    fill,
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
from tests.helpers import error_of

pytestmark = pytest.mark.django_db


# --- never a 500 ------------------------------------------------------------------------------
def _write_routes() -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), path)
        for path, ops in SCHEMA["paths"].items()
        for method in ops
        if method in ("post", "patch", "put") and path.startswith("/v1/")
    )


def _fill_any(path: str, world) -> str:
    """A real id for every path parameter, so that requests get past the object lookup."""
    by_resource = {
        "orders": world.pending,
        "packages": world.package,
        "products": world.product,
        "warehouses": world.warehouse,
        "locations": world.bin,
        "returns": world.requested,
        "webhooks": world.webhook,
    }
    path = path.replace("{id}", by_resource.get(path.split("/")[2], "x_unknown"))
    return fill(path, world.ids())


def test_no_bad_input_is_ever_a_5xx_and_every_refusal_is_the_envelope(world):
    sent = 0
    problems = []

    def check(response, what, *, must_refuse=True):
        nonlocal sent
        sent += 1
        if response.status_code >= 500:
            problems.append((what, response.status_code))
        elif must_refuse or response.status_code >= 400:
            try:
                error_of(response)
            except AssertionError as exc:
                problems.append((what, response.status_code, "not the envelope", str(exc)[:200]))

    # given every list answers its plain GET
    for path, _ in LIST_OPERATIONS:
        response = world.api.get(fill(path, world.ids()))
        assert response.status_code == 200, (path, response.content[:300])
    # when every bad query value, body value and deep body of the tables is sent
    for path, name, value in FILTER_CASES:
        check(world.api.get(fill(path, world.ids()), {name: value}), (path, name, value))
    tables = (
        (date_fields(world), BAD_BODY_DATES),
        (integer_fields(world), NOT_INTEGERS),
        (money_fields(world), BAD_MONEY),
        (string_fields(world), NOT_STRINGS),
    )
    for fields, values in tables:
        for method, path, body, field in fields:
            for value in values:
                check(world.api.call(method, path, body(value)), (method, path, field, value))
    deep_bodies = ("[" * 100_000, '{"a":' * 2000 + "1" + "}" * 2000, '{"a": [' * 500)
    for method, path in _write_routes():
        for raw in deep_bodies:
            response = getattr(world.api.http, method.lower())(
                _fill_any(path, world), data=raw, content_type="application/json"
            )
            # actions without a body (allocate, void, …) never read it: those may succeed
            check(response, (method, path, raw[:10]), must_refuse=False)
    for raw in deep_bodies:
        token = APIClient().post("/oauth/token", data=raw, content_type="application/json")
        sent += 1
        if token.status_code != 400:
            problems.append(("/oauth/token", raw[:10], token.status_code))
    # then none was a 5xx, and every refusal was the envelope
    assert problems == []
    assert sent > 1000
