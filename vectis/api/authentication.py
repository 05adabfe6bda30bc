"""Bearer-token authentication against django-oauth-toolkit access tokens."""

import hashlib
from dataclasses import dataclass

from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from vectis.accounts.models import Account, ApiClient
from vectis.api import auth_cache

REALM = "vectis"


@dataclass(frozen=True, eq=False)
class ApiPrincipal:
    """Who is calling: the API client, its account and the scopes of the presented token."""

    client: ApiClient
    account: Account
    scopes: frozenset[str]

    is_authenticated = True
    is_anonymous = False
    is_staff = False

    @property
    def pk(self) -> int:
        return self.client.pk

    id = pk

    def __str__(self) -> str:
        return f"client:{self.client.client_id}"


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>`: a token verified recently comes from the process's
    cache (no query; revocations are caught through the generation the rate limiter reads,
    see vectis/api/auth_cache.py), otherwise one indexed query by its SHA-256 checksum."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = token.strip()
        if not token or " " in token:
            return self._fail(request, "Malformed bearer token.")
        checksum = hashlib.sha256(token.encode()).hexdigest()
        entry = auth_cache.get(checksum)
        if entry is not None and entry.access.expires > timezone.now():
            request._vectis_auth = (checksum, entry.generation)
            return entry.principal, entry.access
        return self.verify(request, checksum)

    def verify(self, request, checksum: str):
        """Check the token against the database (and remember the result)."""
        # Read before the query: a revocation committed meanwhile moves it on, so the entry
        # stored below is checked again on the next request.
        generation = auth_cache.current_generation()
        access = (
            AccessToken.objects.select_related("application__api_client__account")
            .filter(token_checksum=checksum)
            .first()
        )
        if access is None:
            return self._fail(request, "The access token is invalid.")
        if access.expires <= timezone.now():
            return self._fail(request, "The access token has expired.")
        client = getattr(access.application, "api_client", None) if access.application else None
        if client is None or not client.active or not client.account.active:
            return self._fail(request, "The API client of this token is disabled.")
        # A scope revoked from the client since the token was issued no longer counts.
        scopes = frozenset(access.scope.split()) & frozenset(client.scope_list)
        principal = ApiPrincipal(client=client, account=client.account, scopes=scopes)
        auth_cache.put(checksum, principal, access, generation)
        request._vectis_auth = (checksum, None)  # fresh: nothing to re-check
        return principal, access

    def _fail(self, request, message: str):
        request._vectis_token_error = message
        raise exceptions.AuthenticationFailed(message)

    def authenticate_header(self, request) -> str:
        error = getattr(request, "_vectis_token_error", None)
        if error:
            return f'Bearer realm="{REALM}", error="invalid_token", error_description="{error}"'
        return f'Bearer realm="{REALM}"'
