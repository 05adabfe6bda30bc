"""The schema says what the server does (issue 15): for bodies and query values on either
side of a rule, the served schema's verdict (JSON Schema 2020-12) and the server's agree.
Rules stated generically in vectis.api.schema: unknown keys refused, non-empty lists,
"exactly one of" groups, no NUL in text, no blank or empty-entry query values, dates from
year 1000."""

import pytest
from jsonschema import Draft202012Validator
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

FORMATS = Draft202012Validator.FORMAT_CHECKER


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/v1/openapi.json").json()


def body_verdict(schema, method: str, path: str, body) -> bool:
    content = schema["paths"][path][method.lower()]["requestBody"]["content"]
    root = {"components": schema["components"], **content["application/json"]["schema"]}
    return Draft202012Validator(root, format_checker=FORMATS).is_valid(body)


def query_verdict(schema, path: str, name: str, value: str) -> bool:
    (parameter,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
    sent = value.split(",") if parameter["schema"].get("type") == "array" else value
    return Draft202012Validator(parameter["schema"], format_checker=FORMATS).is_valid(sent)


def server_verdict(response) -> bool:
    assert response.status_code < 300 or response.status_code == 400, response.content
    return response.status_code < 300


def adjust_cases(world):
    base = {"warehouse_id": world.warehouse, "reason": "cycle_count"}
    return [
        ({**base, "sku": "A", "quantity": 1}, True),
        ({**base, "product_id": world.product, "set_on_hand": 40}, True),
        ({**base, "sku": "A", "product_id": world.product, "quantity": 1}, False),
        ({**base, "quantity": 1}, False),
        ({**base, "sku": "A"}, False),
        ({**base, "sku": "A", "quantity": 1, "set_on_hand": 3}, False),
        ({**base, "sku": "A", "quantity": 0}, False),
        ({**base, "sku": "A", "quantity": 1, "colour": "red"}, False),
        ({**base, "sku": "A", "quantity": 1, "note": "bad \x00 byte"}, False),
    ]


def test_adjust_bodies(world, schema):
    for body, valid in adjust_cases(world):
        assert body_verdict(schema, "POST", "/v1/inventory/adjust", body) is valid, body
        response = world.api.post("/v1/inventory/adjust", body)
        assert server_verdict(response) is valid, (body, response.content)


def test_release_needs_exactly_one_of_three_keys(world, schema):
    for body, valid in [
        ({}, False),
        ({"reference": "cart-1", "order_id": world.pending}, False),
        ({"order_id": world.pending}, True),
    ]:
        assert body_verdict(schema, "POST", "/v1/inventory/release", body) is valid, body
        response = world.api.post("/v1/inventory/release", body)
        assert server_verdict(response) is valid, (body, response.content)


def test_order_bodies(world, schema, account):
    from tests.factories import REFERENCE_ORDER

    good = {**REFERENCE_ORDER, "external_id": "AGREE-1", "items": [{"sku": "A", "quantity": 1}]}
    for body, valid in [
        ({**good, "items": []}, False),
        ({**good, "external_id": "AGREE-2", "gift": True}, False),
        ({**good, "external_id": "AGREE-\x00"}, False),
        (good, True),
    ]:
        assert body_verdict(schema, "POST", "/v1/orders", body) is valid, body
        response = world.api.post("/v1/orders", body)
        assert server_verdict(response) is valid, (body, response.content)


@pytest.mark.parametrize(
    "path, name, value, valid",
    [
        ("/v1/orders", "sku", " ", False),
        ("/v1/orders", "sku", "\x1c\u3000", False),  # blank to Python, not to ECMA's \s
        ("/v1/orders", "sku", "A\x00", False),
        ("/v1/orders", "sku", "A", True),
        ("/v1/orders", "status", "pending,,shipped", False),
        ("/v1/orders", "status", "pending,shipped", True),
        ("/v1/orders", "created_after", "0999-12-31", False),
        ("/v1/orders", "created_after", "2026-01-31", True),
        ("/v1/orders", "created_after", "2026-01-31T10:00:00.1234567Z", False),
        ("/v1/orders", "created_after", "2026-01-31T10:00:00.123456+02:00", True),
        ("/v1/inventory", "below_threshold", "yes", False),
        ("/v1/inventory", "below_threshold", "true", True),
        ("/v1/inventory", "warehouse", "wh_x,,wh_y", False),
        ("/v1/inventory", "warehouse", "wh_x, wh_y", True),
        ("/v1/inventory", "warehouse", "wh_x,w\x00", False),
        ("/v1/inventory", "warehouse", "wh_x,\x1c\u3000", False),
        ("/v1/packages", "status", "pending,\x00", False),
        ("/v1/inventory", "updated_after", "2026-02-30", False),
        ("/v1/inventory", "updated_after", "2026-02-28", True),
    ],
)
def test_query_values(world, schema, path, name, value, valid):
    assert query_verdict(schema, path, name, value) is valid
    response = world.api.get(path, {name: value})
    assert server_verdict(response) is valid, response.content


@pytest.mark.parametrize("key, valid", [("\x1c ", False), (" ", False), ("retry-1", True)])
def test_idempotency_keys(world, schema, key, valid):
    (parameter,) = [
        p
        for p in schema["paths"]["/v1/warehouses"]["post"]["parameters"]
        if p["name"] == "Idempotency-Key"
    ]
    assert Draft202012Validator(parameter["schema"]).is_valid(key) is valid
    from tests.helpers import warehouse_body

    response = world.api.post("/v1/warehouses", warehouse_body("IDEM"), key=key)
    assert server_verdict(response) is valid, response.content


def test_the_blank_rule_lists_exactly_what_the_server_strips():
    # Listed rather than `\s`, whose meaning differs between regex engines (ECMA's, used by
    # schema validators such as schemathesis's, lacks U+001C-U+001F and U+0085).
    import re

    from vectis.api.schema import NOT_BLANK_NO_NUL

    pattern = re.compile(NOT_BLANK_NO_NUL)
    assert "\\s" not in NOT_BLANK_NO_NUL and "\\S" not in NOT_BLANK_NO_NUL
    disagree = [
        hex(code)
        for code in range(0x3001)
        if (chr(code).strip() == "" or code == 0) != (pattern.search(chr(code)) is None)
    ]
    assert disagree == []


def test_body_date_times(world, schema):
    path = f"/v1/packages/{world.shipped_package}/tracking"
    for when, valid in [
        ("0999-06-01T10:00:00Z", False),
        ("2026-06-01T10:00:00.1234567Z", False),
        ("2026-06-01T10:00:00.123456+02:00", True),
    ]:
        body = {"status": "in_transit", "occurred_at": when}
        assert body_verdict(schema, "POST", "/v1/packages/{id}/tracking", body) is valid, when
        assert server_verdict(world.api.post(path, body)) is valid, when


def test_product_bodies(world, schema):
    n = iter(range(100))

    def product(**fields):
        return {"sku": f"AGREE-{next(n)}", "name": "Agreeing product", **fields}

    for body, valid in [
        (product(price=""), False),
        (product(price="-"), False),
        (product(price="1e2"), False),
        (product(price="12.34567"), False),
        (product(price="0012.5000"), True),
        (product(hs_code="6109.10"), True),
        (product(hs_code="61"), False),
        (product(country_of_origin="pt"), True),
        (product(country_of_origin="XX"), False),
        (product(metadata=None), False),
        (product(metadata={"a": 1}), True),
        # a kit has components, any other product none
        (product(type="kit"), False),
        (product(type="kit", components=[]), False),
        (product(type="kit", components=[{"sku": "A", "quantity": 2}]), True),
        (product(components=[{"sku": "A", "quantity": 2}]), False),
        (product(type="simple", components=[{"sku": "A", "quantity": 2}]), False),
        (product(components=[]), True),
        (product(low_stock_threshold=1_000_000_001), False),
        (product(low_stock_threshold=1_000_000_000), True),
    ]:
        assert body_verdict(schema, "POST", "/v1/products", body) is valid, body
        assert server_verdict(world.api.post("/v1/products", body)) is valid, body


def test_blank_text_fields(world, schema):
    # DRF strips text first, so a field that refuses blanks refuses only spaces as well
    path = f"/v1/packages/{world.package}/split"
    for line, valid in [({"line_id": " ", "quantity": 1}, False)]:
        body = {"lines": [line]}
        assert body_verdict(schema, "POST", "/v1/packages/{id}/split", body) is valid, line
        assert server_verdict(world.api.post(path, body)) is valid, line


def test_product_patch_kit_shape(world, schema):
    # both type and components: the body alone decides (a 400), as the schema says
    path = f"/v1/products/{world.product}"
    for body, valid in [
        ({"type": "kit", "components": []}, False),
        ({"type": "simple", "components": [{"sku": "B", "quantity": 1}]}, False),
        ({"type": "simple", "components": []}, True),
    ]:
        assert body_verdict(schema, "PATCH", "/v1/products/{id}", body) is valid, body
        assert server_verdict(world.api.patch(path, body)) is valid, body


def test_webhook_event_types(world, schema):
    for events, valid in [(["order.created"], True), (["order.nope"], False), (["*"], True)]:
        body = {"url": "http://127.0.0.1:9/hook", "events": events}
        assert body_verdict(schema, "POST", "/v1/webhooks", body) is valid, events
        assert server_verdict(world.api.post("/v1/webhooks", body)) is valid, events


def test_a_text_field_that_allows_blank_takes_the_empty_string(world, schema):
    # drf-spectacular states a blank-allowing field as oneOf [its pattern, maxLength 0]: the
    # pattern must refuse "" or "" matches both and the schema refuses what the server takes
    # (found by the contract run on POST /v1/warehouses with an address `name` of "")
    from tests.helpers import warehouse_body

    for n, (name, valid) in enumerate([("", True), ("Dock 4", True), ("Dock\x00", False)]):
        body = warehouse_body(f"BLANK{n}")
        body["address"]["name"] = name
        assert body_verdict(schema, "POST", "/v1/warehouses", body) is valid, name
        assert server_verdict(world.api.post("/v1/warehouses", body)) is valid, name
