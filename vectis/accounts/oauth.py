"""django-oauth-toolkit hooks: per-client scopes and a token endpoint that also reads JSON."""

import base64
import binascii
from urllib.parse import unquote_plus

from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import SettingsScopes

from vectis import safejson
from vectis.accounts import hashers


class ApiClientScopes(SettingsScopes):
    """A client may request only the scopes its ApiClient was granted."""

    @staticmethod
    def _granted(application) -> list[str]:
        client = getattr(application, "api_client", None) if application else None
        if client is None or not client.active or not client.account.active:
            return []
        return client.scope_list

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return self._granted(application)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        # No `scope` parameter means "everything this client was granted".
        return self._granted(application)


class MalformedBody(ValueError):
    """A token request body that is not a flat JSON object of strings."""


class JSONOrFormOAuthLibCore(OAuthLibCore):
    """The reference posts JSON to /oauth/token; RFC 6749 clients post a form. Accept both."""

    def extract_body(self, request):
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            try:
                payload = safejson.loads(request.body or b"{}")
            except ValueError as exc:  # malformed, too deep or not UTF-8
                raise MalformedBody(f"The body is not valid JSON: {exc}") from exc
            if not isinstance(payload, dict):
                raise MalformedBody("The body must be a JSON object.")
            for key, value in payload.items():
                if not isinstance(value, str):
                    raise MalformedBody(f"{key} must be a string.")
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError as exc:  # a lone surrogate (\ud800)
                    raise MalformedBody(f"{key} is not valid text.") from exc
            return list(payload.items())
        return super().extract_body(request)


class VectisOAuth2Validator(OAuth2Validator):
    """Refuse clients whose ApiClient (or account) is deactivated, or that have none.

    Every attempt costs about the same whether the client id exists or not (a dummy
    verification for unknown ids), and a secret stored with an older, slow hasher is
    re-hashed with the client-secret hasher after its first successful use.
    """

    def _load_application(self, client_id, request):
        application = super()._load_application(client_id, request)
        if application is None:
            hashers.dummy_verify(getattr(request, "client_secret", None) or "")
        return application

    def _check_secret(self, provided_secret, stored_secret):
        if len(provided_secret or "") > hashers.MAX_SECRET_LENGTH:
            return False
        return super()._check_secret(provided_secret, stored_secret)

    def authenticate_client(self, request, *args, **kwargs):
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        client = getattr(request.client, "api_client", None)
        if not (client and client.active and client.account.active):
            return False
        self._upgrade_hash(request)
        return True

    def _upgrade_hash(self, request) -> None:
        application = request.client
        if application.client_secret.startswith(hashers.ClientSecretHasher.algorithm + "$"):
            return
        # The secret of the method that succeeded: HTTP Basic is tried first, then the body.
        basic = basic_credentials((request.headers or {}).get("HTTP_AUTHORIZATION", ""))
        if basic is not None and basic[0] == application.client_id:
            secret = basic[1]
        else:
            secret = getattr(request, "client_secret", None)
        if secret and self._check_secret(secret, application.client_secret):
            application.client_secret = secret  # hashed by the field on save
            application.save(update_fields=["client_secret"])


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(client_id, client_secret) of an `Authorization: Basic` header, decoded exactly as
    django-oauth-toolkit decodes it (lenient base64, UTF-8, form-unquoted); None otherwise."""
    parts = header.split(" ", 1)
    if len(parts) != 2 or parts[0] != "Basic":
        return None
    try:
        decoded = base64.b64decode(parts[1]).decode("utf-8")
    except (binascii.Error, TypeError, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote_plus(client_id), unquote_plus(secret)
