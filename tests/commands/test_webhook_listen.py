import http.client
import io
import json
import socket
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from webhooks import signing
from webhooks.management.commands.webhook_listen import verify

SECRET = signing.generate_secret()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed(body: bytes, *, secret: str = SECRET, event_id: str = "evt_1") -> dict[str, str]:
    return signing.headers(
        secret=secret,
        event_id=event_id,
        event_type="order.created",
        delivery_id="dlv_1",
        timestamp=int(time.time()),
        body=body,
    )


def post(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    for _ in range(200):  # until the listener is up
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except ConnectionRefusedError:
            time.sleep(0.05)
        finally:
            conn.close()
    raise AssertionError("the listener never answered")


def test_it_verifies_prints_and_stops_after_count():
    port, out = free_port(), io.StringIO()
    listener = threading.Thread(
        target=call_command,
        args=("webhook_listen", "--port", str(port), "--secret", SECRET, "--count", "2"),
        kwargs={"stdout": out, "stderr": io.StringIO()},
    )
    listener.start()
    good = json.dumps({"id": "evt_1", "type": "order.created", "data": {"n": 1}}).encode()
    assert post(port, good, signed(good)) == (200, b"verified\n")
    bad = json.dumps({"id": "evt_2", "type": "order.created", "data": {"n": 2}}).encode()
    forged = signed(bad, event_id="evt_2") | {"X-Vectis-Signature": "0" * 64}
    status, answer = post(port, bad, forged)
    assert (status, answer) == (400, b"X-Vectis-Signature does not match\n")
    listener.join(timeout=30)
    assert not listener.is_alive()

    printed = out.getvalue()
    assert printed.startswith(f"listening on http://127.0.0.1:{port}/")
    assert "order.created evt_1 dlv_1 verified\n" in printed
    assert "order.created evt_2 dlv_1 NOT VERIFIED (X-Vectis-Signature does not match)\n" in printed
    assert '{\n  "data": {\n    "n": 1\n  },\n  "id": "evt_1",' in printed  # pretty JSON
    assert printed.rstrip().endswith("received 2 delivery(ies)")


def test_both_schemes_are_checked():
    body = b'{"id": "evt_1"}'
    now = time.time()
    assert verify(SECRET, signed(body), body, now=now) == []
    other = signing.generate_secret()
    assert verify(other, signed(body), body, now=now) == [
        "X-Vectis-Signature does not match",
        "webhook-signature does not match",
    ]
    standard_only = {k: v for k, v in signed(body).items() if k != "X-Vectis-Signature"}
    assert verify(SECRET, standard_only, body, now=now) == []
    assert verify(SECRET, standard_only, body, now=now + 600) == [
        "webhook-timestamp is more than 300 s from this clock"
    ]
    assert verify(SECRET, {}, body, now=now) == [
        "no X-Vectis-Signature or webhook-signature header"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "0.0.0.0"], "0.0.0.0 is not a loopback address"),  # noqa: S104
        (["--host", "example.com"], "example.com is not a loopback address"),
        (["--secret", "not-a-secret"], "--secret must start with whsec_"),
        (["--count", "0"], "--count must be at least 1"),
    ],
)
def test_bad_arguments_are_refused(args, message):
    base = {"--secret": SECRET, "--port": "0"}
    for name, value in zip(args[::2], args[1::2], strict=True):
        base[name] = value
    argv = [part for pair in base.items() for part in pair]
    with pytest.raises(CommandError, match=message):
        call_command("webhook_listen", *argv, stdout=io.StringIO())


def test_a_port_in_use_is_an_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"Cannot listen on 127.0.0.1:{port}"):
            call_command(
                "webhook_listen", "--port", str(port), "--secret", SECRET, stdout=io.StringIO()
            )
