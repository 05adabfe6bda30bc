import base64
import json
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from tests.helpers import error_of, make_account, make_api_client

pytestmark = pytest.mark.django_db

TOKEN_URL = "/oauth/token"


@pytest.fixture
def client_and_secret():
    account = make_account("Acme")
    return make_api_client(account, ["warehouses:read", "warehouses:write", "orders:read"])


def _json_token(http, client, secret, scope=None):
    body = {"grant_type": "client_credentials", "client_id": client.client_id}
    body["client_secret"] = secret
    if scope is not None:
        body["scope"] = scope
    return http.post(TOKEN_URL, data=json.dumps(body), content_type="application/json")


def test_json_body_issues_bearer_token_for_requested_scopes(client_and_secret):
    # given a client granted three scopes
    client, secret = client_and_secret
    # when it asks for one of them with a JSON body, as in the reference
    response = _json_token(APIClient(), client, secret, scope="warehouses:read")
    # then it gets a one-hour bearer token with exactly that scope
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "warehouses:read"
    assert AccessToken.objects.count() == 1
    # and the token works on an endpoint needing that scope
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert http.get("/v1/warehouses").status_code == 200


def test_form_body_issues_token(client_and_secret):
    client, secret = client_and_secret
    response = APIClient().post(
        TOKEN_URL,
        data={
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": secret,
            "scope": "orders:read warehouses:write",
        },
    )
    assert response.status_code == 200, response.content
    assert set(response.json()["scope"].split()) == {"orders:read", "warehouses:write"}


def test_urlencoded_form_and_http_basic_credentials(client_and_secret):
    client, secret = client_and_secret
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    response = APIClient().post(
        TOKEN_URL,
        data="grant_type=client_credentials&scope=warehouses%3Aread",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "warehouses:read"


def test_no_scope_requested_grants_everything_the_client_has(client_and_secret):
    client, secret = client_and_secret
    response = _json_token(APIClient(), client, secret)
    assert response.status_code == 200
    assert set(response.json()["scope"].split()) == {
        "warehouses:read",
        "warehouses:write",
        "orders:read",
    }


def test_wrong_secret_is_invalid_client_401(client_and_secret):
    client, _ = client_and_secret
    response = _json_token(APIClient(), client, "not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert AccessToken.objects.count() == 0


def test_unknown_client_is_invalid_client(db):
    response = APIClient().post(
        TOKEN_URL,
        data=json.dumps(
            {"grant_type": "client_credentials", "client_id": "nope", "client_secret": "x"}
        ),
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_ungranted_scope_is_refused_with_invalid_scope(client_and_secret):
    client, secret = client_and_secret
    response = _json_token(APIClient(), client, secret, scope="warehouses:read inventory:write")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert AccessToken.objects.count() == 0


def test_unknown_scope_is_refused(client_and_secret):
    client, secret = client_and_secret
    response = _json_token(APIClient(), client, secret, scope="admin:everything")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_disabled_client_cannot_get_a_token(client_and_secret):
    client, secret = client_and_secret
    client.active = False
    client.save()
    response = _json_token(APIClient(), client, secret)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_client_secret_is_stored_hashed(client_and_secret):
    client, secret = client_and_secret
    stored = client.application.__class__.objects.get(pk=client.application.pk).client_secret
    assert stored != secret
    assert secret not in stored
    assert check_password(secret, stored)


def test_access_token_itself_is_not_stored(client_and_secret):
    client, secret = client_and_secret
    token = _json_token(APIClient(), client, secret).json()["access_token"]
    row = AccessToken.objects.get()
    assert row.token != token
    assert token not in row.token


def _bearer(token):
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return http


def test_expired_token_is_401_with_www_authenticate(client_and_secret):
    client, secret = client_and_secret
    token = _json_token(APIClient(), client, secret).json()["access_token"]
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = _bearer(token).get("/v1/warehouses")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"
    assert response["WWW-Authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_scope_revoked_from_client_stops_working_on_old_tokens(client_and_secret):
    client, secret = client_and_secret
    token = _json_token(APIClient(), client, secret, scope="warehouses:read").json()["access_token"]
    client.scopes = "orders:read"
    client.save()
    response = _bearer(token).get("/v1/warehouses")
    assert response.status_code == 403
    assert error_of(response)["code"] == "insufficient_scope"
