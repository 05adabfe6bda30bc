"""django-oauth-toolkit hooks: per-client scopes and a token endpoint that also reads JSON."""

from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import SettingsScopes

from vectis import safejson


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


class JSONOrFormOAuthLibCore(OAuthLibCore):
    """The reference posts JSON to /oauth/token; RFC 6749 clients post a form. Accept both."""

    def extract_body(self, request):
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            try:
                payload = safejson.loads(request.body or b"{}")
            except ValueError:  # malformed, too deep or not UTF-8: no parameters
                return []
            if not isinstance(payload, dict):
                return []
            return [(k, v if isinstance(v, str) else str(v)) for k, v in payload.items()]
        return super().extract_body(request)


class VectisOAuth2Validator(OAuth2Validator):
    """Refuse clients whose ApiClient (or account) is deactivated, or that have none."""

    def authenticate_client(self, request, *args, **kwargs):
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        client = getattr(request.client, "api_client", None)
        return bool(client and client.active and client.account.active)
