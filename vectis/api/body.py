"""A request body is read whole or refused, never mistaken for an empty one.

WSGI gives the application a body only through `CONTENT_LENGTH`. A client (or proxy) that
sends `Transfer-Encoding: chunked` has no Content-Length, so Django would read the body as
empty, and for actions where an empty body means "everything" (cancel, ship) that turns a
partial request into a whole one. This WSGI middleware sits in front of Django:

- chunked bodies are read to the end (the server has de-chunked them: gunicorn marks this with
  `wsgi.input_terminated`) up to the size limit and handed on with their Content-Length, or,
  where the server cannot say where the body ends (Django's runserver) or chunked bodies are
  switched off (`VECTIS_CHUNKED_REQUESTS=refuse`), refused with a JSON 411;
- a declared Content-Length above the limit is answered 413 before a byte is read;
- a Content-Length that is not a number is a 400.
"""

import io
import json
import re

from django.conf import settings

from vectis.api.middleware import request_id_from

_API_PREFIXES = ("/v1/", "/oauth/")
_DIGITS = re.compile(r"[0-9]+")
_READ_CHUNK = 64 * 1024


def _reply(start_response, environ, status: str, code: str, message: str):
    request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))
    if environ.get("PATH_INFO", "").startswith("/oauth/"):
        # The token endpoint speaks the OAuth 2.0 error format (RFC 6749 §5.2).
        error = {"error": code, "error_description": message, "request_id": request_id}
    else:
        error = {"error": {"code": code, "message": message, "field": None}}
        error["error"]["request_id"] = request_id
    body = json.dumps(error).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("X-Request-ID", request_id),
    ]
    if environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        # A hint that the connection should not be reused (the unread body is still on it).
        # gunicorn drains or closes it either way; WSGI servers such as wsgiref refuse
        # hop-by-hop headers from applications, so only gunicorn gets it.
        headers.append(("Connection", "close"))
    start_response(status, headers)
    return [body]


def _read_all(stream, limit: int) -> bytes | None:
    """Up to `limit` bytes of the stream, or None when there are more."""
    parts, size = [], 0
    while True:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            return None


class RequestBodyGuard:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        limit = settings.VECTIS_MAX_BODY_BYTES
        api = environ.get("PATH_INFO", "").startswith(_API_PREFIXES)
        if environ.get("HTTP_TRANSFER_ENCODING", "").strip():
            if (
                not api
                or settings.VECTIS_CHUNKED_REQUESTS != "read"
                or not environ.get("wsgi.input_terminated")
            ):
                return _reply(
                    start_response,
                    environ,
                    "411 Length Required",
                    "length_required",
                    "Send the request body with a Content-Length header; chunked transfer "
                    "encoding is not accepted here.",
                )
            body = _read_all(environ["wsgi.input"], limit)
            if body is None:
                return _too_large(start_response, environ, limit)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]
            return self.app(environ, start_response)

        declared = environ.get("CONTENT_LENGTH", "").strip()
        if declared:
            if not _DIGITS.fullmatch(declared):  # str.isdigit() takes "²" too
                return _reply(
                    start_response,
                    environ,
                    "400 Bad Request",
                    "bad_request",
                    "Content-Length must be a non-negative integer.",
                )
            if api and int(declared) > limit:
                return _too_large(start_response, environ, limit)
        return self.app(environ, start_response)


def _too_large(start_response, environ, limit: int):
    return _reply(
        start_response,
        environ,
        "413 Content Too Large",
        "payload_too_large",
        f"The request body is larger than {limit} bytes.",
    )
