"""`POST /oauth/token`: the client-credentials grant only, failed attempts throttled.

Answers use the OAuth 2.0 error format (RFC 6749 §5.2), `{"error", "error_description"}`,
plus `request_id`, for every failure: unsupported grants, bad credentials, throttling (429
with `Retry-After`), oversized or malformed bodies.
"""

import json

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider.views import TokenView as OAuthTokenView

from vectis.accounts import throttle
from vectis.accounts.oauth import MalformedBody, basic_credentials
from vectis.api.client_ip import client_ip

GRANT_TYPE = "client_credentials"


def oauth_error(request, status: int, code: str, description: str, headers=None) -> JsonResponse:
    response = JsonResponse(
        {
            "error": code,
            "error_description": description,
            "request_id": getattr(request, "request_id", None),
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@method_decorator(sensitive_post_parameters("client_secret"), name="post")
class TokenView(OAuthTokenView):
    def post(self, request, *args, **kwargs):
        try:
            params = dict(self.get_oauthlib_core().extract_body(request))
        except RequestDataTooBig:
            return oauth_error(request, 413, "payload_too_large", "The request body is too large.")
        except MalformedBody as exc:
            return oauth_error(request, 400, "invalid_request", str(exc))
        if params.get("grant_type") != GRANT_TYPE:
            return oauth_error(
                request,
                400,
                "unsupported_grant_type",
                f"Only grant_type={GRANT_TYPE} is offered.",
            )
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.split(" ", 1)[0] == "Basic" and "client_secret" in params:
            # RFC 6749 §2.3: one authentication method per request. Two would let a request
            # be counted against one client id and checked against another.
            return oauth_error(
                request,
                400,
                "invalid_request",
                "Send the client credentials once: HTTP Basic or the body, not both.",
            )
        basic = basic_credentials(header)
        client_ids = {basic[0] if basic else None, params.get("client_id")} - {None, ""}
        subjects = throttle.subjects_for(sorted(client_ids), client_ip(request))
        wait = throttle.retry_after(subjects)
        if wait is not None:
            return oauth_error(
                request,
                429,
                "rate_limited",
                f"Too many failed attempts; retry in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        response = self.authorization_flow_token_response(request)
        if response.status_code == 401:
            throttle.record_failure(subjects)
        if response.status_code != 200:
            return _with_request_id(request, response)
        return response


def _with_request_id(request, response):
    """oauthlib's error body, with the request id added."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return response
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        body["request_id"] = getattr(request, "request_id", None)
        replacement = JsonResponse(body, status=response.status_code)
        for name in ("WWW-Authenticate", "Cache-Control", "Pragma"):
            if name in response:
                replacement[name] = response[name]
        return replacement
    return response
