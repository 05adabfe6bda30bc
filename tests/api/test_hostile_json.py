"""Item 8: JSON nested deeper than VECTIS_JSON_MAX_DEPTH is a 400 validation_error, never a 500."""

import json

import pytest
from rest_framework.test import APIClient

from tests.api.hostile import assert_refused, deep, order_body, snapshot
from tests.helpers import error_of, make_api_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 1000 + "]" * 1000,
        '{"a":' * 1000 + "1" + "}" * 1000,
        "[" * 100_000,
        '{"external_id": "X", "metadata": ' + '{"a":' * 5000 + "1" + "}" * 5000 + "}",
    ],
    ids=["array-1000", "object-1000", "unclosed-100000", "metadata-5000"],
)
@pytest.mark.parametrize("key", [None, "deep-1"], ids=["plain", "idempotency-key"])
def test_deep_json_on_orders_is_400_validation_error(world, raw, key):
    before = snapshot()
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = world.api.http.post("/v1/orders", data=raw, content_type="application/json", **extra)
    assert_refused(response, None)
    assert "deep" in error_of(response)["message"]
    assert snapshot() == before


def test_deep_json_on_patch_is_400_and_changes_nothing(world):
    before = snapshot()
    response = world.api.http.patch(
        f"/v1/orders/{world.pending}",
        data=json.dumps({"metadata": deep(40)}),
        content_type="application/json",
    )
    assert_refused(response, None)
    assert snapshot() == before


def test_json_depth_limit_is_exact_and_a_setting(world, settings):
    body = order_body()
    # the body is one level; metadata nested 31 deep makes 32, the default limit
    body["external_id"], body["metadata"] = "DEEP-32", deep(31)
    assert world.api.post("/v1/orders", body).status_code == 201
    body["external_id"], body["metadata"] = "DEEP-33", deep(32)
    assert_refused(world.api.post("/v1/orders", body), None)
    settings.VECTIS_JSON_MAX_DEPTH = 4
    body["external_id"], body["metadata"] = "DEEP-5", deep(4)
    assert_refused(world.api.post("/v1/orders", body), None)
    body["metadata"] = deep(3)
    assert world.api.post("/v1/orders", body).status_code == 201


def test_safe_loads_never_recurses():
    from vectis.safejson import JSONDepthError, loads

    with pytest.raises(JSONDepthError):
        loads("[" * 1_000_000)
    with pytest.raises(JSONDepthError):
        loads('{"a": "[[[[", "b": ' + "[" * 50 + "]" * 50 + "}")
    # brackets inside strings are not nesting
    assert loads('{"a": "' + "[{" * 1000 + '"}') == {"a": "[{" * 1000}
    assert loads('["\\"[[[["]') == ['"[[[[']
    assert isinstance(JSONDepthError("x"), ValueError)


@pytest.mark.parametrize(
    "raw", ["[" * 100_000, '{"grant_type": ' + "[" * 5000 + "]" * 5000 + "}"], ids=["open", "deep"]
)
def test_deep_json_on_the_token_endpoint_is_400_json(db, raw):
    response = APIClient().post("/oauth/token", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "error" in response.json()


def test_token_endpoint_still_reads_shallow_json(account):
    client, secret = make_api_client(account, ["orders:read"])
    body = {
        "grant_type": "client_credentials",
        "client_id": client.application.client_id,
        "client_secret": secret,
    }
    response = APIClient().post(
        "/oauth/token", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "orders:read"


def test_metadata_integers_beyond_64_bits_are_refused(world):
    # found by schemathesis: stored, such an order answered 500 on every read after
    path = f"/v1/orders/{world.pending}"
    response = world.api.patch(path, {"metadata": {"n": 2**64}})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "metadata"
    within = {"n": 2**63 - 1, "nested": [{"m": -(2**63) + 1}]}
    assert world.api.patch(path, {"metadata": within}).status_code == 200
    assert world.api.get(path).json()["metadata"] == within


@pytest.mark.parametrize(
    "metadata",
    [
        {"a\x00": 1},
        {"a": "b\x00"},
        {"a": [{"\x00": None}]},
        {"a": {"b": ["\x00"]}},
        {"a": "lone \ud800"},  # also beyond jsonb, as CSV imports already refused
    ],
)
def test_metadata_with_a_nul_character_is_a_400_naming_it_on_every_database(world, metadata):
    # found by schemathesis: PostgreSQL's jsonb cannot hold NUL, which was a 400 without a
    # field there (and stored on SQLite)
    path = f"/v1/orders/{world.pending}"
    before = world.api.get(path).json()["metadata"]

    def send(method, url, body):
        # as escaped ASCII JSON: a lone surrogate has no UTF-8 form, only a JSON escape
        raw = json.dumps(body, ensure_ascii=True)
        return getattr(world.api.http, method)(url, data=raw, content_type="application/json")

    response = send("patch", path, {"metadata": metadata})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "metadata"
    assert world.api.get(path).json()["metadata"] == before
    created = send("post", "/v1/products", {"sku": "NUL-1", "name": "n", "metadata": metadata})
    assert (created.status_code, created.json()["error"]["field"]) == (400, "metadata")


def test_a_product_low_stock_threshold_beyond_its_column_is_a_400(world):
    # found by schemathesis: 28327278919 overflowed the 32-bit column (400 without a field)
    body = {"sku": "T-1", "name": "t", "low_stock_threshold": 28_327_278_919}
    response = world.api.post("/v1/products", body)
    assert (response.status_code, response.json()["error"]["field"]) == (
        400,
        "low_stock_threshold",
    )
    body["low_stock_threshold"] = 1_000_000_000
    assert world.api.post("/v1/products", body).status_code == 201


def test_the_renderer_still_renders_integers_beyond_64_bits():
    from vectis.api.renderers import ORJSONRenderer

    assert json.loads(ORJSONRenderer().render({"n": 2**70})) == {"n": 2**70}
