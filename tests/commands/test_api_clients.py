import json

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management.base import CommandError
from oauth2_provider.models import AccessToken

from tests.commands.helpers import run
from tests.helpers import issue_token
from vectis.accounts.models import ApiClient

pytestmark = pytest.mark.django_db


def secret_hash(client) -> str:
    return ApiClient.objects.get(pk=client.pk).application.client_secret


def test_rotate_prints_a_new_secret_once_and_the_old_one_stops_working(api, account):
    client, old = api.client_model, api.client_secret
    ran = run("rotate_api_client", client.client_id)
    printed = json.loads(ran.out)
    assert printed["client_id"] == client.client_id
    assert printed["account_id"] == account.public_id
    assert printed["client_secret"] != old
    stored = secret_hash(client)
    assert check_password(printed["client_secret"], stored)
    assert not check_password(old, stored)
    assert AccessToken.objects.count() == 1  # issued tokens stay valid until they expire


def test_rotate_dry_run_changes_nothing(api):
    before = secret_hash(api.client_model)
    ran = run("rotate_api_client", api.client_model.public_id, "--dry-run")
    assert ran.out.startswith(f"would rotate the secret of API client {api.client_model.client_id}")
    assert secret_hash(api.client_model) == before


def test_rotate_refuses_an_unknown_or_revoked_client(api):
    with pytest.raises(CommandError, match="No API client with client id 'nope'"):
        run("rotate_api_client", "nope")
    ApiClient.objects.filter(pk=api.client_model.pk).update(active=False)
    before = secret_hash(api.client_model)
    with pytest.raises(CommandError, match="is revoked"):
        run("rotate_api_client", api.client_model.client_id)
    assert secret_hash(api.client_model) == before


def test_revoke_deletes_the_tokens_and_a_second_revoke_says_so(api):
    client = api.client_model
    issue_token(client)
    ran = run("revoke_api_client", client.client_id)
    assert ran.lines == [
        f"revoked API client {client.client_id} (Acme / test): 2 access token(s) revoked"
    ]
    assert ApiClient.objects.get(pk=client.pk).active is False
    assert AccessToken.objects.count() == 0
    again = run("revoke_api_client", client.client_id)
    assert again.lines == [
        f"API client {client.client_id} (Acme / test) is already revoked; nothing to do"
    ]


def test_revoke_dry_run_changes_nothing(api):
    client = api.client_model
    ran = run("revoke_api_client", client.client_id, "--dry-run")
    assert ran.lines == [
        f"would revoke API client {client.client_id} (Acme / test) and its 1 access token(s)"
    ]
    assert ApiClient.objects.get(pk=client.pk).active is True
    assert AccessToken.objects.count() == 1


def test_revoke_refuses_an_unknown_client(api):
    with pytest.raises(CommandError, match="No API client with client id 'nope'"):
        run("revoke_api_client", "nope")
    assert ApiClient.objects.get(pk=api.client_model.pk).active is True
