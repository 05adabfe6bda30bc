"""Tokens verified from the process's cache, and every revocation honoured on the next request."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken

from tests.helpers import Api, error_of, make_account
from vectis.api import auth_cache

pytestmark = pytest.mark.django_db


def token_queries(queries) -> int:
    return sum("oauth2_provider_accesstoken" in q["sql"] for q in queries.captured_queries)


@pytest.fixture
def api():
    return Api(make_account("Acme"), ["warehouses:read", "orders:read"])


def test_a_verified_token_is_not_looked_up_again(api):
    assert api.get("/v1/warehouses").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/v1/warehouses").status_code == 200
    assert token_queries(queries) == 0


def test_a_deactivated_client_is_refused_on_the_next_request(api):
    assert api.get("/v1/warehouses").status_code == 200
    client = api.client_model
    client.active = False
    client.save()
    response = api.get("/v1/warehouses")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_token"


def test_a_removed_scope_stops_working_on_the_next_request(api):
    assert api.get("/v1/orders").status_code == 200
    client = api.client_model
    client.scopes = "warehouses:read"
    client.save()
    assert api.get("/v1/orders").status_code == 403
    assert api.get("/v1/warehouses").status_code == 200


def test_a_deactivated_account_is_refused_on_the_next_request(api):
    assert api.get("/v1/warehouses").status_code == 200
    account = api.account
    account.active = False
    account.save()
    assert api.get("/v1/warehouses").status_code == 401


def test_a_deleted_token_is_refused_on_the_next_request(api):
    assert api.get("/v1/warehouses").status_code == 200
    AccessToken.objects.get(application=api.client_model.application).delete()
    assert api.get("/v1/warehouses").status_code == 401


def test_a_cached_token_still_expires_on_time(api):
    assert api.get("/v1/warehouses").status_code == 200
    later = timezone.now() + timedelta(hours=2)
    with mock.patch("vectis.api.authentication.timezone.now", return_value=later):
        response = api.get("/v1/warehouses")
    assert response.status_code == 401
    assert "expired" in error_of(response)["message"]


def test_a_revocation_published_by_another_process_is_seen(api, settings):
    # another process moves the generation on (it cannot clear this process's cache)
    assert api.get("/v1/warehouses").status_code == 200
    AccessToken.objects.filter(application=api.client_model.application).update(
        expires=timezone.now() - timedelta(seconds=1)
    )  # a change no signal sees...
    assert api.get("/v1/warehouses").status_code == 200  # ...so the cache still answers
    if settings.REDIS_URL:
        auth_cache._redis(settings.REDIS_URL).set(auth_cache.generation_key(), "elsewhere")
    else:
        auth_cache._memory_generation = "elsewhere"
    # until the generation moves: then it is verified again, and refused
    assert api.get("/v1/warehouses").status_code == 401


def test_with_the_cache_off_every_request_is_verified(api, settings):
    settings.VECTIS_TOKEN_CACHE_SECONDS = 0
    auth_cache.clear()
    api.get("/v1/warehouses")
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/v1/warehouses").status_code == 200
    assert token_queries(queries) == 1
