"""One error envelope for every error the API returns.

{"error": {"code": "validation_error", "message": "...", "field": "items[0].sku",
           "details": [{"field": ..., "code": ..., "message": ...}], "request_id": "req_…"}}
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, IntegrityError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from vectis.db_retry import is_retryable_db_error
from vectis.errors import DomainError

logger = logging.getLogger("vectis.api")


class PayloadTooLarge(drf.APIException):
    status_code = 413
    default_code = "payload_too_large"
    default_detail = "The request body is too large."


def envelope(
    code: str,
    message: str,
    *,
    field: str | None = None,
    details: list[dict] | None = None,
    request=None,
    extra: dict | None = None,
) -> dict:
    body: dict = {"code": code, "message": message, "field": field}
    if details:
        body["details"] = details
    if extra:
        body.update(extra)
    body["request_id"] = getattr(request, "request_id", None)
    return {"error": body}


def flatten_errors(detail, prefix: str | None = None) -> list[dict]:
    """Turn DRF's nested error detail into [{field, code, message}] with paths like items[0].sku."""
    out: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                out.extend(flatten_errors(value, prefix))
            elif isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                # DRF keys list-serializer errors by item index.
                out.extend(flatten_errors(value, f"{prefix or ''}[{key}]"))
            else:
                out.extend(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                # A list serializer: one entry per item, `{}` for the valid ones.
                out.extend(flatten_errors(value, f"{prefix}[{index}]" if prefix else f"[{index}]"))
            else:
                out.extend(flatten_errors(value, prefix))
    else:
        out.append(
            {
                "field": prefix,
                "code": getattr(detail, "code", None) or "invalid",
                "message": str(detail),
            }
        )
    return out


def _validation_response(detail, request) -> tuple[int, dict]:
    details = flatten_errors(detail)
    if not details:
        details = [{"field": None, "code": "invalid", "message": "The request is invalid."}]
    first = details[0]
    return 400, envelope(
        "validation_error", first["message"], field=first["field"], details=details, request=request
    )


def _django_validation_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return list(exc.messages)


def exception_handler(exc, context):
    """DRF exception handler: every exception becomes the envelope; nothing escapes as HTML."""
    request = context.get("request")
    headers: dict[str, str] = {}

    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = drf.ParseError("The request was refused as malformed.")

    if isinstance(exc, DomainError):
        status = exc.status_code
        body = envelope(
            exc.code,
            exc.message,
            field=exc.field,
            details=exc.details,
            request=request,
            extra=exc.extra,
        )
        headers.update(getattr(exc, "headers", {}) or {})
    elif isinstance(exc, drf.ValidationError):
        status, body = _validation_response(exc.detail, request)
    elif isinstance(exc, DjangoValidationError):
        status, body = _validation_response(_django_validation_detail(exc), request)
    elif isinstance(exc, drf.APIException):
        status = exc.status_code
        code = _api_exception_code(exc)
        body = envelope(code, _message(exc.detail), request=request)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if isinstance(exc, drf.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
        headers.update(getattr(exc, "extra_headers", {}) or {})
    elif isinstance(exc, DatabaseError) and is_retryable_db_error(exc):
        status = 409
        body = envelope(
            "conflict_retry",
            "The request conflicted with concurrent changes; retry it.",
            request=request,
        )
    elif isinstance(exc, DataError | OverflowError):
        # Values the database cannot store (NUL characters, numbers out of range).
        status = 400
        body = envelope(
            "validation_error", "A value in the request cannot be stored.", request=request
        )
    elif isinstance(exc, IntegrityError):
        logger.warning("Integrity error answered as 409: %s", exc)
        status = 409
        body = envelope("conflict", "The request conflicts with existing data.", request=request)
    else:
        logger.error(
            "Unhandled exception (request_id=%s)",
            getattr(request, "request_id", None),
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        status = 500
        body = envelope(
            "internal_error", "An internal error occurred. It has been logged.", request=request
        )

    set_rollback()
    return Response(body, status=status, headers=headers)


_CODE_OVERRIDES = {
    "not_authenticated": "not_authenticated",
    "authentication_failed": "invalid_token",
    "permission_denied": "forbidden",
    "not_found": "not_found",
    "method_not_allowed": "method_not_allowed",
    "parse_error": "malformed_json",
    "unsupported_media_type": "unsupported_media_type",
    "not_acceptable": "not_acceptable",
    "throttled": "rate_limited",
}


def _api_exception_code(exc: drf.APIException) -> str:
    detail = exc.detail
    specific = getattr(detail, "code", None)
    if specific and specific not in _CODE_OVERRIDES:
        return str(specific)
    return _CODE_OVERRIDES.get(exc.default_code, str(exc.default_code))


def _message(detail) -> str:
    if isinstance(detail, list | tuple) and detail:
        return _message(detail[0])
    if isinstance(detail, dict) and detail:
        return _message(next(iter(detail.values())))
    return str(detail)


# --- Django-level handlers (urls.handler404 / handler500 ...) ----------------------------------
def _django_handler(status: int, code: str, message: str):
    def view(request, exception=None):
        if request.path.startswith("/oauth/"):
            # The token endpoint speaks the OAuth 2.0 error format (RFC 6749 §5.2).
            body = {
                "error": code,
                "error_description": message,
                "request_id": getattr(request, "request_id", None),
            }
            return JsonResponse(body, status=status)
        return JsonResponse(envelope(code, message, request=request), status=status)

    return view


bad_request = _django_handler(400, "bad_request", "The request could not be understood.")
permission_denied = _django_handler(
    403, "forbidden", "You do not have permission to perform this action."
)
_json_page_not_found = _django_handler(404, "not_found", "Not found.")


def page_not_found(request, exception=None):
    if request.path.startswith("/admin/"):
        # Staff in the admin get Django's own page.
        return defaults.page_not_found(request, exception)
    return _json_page_not_found(request, exception)


def server_error(request):
    return JsonResponse(
        envelope(
            "internal_error", "An internal error occurred. It has been logged.", request=request
        ),
        status=500,
    )
