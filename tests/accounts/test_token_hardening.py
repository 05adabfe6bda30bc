"""The token endpoint under attack: one grant, throttled failures, bounded and equal cost."""

import json
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from oauth2_provider.models import AccessToken, Application
from rest_framework.test import APIClient

from tests.helpers import make_account, make_api_client
from vectis.accounts import hashers, throttle

pytestmark = pytest.mark.django_db

TOKEN_URL = "/oauth/token"


def token(client_id: str, secret: str, *, address: str = "198.51.100.7", **extra):
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    body.update(extra)
    return APIClient().post(
        TOKEN_URL, data=json.dumps(body), content_type="application/json", REMOTE_ADDR=address
    )


@pytest.fixture
def client_and_secret():
    return make_api_client(make_account("Acme"), ["orders:read"])


def test_the_21st_wrong_secret_within_a_minute_is_a_429(client_and_secret):
    client, secret = client_and_secret
    # given 20 wrong secrets for one client id, each from another address
    for n in range(20):
        response = token(client.client_id, "wrong", address=f"203.0.113.{n}")
        assert response.status_code == 401, (n, response.content)
    # when a 21st attempt comes, even with the right secret, from yet another address
    response = token(client.client_id, secret, address="203.0.113.99")
    # then it is refused with 429, Retry-After and an OAuth-format JSON body
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    body = response.json()
    assert body["error"] == "rate_limited"
    assert body["request_id"].startswith("req_")
    assert AccessToken.objects.count() == 0


def test_failures_from_one_address_are_throttled_across_client_ids(client_and_secret):
    client, secret = client_and_secret
    for n in range(20):
        assert token(f"unknown-{n}", "x", address="192.0.2.50").status_code == 401
    assert token(client.client_id, secret, address="192.0.2.50").status_code == 429
    # another address is not affected
    assert token(client.client_id, secret, address="192.0.2.51").status_code == 200


def test_the_throttle_ends_with_its_window(client_and_secret, settings):
    client, secret = client_and_secret
    settings.VECTIS_TOKEN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert token(client.client_id, "wrong").status_code == 401
    assert token(client.client_id, secret).status_code == 429
    real = throttle.time.time
    with mock.patch.object(throttle.time, "time", lambda: real() + 61):
        assert token(client.client_id, secret).status_code == 200


def test_successes_are_not_counted(client_and_secret, settings):
    client, secret = client_and_secret
    settings.VECTIS_TOKEN_FAILURE_LIMIT = 2
    for _ in range(5):
        assert token(client.client_id, secret).status_code == 200


@pytest.mark.parametrize(
    "grant",
    [
        {"grant_type": "password", "username": "boss", "password": "correct horse battery"},
        {"grant_type": "urn:ietf:params:oauth:grant-type:device_code"},
        {"grant_type": "authorization_code", "code": "x", "redirect_uri": "https://a.example/"},
        {"grant_type": "refresh_token", "refresh_token": "x"},
        {"grant_type": "implicit"},
        {},
    ],
    ids=["password", "device-code", "authorization-code", "refresh", "implicit", "missing"],
)
def test_only_client_credentials_is_offered(client_and_secret, grant):
    # given a staff user whose password an attacker wants to test
    get_user_model().objects.create_user("boss", password="correct horse battery", is_staff=True)
    client, secret = client_and_secret
    body = {"client_id": client.client_id, "client_secret": secret, **grant}
    # when any other grant is asked for, then it is 400 before any credential is checked
    with mock.patch("django.contrib.auth.authenticate") as authenticate:
        response = APIClient().post(
            TOKEN_URL, data=json.dumps(body), content_type="application/json"
        )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    authenticate.assert_not_called()
    assert AccessToken.objects.count() == 0


def test_known_and_unknown_client_ids_cost_one_verification_each(client_and_secret):
    client, _ = client_and_secret
    calls = []
    real = hashers.ClientSecretHasher.verify

    def counting(self, password, encoded):
        calls.append(password)
        return real(self, password, encoded)

    with mock.patch.object(hashers.ClientSecretHasher, "verify", counting):
        assert token(client.client_id, "wrong-1").status_code == 401
        assert token("no-such-client", "wrong-2").status_code == 401
    assert calls == ["wrong-1", "wrong-2"]


def test_client_secrets_are_stored_with_the_bounded_hasher(client_and_secret):
    client, secret = client_and_secret
    stored = Application.objects.get(pk=client.application_id).client_secret
    assert stored.startswith("vectis_hmac_sha256$")
    assert secret not in stored


def test_an_overlong_secret_is_refused_without_hashing(client_and_secret):
    client, _ = client_and_secret
    with mock.patch.object(hashers.ClientSecretHasher, "encode") as encode:
        assert token(client.client_id, "x" * 10_000).status_code == 401
    encode.assert_not_called()


