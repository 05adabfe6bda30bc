"""Request ids on every response, and the error envelope for errors Django answers itself."""

import re
import time
import uuid

from django.http import JsonResponse

from vectis import logs, metrics
from vectis.api.errors import envelope

_CLIENT_ID_OK = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
# Paths whose errors must be JSON even when Django (not DRF) produced them.
_JSON_PREFIXES = ("/v1/", "/oauth/")


def _new_request_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def request_id_from(incoming: str) -> str:
    """The client's `X-Request-ID` when it is sane, else a new one."""
    return incoming if _CLIENT_ID_OK.match(incoming) else _new_request_id()


class ObservabilityMiddleware:
    """Each request's structured log context and closing `request` line (vectis/logs.py), and
    its count and latency by route (vectis/metrics.py). The route is the URL pattern matched
    (`v1/orders/<pubid:id>`), never the path, so the series stay few."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = logs.request_started(request)
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # A router's patterns are regular expressions: their anchors say nothing here.
        route = match.route.replace("^", "").replace("$", "") if match is not None else ""
        route = route or "unmatched"
        metrics.observe_request(
            request.method, route, response.status_code, time.perf_counter() - started
        )
        logs.request_finished(request, response, started, route)
        return response


class RequestIdMiddleware:
    """Echo a sane client `X-Request-ID` or mint one; JSON-ify bare error responses of the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_from(request.headers.get("X-Request-ID", ""))
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(_JSON_PREFIXES)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            response = self._as_envelope(request, response)
        response["X-Request-ID"] = request.request_id
        return response

    @staticmethod
    def _as_envelope(request, response):
        status = response.status_code
        body = envelope_for_status(status, request)
        if request.path.startswith("/oauth/"):
            # The token endpoint speaks the OAuth 2.0 error format (RFC 6749 §5.2).
            error = body["error"]
            body = {
                "error": error["code"],
                "error_description": error["message"],
                "request_id": error["request_id"],
            }
        replacement = JsonResponse(body, status=status)
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if header in response:
                replacement[header] = response[header]
        return replacement


_STATUS_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("forbidden", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    406: ("not_acceptable", "The requested response format is not available."),
    408: ("request_timeout", "The request was not received in time."),
    411: ("length_required", "Send the request body with a Content-Length header."),
    413: ("payload_too_large", "The request body is too large."),
    414: ("uri_too_long", "The request URL is too long."),
    415: ("unsupported_media_type", "Unsupported media type."),
    417: ("expectation_failed", "The Expect header cannot be met."),
    429: ("rate_limited", "Too many requests."),
    431: ("headers_too_large", "The request headers are too large."),
    500: ("internal_error", "An internal error occurred. It has been logged."),
    501: ("not_implemented", "The server does not support this request."),
    503: ("service_unavailable", "The service is temporarily unavailable."),
}


def envelope_for_status(status: int, request=None) -> dict:
    code, message = _STATUS_CODES.get(
        status,
        ("internal_error", "An internal error occurred.")
        if status >= 500
        else ("error", "The request failed."),
    )
    return envelope(code, message, request=request)
