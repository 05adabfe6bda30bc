"""Accounts and API clients: every write goes through here."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from vectis.accounts.models import Account, ApiClient
from vectis.accounts.scopes import ALL_SCOPES, parse_scopes
from vectis.batches import DELETE_BATCH, delete_in_batches
from vectis.errors import ValidationFailed


@dataclass(frozen=True)
class IssuedClient:
    client: ApiClient
    client_secret: str  # shown once; only its hash is stored


def account_get_or_create(*, name: str) -> tuple[Account, bool]:
    """Return the account named `name`, creating it when missing."""
    name = name.strip()
    if not name:
        raise ValidationFailed("Account name must not be blank.", field="account")
    return Account.objects.get_or_create(name=name)


def _scopes(scopes: list[str] | str) -> list[str]:
    """The real scopes named, in canonical order; at least one."""
    try:
        scope_list = parse_scopes(scopes)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="scopes") from exc
    if not scope_list:
        raise ValidationFailed("At least one scope is required.", field="scopes")
    return scope_list


def api_client_create(*, account: Account, name: str, scopes: list[str] | str) -> IssuedClient:
    """Create a confidential client-credentials client allowed to request `scopes`."""
    scope_list = _scopes(scopes)
    secret = secrets.token_urlsafe(36)
    with transaction.atomic():
        application = Application.objects.create(
            name=f"{account.name}: {name}"[:255],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,
            hash_client_secret=True,
        )
        client = ApiClient.objects.create(
            account=account, application=application, name=name, scopes=" ".join(scope_list)
        )
    return IssuedClient(client=client, client_secret=secret)


def api_client_rotate_secret(*, client: ApiClient) -> str:
    """Replace the client's secret; existing access tokens stay valid until they expire."""
    secret = secrets.token_urlsafe(36)
    application = client.application
    application.client_secret = secret
    application.save(update_fields=["client_secret"])
    return secret


def api_client_update(*, client: ApiClient, name: str, scopes: list[str] | str) -> list[str]:
    """Rename the client and set the scopes it may request, from the real scopes only. When the
    scopes change, its access tokens are revoked: a token never holds more than its client may
    now have. Returns the fields that changed."""
    scope_list = _scopes(scopes)
    name = name.strip()
    if not name:
        raise ValidationFailed("Name must not be blank.", field="name")
    changed = [
        f for f, v in (("name", name), ("scopes", " ".join(scope_list))) if getattr(client, f) != v
    ]
    if not changed:
        return []
    with transaction.atomic():
        client.name = name
        client.scopes = " ".join(scope_list)
        client.save(update_fields=[*changed, "updated_at"])
        if "scopes" in changed:
            _revoke_tokens(client)
    return changed


def api_client_revoke(*, client: ApiClient) -> int:
    """Deactivate the client: it gets no new tokens and its access tokens are deleted (the
    auth cache learns it through the revocation generation). Returns the tokens revoked."""
    with transaction.atomic():
        client.active = False
        client.save(update_fields=["active", "updated_at"])
        return _revoke_tokens(client)


def _revoke_tokens(client: ApiClient) -> int:
    deleted, _ = AccessToken.objects.filter(application_id=client.application_id).delete()
    return deleted


# Expired access tokens are kept this long before they are deleted.
EXPIRED_TOKENS_KEPT = timedelta(days=1)


def access_tokens_purge(
    *,
    dry_run: bool = False,
    batch: int = DELETE_BATCH,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Delete access tokens (of every client) that expired more than a day ago, a batch per
    transaction. Returns how many were (or, with `dry_run`, would be) deleted."""
    old = AccessToken.objects.filter(expires__lt=timezone.now() - EXPIRED_TOKENS_KEPT)
    if dry_run:
        return old.count()
    return delete_in_batches(old, batch=batch, progress=progress)


def all_scopes() -> list[str]:
    return list(ALL_SCOPES)
