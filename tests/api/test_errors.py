"""Every error is the JSON envelope, whatever produced it."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.helpers import Api, error_of, warehouse_body

pytestmark = pytest.mark.django_db


def test_validation_error_names_first_field_and_lists_all(api):
    # when a warehouse is posted with a bad country and without a name
    body = warehouse_body()
    body.pop("name")
    body["address"]["country"] = "XX"
    response = api.post("/v1/warehouses", body)
    # then
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    fields = {d["field"] for d in error["details"]}
    assert fields == {"name", "address.country"}
    assert error["field"] == error["details"][0]["field"]
    assert error["message"] == error["details"][0]["message"]
    assert error["request_id"].startswith("req_")


def test_nested_list_errors_get_indexed_paths():
    from rest_framework import serializers

    from vectis.api.errors import flatten_errors

    class Item(serializers.Serializer):
        sku = serializers.CharField()
        quantity = serializers.IntegerField(min_value=1)

    class Body(serializers.Serializer):
        items = Item(many=True)

    s = Body(data={"items": [{"sku": "A", "quantity": 1}, {"quantity": 0}]})
    assert not s.is_valid()
    flat = flatten_errors(s.errors)
    assert [d["field"] for d in flat] == ["items[1].sku", "items[1].quantity"]


def test_unknown_field_is_refused_not_ignored(api):
    response = api.post("/v1/warehouses", warehouse_body(colour="blue"))
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == ("validation_error", "colour")


def test_malformed_json_is_400(api):
    response = api.http.post("/v1/warehouses", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_json"


def test_wrong_content_type_is_415(api):
    response = api.http.post("/v1/warehouses", data="code=X", content_type="text/plain")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


@pytest.mark.parametrize("path", ["/v1/nope", "/v1/warehouses/wh_missing/nothing", "/v1/"])
def test_unknown_url_under_v1_is_json_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_unknown_object_is_404_envelope(api):
    response = api.get("/v1/warehouses/wh_doesnotexist")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_wrong_method_is_405_envelope_with_allow(api):
    response = api.delete("/v1/warehouses")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in response["Allow"] and "POST" in response["Allow"]


def test_put_is_not_offered(api):
    created = api.post("/v1/warehouses", warehouse_body()).json()
    response = api.put(f"/v1/warehouses/{created['id']}", warehouse_body())
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_missing_token_is_401_with_www_authenticate(db):
    response = APIClient().get("/v1/warehouses")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="vectis"'


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Bearer a b"])
def test_invalid_token_is_401(db, header):
    response = APIClient().get("/v1/warehouses", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_missing_scope_is_403_insufficient_scope(account):
    api = Api(account, scopes=["orders:read"])
    response = api.get("/v1/warehouses")
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "insufficient_scope"
    assert "warehouses:read" in error["message"]
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_rate_limited_is_429_envelope(account, settings):
    settings.VECTIS_RATE_LIMIT_BURST = 1
    settings.VECTIS_RATE_LIMIT_PER_MINUTE = 1
    api = Api(account)
    assert api.get("/v1/warehouses").status_code == 200
    response = api.get("/v1/warehouses")
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1


@pytest.mark.urls("tests.api.urls_boom")
def test_unhandled_exception_in_api_view_is_500_envelope_without_traceback(api, caplog):
    response = api.get("/v1/test/boom")
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "internal_error"
    assert "kaboom" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    # and it is logged with its request id for the operator
    assert any(error["request_id"] in r.getMessage() for r in caplog.records)


@pytest.mark.urls("tests.api.urls_boom")
def test_unhandled_exception_outside_drf_is_500_envelope(db):
    response = Client(raise_request_exception=False).get("/v1/test/django-boom")
    assert response.status_code == 500
    assert error_of(response)["code"] == "internal_error"
    assert "kaboom" not in response.content.decode()


def test_request_id_is_echoed_or_minted(api):
    echoed = api.get("/v1/warehouses", HTTP_X_REQUEST_ID="client-abc-123")
    assert echoed["X-Request-ID"] == "client-abc-123"
    minted = api.get("/v1/warehouses")
    assert minted["X-Request-ID"].startswith("req_")
    # an unsafe client value is replaced, not reflected
    unsafe = api.get("/v1/warehouses", HTTP_X_REQUEST_ID="<script>")
    assert unsafe["X-Request-ID"].startswith("req_")


def test_error_request_id_matches_header(api):
    response = api.get("/v1/warehouses/wh_nope", HTTP_X_REQUEST_ID="trace-42")
    assert error_of(response)["request_id"] == "trace-42" == response["X-Request-ID"]


def test_token_endpoint_wrong_method_is_json(db):
    # The token endpoint answers every error in the OAuth 2.0 format (RFC 6749 section 5.2),
    # as its other errors always did, rather than the /v1 envelope.
    response = APIClient().get("/oauth/token")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == "method_not_allowed"
    assert body["request_id"].startswith("req_")


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "2026-01-01T10:00:00+25:00"])
def test_impossible_dates_are_400(api, value):
    response = api.get("/v1/warehouses", {"created_after": value})
    assert response.status_code == 400
    assert error_of(response)["field"] == "created_after"


def test_oversized_body_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post("/v1/warehouses", warehouse_body(name="x" * 2000))
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


@pytest.mark.parametrize(
    "path", ["/v1/warehouses/%00", "/v1/warehouses/a%00b/locations", "/v1/locations/x.y"]
)
def test_ids_that_cannot_be_public_ids_are_404(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.postgres
def test_nul_in_a_filter_value_is_400_not_500(api):
    response = api.get("/v1/warehouses", {"q": "a\x00b"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "validation_error"
