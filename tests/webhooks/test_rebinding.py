"""DNS rebinding: a resolver that answers a public address when the URL is checked and
loopback when the connection is made must never get a signed POST delivered to loopback.

The test cannot use the internet, so 127.0.0.2 plays a public address (the SSRF guard is told
to treat it as one) and 127.0.0.1 is loopback. Both listen on the same port: a connection
that resolves the name a second time lands on the canary at 127.0.0.1.
"""

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.helpers import make_account
from tests.webhooks.receiver import Receiver
from webhooks import http, services, ssrf
from webhooks.models import Delivery, DeliveryAttempt

pytestmark = pytest.mark.django_db

PUBLIC_STAND_IN = "127.0.0.2"
NAME = "rebind.test"


@pytest.fixture
def guarded(settings, monkeypatch):
    """Production rules (public addresses only), with 127.0.0.2 counting as public."""
    settings.VECTIS_WEBHOOK_ALLOW_PRIVATE = False
    settings.VECTIS_WEBHOOK_TIMEOUT_SECONDS = 3
    real = ssrf.is_public
    monkeypatch.setattr(
        ssrf, "is_public", lambda ip: ip == ipaddress.ip_address(PUBLIC_STAND_IN) or real(ip)
    )


@pytest.fixture
def rebinding_dns(monkeypatch):
    """`rebind.test` is 127.0.0.2 for the SSRF check and 127.0.0.1 for any other lookup (the
    one a connection would make by name). Returns the list of lookups, by who made them."""
    lookups: list[str] = []
    checking = threading.local()
    real_getaddrinfo, real_resolve = socket.getaddrinfo, ssrf.resolve

    def resolve(*args, **kwargs):
        checking.active = True
        try:
            return real_resolve(*args, **kwargs)
        finally:
            checking.active = False

    def getaddrinfo(host, port, *args, **kwargs):
        if host != NAME:
            return real_getaddrinfo(host, port, *args, **kwargs)
        by_check = getattr(checking, "active", False)
        lookups.append("check" if by_check else "connect")
        ip = PUBLIC_STAND_IN if by_check else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(ssrf, "resolve", resolve)
    return lookups


@pytest.fixture
def pair():
    """A receiver on the public stand-in and a canary on loopback, on one port."""
    public = Receiver(host=PUBLIC_STAND_IN)
    canary = Receiver(host="127.0.0.1", port=public.port)
    yield public, canary
    public.stop()
    canary.stop()


def _deliver(url: str, capture) -> Delivery:
    account = make_account("Acme")
    services.endpoint_create(account=account, data={"url": url, "events": ["*"]})
    with capture(execute=True):
        services.emit(account, "order.created", {"id": "ord_1"})
    return Delivery.objects.get()


def test_the_connection_goes_to_the_checked_address(
    guarded, settings, rebinding_dns, pair, django_capture_on_commit_callbacks
):
    settings.VECTIS_WEBHOOK_ALLOW_HTTP = True
    public, canary = pair

    delivery = _deliver(f"http://{NAME}:{public.port}/hook", django_capture_on_commit_callbacks)

    assert canary.connections == 0
    assert len(public.requests) == 1
    assert public.requests[0].headers["Host"] == f"{NAME}:{public.port}"
    assert "webhook-signature" in {k.lower() for k in public.requests[0].headers}
    # resolved for the check only: the address that was checked is the one connected to
    assert "connect" not in rebinding_dns
    assert delivery.status == "succeeded"


def _certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_keeps_the_name_for_sni_and_the_certificate_check(
    guarded, rebinding_dns, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    # given TLS receivers whose certificate is valid for rebind.test only
    cert_path, key_path = _certificate(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)
    names_seen = []
    server_context.sni_callback = lambda sock, name, ctx: names_seen.append(name)
    public = Receiver(host=PUBLIC_STAND_IN, ssl_context=server_context)
    canary = Receiver(host="127.0.0.1", port=public.port, ssl_context=server_context)
    # and a client that trusts that certificate
    real_context = ssl.create_default_context
    monkeypatch.setattr(
        http.ssl, "create_default_context", lambda: real_context(cafile=str(cert_path))
    )
    try:
        delivery = _deliver(
            f"https://{NAME}:{public.port}/hook", django_capture_on_commit_callbacks
        )
    finally:
        public.stop()
        canary.stop()

    assert delivery.status == "succeeded", delivery.last_error
    assert names_seen == [NAME]
    assert len(public.requests) == 1 and canary.connections == 0


def test_a_connection_that_lands_elsewhere_is_dropped_before_sending(
    guarded, settings, rebinding_dns, pair, monkeypatch, django_capture_on_commit_callbacks
):
    # given a network where a connection to the checked address ends up on loopback
    settings.VECTIS_WEBHOOK_ALLOW_HTTP = True
    public, canary = pair
    real = socket.create_connection
    monkeypatch.setattr(
        socket,
        "create_connection",
        lambda address, *a, **k: real(("127.0.0.1", address[1]), *a, **k),
    )

    delivery = _deliver(f"http://{NAME}:{public.port}/hook", django_capture_on_commit_callbacks)

    assert canary.requests == []  # connected, but not one byte of the request was sent
    assert public.requests == []
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.category, attempt.error) == ("refused", http.BLOCKED)
    assert delivery.status == "failed"


def test_a_name_that_never_resolves_does_not_hold_up_other_receivers(
    settings, receiver_factory, monkeypatch, django_capture_on_commit_callbacks
):
    # given lookups of one name that hang (a tenant's broken DNS), more of them than any pool
    settings.VECTIS_WEBHOOK_ALLOW_HTTP = True
    settings.VECTIS_WEBHOOK_ALLOW_PRIVATE = True
    settings.VECTIS_WEBHOOK_TIMEOUT_SECONDS = 1
    hang = threading.Event()
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "hangs.test":
            hang.wait(20)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    try:
        for _ in range(8):
            result = http.post("http://hangs.test/hook", b"{}", {}, timeout=0.2)
            assert result.category == "timeout"
        # when another receiver, also reached by name, is delivered to, then it is reached
        healthy = receiver_factory()
        url = f"http://localhost:{healthy.port}/hook"
        assert http.post(url, b"{}", {}, timeout=2).status_code == 200
    finally:
        hang.set()


def test_more_attempts_to_one_healthy_name_than_lookup_slots_all_get_through(
    settings, receiver_factory, monkeypatch
):
    # given a receiver reached by name whose lookups take a moment, and twice as many
    # attempts side by side as a host has lookup slots (delivery threads outnumber them)
    settings.VECTIS_WEBHOOK_ALLOW_HTTP = True
    settings.VECTIS_WEBHOOK_ALLOW_PRIVATE = True
    real = socket.getaddrinfo

    def slow(host, *args, **kwargs):
        time.sleep(0.2)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    receiver = receiver_factory()
    url = f"http://localhost:{receiver.port}/hook"
    attempts = 2 * http.DNS_IN_FLIGHT_PER_HOST
    # when they are made at once, then each waits for a slot and none fails (before: those
    # beyond the 4th failed at once as timeouts, and were retried minutes later)
    with ThreadPoolExecutor(max_workers=attempts) as pool:
        results = list(pool.map(lambda _: http.post(url, b"{}", {}, timeout=5), range(attempts)))
    assert [r.status_code for r in results] == [200] * attempts
    assert len(receiver.requests) == attempts
