"""Keep-alive within a batch of attempts (issue 13, S7b): a receiver that keeps connections
open gets the batch's attempts over a few reused connections; a kept connection the receiver
has closed costs nothing but a new connection; the SSRF check still runs on every attempt;
and the deadline of an attempt holds on a reused connection too."""

import ipaddress
import socket

import pytest

from tests.factories import undelivered
from tests.helpers import make_account
from tests.webhooks.receiver import Reply
from webhooks import http, services, ssrf
from webhooks.models import Delivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_targets")]


def test_a_batch_reuses_the_connections_a_receiver_keeps_open(
    receiver_factory, monkeypatch, settings
):
    # given a keep-alive receiver and 24 deliveries to it, sent 4 at a time
    settings.VECTIS_WEBHOOK_DELIVERY_THREADS = 4
    account = make_account("Kept")
    receiver = receiver_factory(keep_alive=True)
    services.endpoint_create(account=account, data={"url": receiver.url, "events": ["*"]})
    pairs = undelivered(account, 24, monkeypatch)
    # when the batch is attempted
    assert services.attempt_deliveries(pairs) == 24
    # then every one is delivered, over no more connections than there are sending threads
    # (before: one connection per attempt, 24)
    assert Delivery.objects.filter(status=Delivery.SUCCEEDED).count() == 24
    assert len(receiver.requests) == 24
    assert receiver.connections <= 4, receiver.connections


def test_a_receiver_that_closes_each_connection_gets_a_new_one_per_attempt(
    receiver_factory, monkeypatch, settings
):
    # given an HTTP/1.0 receiver (one request per connection)
    settings.VECTIS_WEBHOOK_DELIVERY_THREADS = 2
    account = make_account("Closing")
    receiver = receiver_factory()
    services.endpoint_create(account=account, data={"url": receiver.url, "events": ["*"]})
    assert services.attempt_deliveries(undelivered(account, 6, monkeypatch)) == 6
    assert Delivery.objects.filter(status=Delivery.SUCCEEDED).count() == 6
    assert receiver.connections == 6


def test_a_kept_connection_the_receiver_dropped_is_replaced_and_nothing_is_lost(
    receiver_factory, monkeypatch, settings
):
    # given a keep-alive receiver that drops every connection after answering, without
    # saying so (as a receiver does with idle connections it times out)
    settings.VECTIS_WEBHOOK_DELIVERY_THREADS = 1
    account = make_account("Dropped")
    receiver = receiver_factory(keep_alive=True, default=Reply(drop_after=True))
    services.endpoint_create(account=account, data={"url": receiver.url, "events": ["*"]})
    # when 5 deliveries go out one after another on the kept connection
    assert services.attempt_deliveries(undelivered(account, 5, monkeypatch)) == 5
    # then each found the kept connection closed, opened a new one, and was delivered once
    assert Delivery.objects.filter(status=Delivery.SUCCEEDED).count() == 5
    assert len(receiver.requests) == 5
    assert receiver.connections == 5


def test_an_answer_too_long_to_drain_closes_its_connection(receiver_factory):
    receiver = receiver_factory(
        keep_alive=True,
        default=Reply(body=b"x" * (http.RESPONSE_KEEP_BYTES + http.DRAIN_LIMIT + 1)),
    )
    with http.ConnectionPool() as pool:
        first = http.post(receiver.url, b"{}", {}, timeout=2, pool=pool)
        second = http.post(receiver.url, b"{}", {}, timeout=2, pool=pool)
    assert first.status_code == second.status_code == 200
    assert len(first.body) == http.RESPONSE_KEEP_BYTES
    assert receiver.connections == 2


def test_short_answers_share_one_connection_and_the_pool_closes_it(receiver_factory):
    receiver = receiver_factory(keep_alive=True)
    with http.ConnectionPool() as pool:
        results = [http.post(receiver.url, b"{}", {}, timeout=2, pool=pool) for _ in range(3)]
        idle = [conn for conns in pool._idle.values() for conn in conns]
    assert [r.status_code for r in results] == [200, 200, 200]
    assert receiver.connections == 1
    assert len(idle) == 1 and idle[0].sock is None  # closed with the pool


def test_the_deadline_holds_on_a_reused_connection(receiver_factory):
    # given a kept connection whose second answer trickles a byte every 0.2 s
    receiver = receiver_factory(
        Reply(), Reply(trickle_seconds=0.2), keep_alive=True, default=Reply()
    )
    with http.ConnectionPool() as pool:
        assert http.post(receiver.url, b"{}", {}, timeout=2, pool=pool).status_code == 200
        # when the second attempt reuses it with a 0.5 s deadline, then it is cut off
        result = http.post(receiver.url, b"{}", {}, timeout=0.5, pool=pool)
    assert result.category == http.TIMEOUT
    assert receiver.connections == 1


def test_a_kept_connection_is_not_reused_once_the_name_resolves_to_a_blocked_address(
    receiver_factory, settings, monkeypatch
):
    # given a receiver reached by name, with a connection kept from an allowed answer
    settings.VECTIS_WEBHOOK_ALLOW_PRIVATE = False
    stand_in = ipaddress.ip_address("127.0.0.2")
    real_is_public = ssrf.is_public
    monkeypatch.setattr(ssrf, "is_public", lambda ip: ip == stand_in or real_is_public(ip))
    receiver = receiver_factory(keep_alive=True, host="127.0.0.2")
    answer = {"ip": "127.0.0.2"}
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "kept.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer["ip"], port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    url = f"http://kept.test:{receiver.port}/hook"
    with http.ConnectionPool() as pool:
        assert http.post(url, b"{}", {}, timeout=2, pool=pool).status_code == 200
        # when the name now resolves to loopback (a rebinding), then the attempt is refused
        # before anything is sent, though a connection to the earlier address is kept
        answer["ip"] = "127.0.0.1"
        refused = http.post(url, b"{}", {}, timeout=2, pool=pool)
    assert refused.category == http.REFUSED and refused.final
    assert refused.error == http.BLOCKED
    assert len(receiver.requests) == 1
