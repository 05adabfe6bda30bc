"""Webhook signing secrets are encrypted at rest and keys can be rotated."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.helpers import make_account
from vectis import crypto
from webhooks import services, signing
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def stored_secret(endpoint) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT secret FROM {WebhookEndpoint._meta.db_table} WHERE id = %s",  # noqa: S608
            [endpoint.pk],
        )
        return cursor.fetchone()[0]


@pytest.fixture
def keys(settings):
    first, second = crypto.generate_key(), crypto.generate_key()
    settings.VECTIS_ENCRYPTION_KEYS = [first]
    return first, second


@pytest.fixture
def endpoint(local_targets, keys):
    created = services.endpoint_create(
        account=make_account("Acme"), data={"url": "http://127.0.0.1:9/hook", "events": ["*"]}
    )
    return created


def test_the_secret_is_not_in_the_database_in_plaintext(endpoint):
    raw = stored_secret(endpoint.endpoint)
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret not in raw
    assert raw.startswith("fernet:")
    assert WebhookEndpoint.objects.get().secret == endpoint.secret


def test_signatures_use_the_decrypted_secret(endpoint):
    stored = WebhookEndpoint.objects.get()
    body = b'{"id":"evt_1"}'
    assert signing.vectis_signature(stored.secret, body) == signing.vectis_signature(
        endpoint.secret, body
    )


def test_rotation_re_encrypts_with_the_new_key_and_the_old_one_can_go(endpoint, keys, settings):
    first, second = keys
    before = stored_secret(endpoint.endpoint)
    # the new key goes first, the old one stays for reading
    settings.VECTIS_ENCRYPTION_KEYS = [second, first]
    out = io.StringIO()
    call_command("rotate_encryption_key", stdout=out)
    assert "re-encrypted 1 secret(s)" in out.getvalue()
    after = stored_secret(endpoint.endpoint)
    assert after != before
    # then the old key can be removed
    settings.VECTIS_ENCRYPTION_KEYS = [second]
    assert WebhookEndpoint.objects.get().secret == endpoint.secret


def test_a_key_removed_too_early_is_a_clear_error(endpoint, settings):
    settings.VECTIS_ENCRYPTION_KEYS = [crypto.generate_key()]
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_encryption_key", stdout=io.StringIO())


def test_plaintext_rows_from_before_encryption_are_read_and_encrypted_by_rotation(endpoint):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {WebhookEndpoint._meta.db_table} SET secret = %s",  # noqa: S608
            ["whsec_legacy"],
        )
    assert WebhookEndpoint.objects.get().secret == "whsec_legacy"
    call_command("rotate_encryption_key", stdout=io.StringIO())
    assert stored_secret(endpoint.endpoint).startswith("fernet:")
    assert WebhookEndpoint.objects.get().secret == "whsec_legacy"


def test_rotation_never_overwrites_a_secret_rotated_meanwhile(endpoint, keys, settings):
    from vectis.accounts.management.commands import rotate_encryption_key

    first, second = keys
    settings.VECTIS_ENCRYPTION_KEYS = [second, first]
    fresh = {}
    real = crypto.rotate

    def rotate_while_the_owner_rotates(stored):
        # the owner rotates the endpoint's secret between the command's read and its write
        if not fresh:
            fresh["secret"] = services.endpoint_rotate_secret(endpoint=endpoint.endpoint)
        return real(stored)

    rotate_encryption_key.crypto.rotate = rotate_while_the_owner_rotates
    try:
        call_command("rotate_encryption_key", stdout=io.StringIO())
    finally:
        rotate_encryption_key.crypto.rotate = real
    assert WebhookEndpoint.objects.get().secret == fresh["secret"]