def test_a_secret_stored_by_an_older_hasher_still_works_and_is_rehashed(settings):
    # given a client whose secret was hashed with PBKDF2 (before this hasher existed)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
    from django.contrib.auth.hashers import make_password

    client, secret = make_api_client(make_account("Legacy"), ["orders:read"])
    Application.objects.filter(pk=client.application_id).update(
        client_secret=make_password(secret, hasher="pbkdf2_sha256")
    )
    # when it signs in, then it gets a token and its secret is re-hashed
    assert token(client.client_id, secret).status_code == 200
    stored = Application.objects.get(pk=client.application_id).client_secret
    assert stored.startswith("vectis_hmac_sha256$")
    assert token(client.client_id, secret).status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"grant_type": "client_credentials", "client_id": ' + b"[" * 3000 + b"]" * 3000 + b"}",
        b'{"grant_type": "client_credentials", "client_id": 12}',
        b"not json",
        b'"a string"',
        b"\xff\xfe",
    ],
    ids=["deep-array", "deep-value", "number", "not-json", "string", "bad-utf8"],
)
def test_malformed_json_bodies_are_400_not_500(raw):
    response = APIClient().post(TOKEN_URL, data=raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_request"


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(client_and_secret, settings):
    client, secret = client_and_secret
    settings.VECTIS_TRUSTED_PROXY_COUNT = 1
    settings.VECTIS_TOKEN_FAILURE_LIMIT = 3

    def attempt(forwarded: str, client_id: str, password: str):
        body = {"grant_type": "client_credentials", "client_id": client_id}
        body["client_secret"] = password
        return APIClient().post(
            TOKEN_URL,
            data=json.dumps(body),
            content_type="application/json",
            REMOTE_ADDR="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for n in range(3):
        assert attempt("198.51.100.1", f"nobody-{n}", "x").status_code == 401
    # the attacker's address is throttled, another client behind the same proxy is not
    assert attempt("198.51.100.1", client.client_id, secret).status_code == 429
    assert attempt("198.51.100.2", client.client_id, secret).status_code == 200


def _basic(client_id: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_credentials_sent_both_ways_are_refused(client_and_secret):
    # a decoy in Basic and the victim in the body would be counted against the decoy only
    client, _ = client_and_secret
    for header in (_basic("decoy", "x"), _basic(client.client_id, "x") + "!"):
        response = APIClient().post(
            TOKEN_URL,
            data=json.dumps(
                {
                    "grant_type": "client_credentials",
                    "client_id": client.client_id,
                    "client_secret": "guess",
                }
            ),
            content_type="application/json",
            HTTP_AUTHORIZATION=header,
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"


def test_failures_through_basic_and_through_the_body_count_for_one_client(
    client_and_secret, settings
):
    client, secret = client_and_secret
    settings.VECTIS_TOKEN_FAILURE_LIMIT = 4
    for n in range(2):
        response = APIClient().post(
            TOKEN_URL,
            data="grant_type=client_credentials",
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=_basic(client.client_id, f"wrong-{n}"),
            REMOTE_ADDR=f"203.0.113.{n}",
        )
        assert response.status_code == 401
    for n in range(2):
        assert token(client.client_id, "wrong", address=f"203.0.113.{10 + n}").status_code == 401
    assert token(client.client_id, secret, address="203.0.113.50").status_code == 429


def test_an_ipv6_machine_is_counted_by_its_64(client_and_secret, settings):
    client, secret = client_and_secret
    settings.VECTIS_TOKEN_FAILURE_LIMIT = 3
    for n in range(3):
        assert token(f"nobody-{n}", "x", address=f"2001:db8:1:2::{n + 1:x}").status_code == 401
    assert token(client.client_id, secret, address="2001:db8:1:2::ffff").status_code == 429
    assert token(client.client_id, secret, address="2001:db8:1:3::1").status_code == 200


def test_a_lone_surrogate_in_the_body_is_400(client_and_secret):
    client, _ = client_and_secret
    raw = (
        b'{"grant_type": "client_credentials", "client_id": "%s", "client_secret": "\\ud800"}'
        % client.client_id.encode()
    )
    response = APIClient().post(TOKEN_URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_legacy_secret_sent_with_basic_is_rehashed_to_that_secret(settings):
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
    client, secret = make_api_client(make_account("Legacy2"), ["orders:read"])
    Application.objects.filter(pk=client.application_id).update(
        client_secret=make_password(secret, hasher="pbkdf2_sha256")
    )

    def basic_sign_in():
        return APIClient().post(
            TOKEN_URL,
            data="grant_type=client_credentials",
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=_basic(client.client_id, secret),
        )

    assert basic_sign_in().status_code == 200
    assert Application.objects.get(pk=client.application_id).client_secret.startswith(
        "vectis_hmac_sha256$"
    )
    assert basic_sign_in().status_code == 200


def test_client_metadata_fetching_stays_off(settings):
    from vectis.checks import no_client_metadata_fetching

    assert no_client_metadata_fetching(None) == []
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "CIMD_ENABLED": True}
    (error,) = no_client_metadata_fetching(None)
    assert error.id == "vectis.E001"


def test_django_level_errors_under_oauth_use_the_oauth_format(db):
    from django.test import RequestFactory

    from vectis.api.errors import bad_request

    request = RequestFactory().post("/oauth/token")
    request.request_id = "req_x"
    body = json.loads(bad_request(request).content)
    assert body == {
        "error": "bad_request",
        "error_description": "The request could not be understood.",
        "request_id": "req_x",
    }
