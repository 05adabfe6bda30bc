"""The request-body guard in front of Django, called as the WSGI servers call it."""

import io
import json

import pytest

from vectis.api.body import RequestBodyGuard


class Recorder:
    def __init__(self):
        self.environ = None

    def __call__(self, environ, start_response):
        self.environ = environ
        self.body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def call(environ: dict) -> tuple[str, dict | None, Recorder]:
    app = Recorder()
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(RequestBodyGuard(app)(environ, start_response))
    is_json = seen["headers"].get("Content-Type") == "application/json"
    return seen["status"], json.loads(body) if is_json else None, app


def environ(body: bytes = b"", **extra) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/v1/orders/ord_x/cancel",
        "wsgi.input": io.BytesIO(body),
        **extra,
    }


def test_a_dechunked_body_reaches_django_with_its_length():
    status, _, app = call(
        environ(
            b'{"items": []}', HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input_terminated": True}
        )
    )
    assert status == "200 OK"
    assert app.environ["CONTENT_LENGTH"] == "13"
    assert app.body == b'{"items": []}'
    assert "HTTP_TRANSFER_ENCODING" not in app.environ


def test_chunked_without_a_server_that_ends_the_body_is_411():
    # Django's runserver (wsgiref) passes the raw chunked stream and no input_terminated.
    status, body, app = call(environ(b"7\r\n{}\r\n0\r\n\r\n", HTTP_TRANSFER_ENCODING="chunked"))
    assert status.startswith("411")
    assert body["error"]["code"] == "length_required"
    assert app.environ is None


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "\u00b2", "\u0661"])
def test_a_content_length_that_is_not_a_number_is_400(length):
    status, body, app = call(environ(b"{}", CONTENT_LENGTH=length))
    assert (status[:3], body["error"]["code"], app.environ) == ("400", "bad_request", None)


def test_a_declared_length_over_the_limit_is_413_before_reading(settings):
    settings.VECTIS_MAX_BODY_BYTES = 100
    stream = io.BytesIO(b"x" * 200)
    status, body, app = call({**environ(), "wsgi.input": stream, "CONTENT_LENGTH": "200"})
    assert (status[:3], body["error"]["code"], app.environ) == ("413", "payload_too_large", None)
    assert stream.tell() == 0


def test_the_admin_is_not_held_to_the_api_body_limit(settings):
    settings.VECTIS_MAX_BODY_BYTES = 100
    status, _, app = call(
        {
            **environ(b"x" * 200),
            "PATH_INFO": "/admin/catalog/product/import/",
            "CONTENT_LENGTH": "200",
        }
    )
    assert status == "200 OK" and len(app.body) == 200


def test_answers_carry_no_hop_by_hop_header_outside_gunicorn():
    # wsgiref (runserver) refuses them; gunicorn is told to close with `Connection: close`
    from wsgiref.util import is_hop_by_hop

    app, seen = Recorder(), {}

    def start_response(status, headers):
        seen["headers"] = headers

    RequestBodyGuard(app)(environ(b"", HTTP_TRANSFER_ENCODING="chunked"), start_response)
    assert not [name for name, _ in seen["headers"] if is_hop_by_hop(name)]
    RequestBodyGuard(app)(
        environ(b"", HTTP_TRANSFER_ENCODING="chunked", SERVER_SOFTWARE="gunicorn/27.0.1"),
        start_response,
    )
    assert ("Connection", "close") in seen["headers"]
