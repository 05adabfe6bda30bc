import json
from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from vectis.accounts.models import Account, ApiClient
from vectis.accounts.scopes import ALL_SCOPES

pytestmark = pytest.mark.django_db


def _run(*args) -> dict:
    out = StringIO()
    call_command("create_api_client", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, "prints exactly one JSON object"
    return json.loads(lines[0])


def test_creates_account_and_client_and_prints_credentials_once():
    # when
    result = _run("--account", "Acme", "--name", "shopify", "--scopes", "orders:read orders:write")
    # then
    assert set(result) == {"account_id", "client_id", "client_secret", "scopes"}
    assert result["scopes"] == ["orders:read", "orders:write"]
    account = Account.objects.get()
    assert account.name == "Acme" and result["account_id"] == account.public_id
    client = ApiClient.objects.get()
    assert client.account == account
    assert client.client_id == result["client_id"]
    assert check_password(result["client_secret"], client.application.client_secret)
    assert client.application.client_secret != result["client_secret"]


def test_reuses_existing_account_and_grants_all_scopes():
    first = _run("--account", "Acme", "--name", "a", "--scopes", "orders:read")
    second = _run("--account", "Acme", "--name", "b", "--all-scopes")
    assert first["account_id"] == second["account_id"]
    assert Account.objects.count() == 1
    assert ApiClient.objects.count() == 2
    assert second["scopes"] == list(ALL_SCOPES)


def test_unknown_scope_is_an_error_and_creates_nothing():
    with pytest.raises(CommandError, match="Unknown scope"):
        _run("--account", "Acme", "--name", "x", "--scopes", "orders:read orders:delete")
    assert ApiClient.objects.count() == 0


def test_seed_demo_prints_working_credentials_and_is_rerunnable(client, settings, tmp_path):
    settings.VECTIS_DEMO_CREDENTIALS_FILE = str(tmp_path / "demo.json")

    def seed(*args) -> dict:
        out = StringIO()
        call_command("seed_demo", "--json", *args, stdout=out)
        return json.loads(out.getvalue())

    def status_with(creds: dict, secret: str) -> int:
        body = {"grant_type": "client_credentials", "client_id": creds["client_id"]}
        return client.post("/oauth/token", {**body, "client_secret": secret}).status_code

    first = seed()
    second = seed()
    # a second run keeps the secret: what was printed the first time still works
    assert first == second
    assert status_with(second, second["client_secret"]) == 200
    assert ApiClient.objects.count() == 1
    assert (tmp_path / "demo.json").stat().st_mode & 0o777 == 0o600
    # demo stock is seeded once, and its ledger is consistent
    from inventory.models import StockMovement
    from inventory.selectors import verify_ledger

    assert StockMovement.objects.count() == 5
    assert verify_ledger()[1] == []
    from orders.models import Order

    assert list(Order.objects.values_list("external_id", flat=True)) == ["DEMO-1001"]
    # --rotate: a new secret works, the old one no longer does
    rotated = seed("--rotate")
    assert rotated["client_id"] == first["client_id"]
    assert rotated["client_secret"] != first["client_secret"]
    assert status_with(rotated, first["client_secret"]) == 401
    assert status_with(rotated, rotated["client_secret"]) == 200
    # without the saved file (another machine) the secret cannot be shown again: a new one
    (tmp_path / "demo.json").unlink()
    fresh = seed()
    assert fresh["client_secret"] != rotated["client_secret"]
    assert status_with(fresh, fresh["client_secret"]) == 200


def test_seed_demo_repairs_a_bad_or_open_credentials_file(client, settings, tmp_path):
    path = tmp_path / "demo.json"
    settings.VECTIS_DEMO_CREDENTIALS_FILE = str(path)
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    first = json.loads(out.getvalue())
    path.write_text("[]")  # valid JSON, not what it wrote
    path.chmod(0o644)
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    second = json.loads(out.getvalue())
    assert second["client_secret"] != first["client_secret"]  # could not be kept: a new one
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())["client_secret"] == second["client_secret"]
