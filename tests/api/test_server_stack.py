"""The server stack as clients meet it: a real gunicorn with the shipped configuration.

Chunked bodies must be read whole (or refused), never taken for empty ones; everything a
client can provoke before the application runs (long URLs and headers, huge or malformed
bodies) is answered with the JSON error envelope.
"""

import json

import pytest

from orders.models import Order, OrderLine, Package
from tests import live
from tests.factories import Stock, order_body
from tests.helpers import Api

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), live.gunicorn() as running:
        yield running


@pytest.fixture(scope="module")
def refusing_server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), live.gunicorn(VECTIS_CHUNKED_REQUESTS="refuse") as running:
        yield running


@pytest.fixture
def shop(account):
    """3 WIDGET-BLU and 1 GADGET-RED allocated in one warehouse, 2 more WIDGET-BLU in another."""
    stock = Stock(account)
    east, west = stock.warehouse("EAST", priority=5), stock.warehouse("WEST")
    widget, gadget = stock.product("WIDGET-BLU"), stock.product("GADGET-RED")
    stock.receive(widget, east, 3)
    stock.receive(gadget, west, 5)
    api = Api(account)
    data = order_body(
        items=[{"sku": "WIDGET-BLU", "quantity": 3}, {"sku": "GADGET-RED", "quantity": 1}]
    )
    response = api.post("/v1/orders", data)
    assert response.status_code == 201, response.content
    order = Order.objects.get(public_id=response.json()["id"])
    assert order.status == "allocated"
    return api, order


def chunked(server, method: str, path: str, payload: dict, token: str):
    """A request whose body goes as `Transfer-Encoding: chunked`, with no Content-Length."""
    raw = json.dumps(payload).encode()
    conn = server.connection()
    conn.request(
        method,
        path,
        body=iter([raw[:7], raw[7:]]),  # an iterable body is sent chunked by http.client
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, json.loads(body) if body else None


def line(order: Order, sku: str) -> OrderLine:
    return OrderLine.objects.get(order=order, sku=sku)


def test_a_chunked_partial_cancel_cancels_exactly_the_units_named(server, shop):
    api, order = shop
    widget = line(order, "WIDGET-BLU")

    response, body = chunked(
        server,
        "POST",
        f"/v1/orders/{order.public_id}/cancel",
        {"items": [{"line_id": widget.public_id, "quantity": 1}], "reason": "customer"},
        api.token,
    )

    assert response.status == 200, body
    widget.refresh_from_db()
    assert widget.quantity_cancelled == 1
    assert line(order, "GADGET-RED").quantity_cancelled == 0
    order.refresh_from_db()
    assert order.status == "allocated"


def test_a_chunked_ship_with_packages_ships_only_those(server, shop):
    api, order = shop
    gadget = line(order, "GADGET-RED")
    west_id = Package.objects.get(order=order, warehouse__code="WEST").warehouse.public_id

    response, body = chunked(
        server,
        "POST",
        f"/v1/orders/{order.public_id}/ship",
        {
            "packages": [
                {"warehouse_id": west_id, "lines": [{"line_id": gadget.public_id, "quantity": 1}]}
            ]
        },
        api.token,
    )

    assert response.status == 200, body
    assert line(order, "GADGET-RED").quantity_shipped == 1
    assert line(order, "WIDGET-BLU").quantity_shipped == 0
    order.refresh_from_db()
    assert order.status == "partially_shipped"


def test_a_chunked_package_ship_keeps_its_carrier_and_tracking_number(server, shop):
    api, order = shop
    package = Package.objects.get(order=order, warehouse__code="EAST")

    response, body = chunked(
        server,
        "POST",
        f"/v1/packages/{package.public_id}/ship",
        {"carrier": "manual", "tracking_number": "1Z999AA10123456784"},
        api.token,
    )

    assert response.status == 200, body
    package.refresh_from_db()
    assert (package.carrier, package.tracking_number) == ("manual", "1Z999AA10123456784")


def test_chunked_bodies_can_be_refused_with_a_json_411_that_changes_nothing(refusing_server, shop):
    api, order = shop
    widget = line(order, "WIDGET-BLU")

    response, body = chunked(
        refusing_server,
        "POST",
        f"/v1/orders/{order.public_id}/cancel",
        {"items": [{"line_id": widget.public_id, "quantity": 1}]},
        api.token,
    )

    assert response.status == 411
    assert response.getheader("Content-Type") == "application/json"
    assert body["error"]["code"] == "length_required"
    assert body["error"]["request_id"].startswith("req_")
    widget.refresh_from_db()
    order.refresh_from_db()
    assert (widget.quantity_cancelled, order.status) == (0, "allocated")


def test_a_chunked_body_over_the_limit_is_a_413(server, shop):
    api, order = shop
    response, body = chunked(
        server,
        "POST",
        f"/v1/orders/{order.public_id}/cancel",
        {"reason": "x" * 3_000_000},
        api.token,
    )
    assert (response.status, body["error"]["code"]) == (413, "payload_too_large")
    order.refresh_from_db()
    assert order.status == "allocated"


def _status_and_json(raw: bytes) -> tuple[int, dict, str]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    content_type = next(
        (
            v.strip()
            for k, _, v in (h.partition(":") for h in lines[1:])
            if k.lower() == "content-type"
        ),
        "",
    )
    return status, json.loads(body), content_type


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GET /v1/orders?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (
            b"GET /v1/orders HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n",
            431,
            "headers_too_large",
        ),
        (
            b"GET /v1/orders HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-H%d: 1\r\n" % n for n in range(150))
            + b"\r\n",
            431,
            "headers_too_large",
        ),
        (b"GARBAGE\r\n\r\n", 400, "bad_request"),
        (
            b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            400,
            "bad_request",
        ),
        (
            b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n"
            b"Content-Type: application/json\r\n\r\n{",
            413,
            "payload_too_large",
        ),
        (
            b"POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n"
            b"Content-Type: application/json\r\n\r\n{",
            413,
            "payload_too_large",
        ),
    ],
    ids=[
        "long-url",
        "long-header",
        "many-headers",
        "bad-request-line",
        "bad-chunk",
        "token-50MB",
        "orders-10MB",
    ],
)
def test_what_a_client_provokes_before_the_application_is_json(server, request_bytes, status, code):
    answered, body, content_type = _status_and_json(server.raw(request_bytes))
    assert content_type == "application/json"
    if b" /oauth/" in request_bytes.split(b"\r\n")[0]:
        # the token endpoint answers in the OAuth 2.0 format (RFC 6749 section 5.2)
        assert (answered, body["error"]) == (status, code)
        assert body["request_id"].startswith("req_")
    else:
        assert (answered, body["error"]["code"]) == (status, code)
        assert body["error"]["request_id"].startswith("req_")
