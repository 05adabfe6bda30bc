"""Test helpers shared by every app's tests: accounts, clients, tokens and an API wrapper."""

import secrets
from datetime import timedelta

from django.utils import timezone
from oauth2_provider.models import AccessToken, set_token_value
from rest_framework.test import APIClient

from vectis.accounts import services as account_services
from vectis.accounts.models import Account, ApiClient
from vectis.accounts.scopes import ALL_SCOPES


def make_account(name: str | None = None) -> Account:
    account, _ = account_services.account_get_or_create(name=name or f"acct-{secrets.token_hex(4)}")
    return account


def make_api_client(
    account: Account, scopes=ALL_SCOPES, name: str = "test"
) -> tuple[ApiClient, str]:
    issued = account_services.api_client_create(account=account, name=name, scopes=list(scopes))
    return issued.client, issued.client_secret


def issue_token(client: ApiClient, scopes=None, *, expires_in: int = 3600) -> str:
    """An access token as /oauth/token would issue it, without the HTTP round trip."""
    raw = secrets.token_urlsafe(30)
    token = AccessToken(
        application=client.application,
        expires=timezone.now() + timedelta(seconds=expires_in),
        scope=" ".join(scopes if scopes is not None else client.scope_list),
    )
    set_token_value(token, raw)
    token.save()
    return raw


class Api:
    """An APIClient that sends a bearer token; `api.get(path)` etc. return DRF test responses."""

    def __init__(self, account: Account, scopes=ALL_SCOPES, *, token: str | None = None):
        self.account = account
        self.client_model, self.client_secret = make_api_client(account, scopes)
        self.token = token or issue_token(self.client_model)
        self.http = APIClient()
        self.http.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def get(self, path, params=None, **extra):
        return self.http.get(path, params, **extra)

    def post(self, path, data=None, *, key: str | None = None, **extra):
        if key is not None:
            extra["HTTP_IDEMPOTENCY_KEY"] = key
        return self.http.post(path, data, format="json", **extra)

    def patch(self, path, data=None, **extra):
        return self.http.patch(path, data, format="json", **extra)

    def put(self, path, data=None, **extra):
        return self.http.put(path, data, format="json", **extra)

    def delete(self, path, **extra):
        return self.http.delete(path, **extra)

    def call(self, method: str, path: str, data=None):
        if method.upper() == "GET":
            return self.http.get(path, data)
        return getattr(self.http, method.lower())(path, data, format="json")


def error_of(response) -> dict:
    """The `error` object of an envelope response (asserts the envelope shape)."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message", "field", "request_id"} <= set(error), error
    return error


ADDRESS = {
    "name": "Main DC",
    "address1": "1 Dock Rd",
    "city": "Phoenix",
    "state": "AZ",
    "postal_code": "85001",
    "country": "US",
}


def warehouse_body(code: str = "MAIN", **overrides) -> dict:
    return {"code": code, "name": f"Warehouse {code}", "address": dict(ADDRESS), **overrides}


def assert_scope_matrix(account, endpoints) -> None:
    """For each (method, path, body, scopes): with the (first) scope the call is not 401/403;
    with every scope except those that grant it, 403 insufficient_scope; with no token, 401.
    `scopes` is one scope or a tuple of scopes any of which grants the call."""
    from rest_framework.test import APIClient

    for method, path, body, granting in endpoints:
        granting = (granting,) if isinstance(granting, str) else tuple(granting)
        allowed = Api(account, [granting[0]]).call(method, path, body)
        assert 200 <= allowed.status_code < 300, (method, path, allowed.content)
        others = [s for s in ALL_SCOPES if s not in granting]
        refused = Api(account, others).call(method, path, body)
        assert refused.status_code == 403, (method, path, refused.status_code)
        assert error_of(refused)["code"] == "insufficient_scope"
        anonymous = getattr(APIClient(), method.lower())(path, body, format="json")
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        assert error_of(anonymous)["code"] == "not_authenticated"
