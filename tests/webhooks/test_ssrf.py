"""Webhook URLs can never reach internal networks: refused at registration and at delivery."""

import socket

import pytest

from tests.helpers import Api, error_of, make_account
from tests.webhooks.receiver import Reply
from webhooks import services, ssrf
from webhooks.models import Delivery, Event, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict(settings):
    """Production rules: https only, public addresses only."""
    settings.VECTIS_WEBHOOK_ALLOW_HTTP = False
    settings.VECTIS_WEBHOOK_ALLOW_PRIVATE = False
    settings.VECTIS_WEBHOOK_TIMEOUT_SECONDS = 2


@pytest.fixture
def fake_dns(monkeypatch):
    """Answers for made-up names: name -> successive answers (lists of IPs); the last repeats."""
    answers: dict[str, list[list[str]]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            ips = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
            return [
                (
                    socket.AF_INET6 if ":" in ip else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (ip, port),
                )
                for ip in ips
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def internal_urls(port: int) -> list[str]:
    """Internal targets in every disguise; the loopback ones aim at the canary's port."""
    return [
        f"https://127.0.0.1:{port}/hook",
        f"https://localhost:{port}/hook",
        f"https://LOCALHOST.:{port}/hook",
        f"https://app.localhost:{port}/hook",
        f"https://0.0.0.0:{port}/hook",
        f"https://0:{port}/hook",
        f"https://[::1]:{port}/hook",
        f"https://[::]:{port}/hook",
        f"https://[::ffff:127.0.0.1]:{port}/hook",
        f"https://[::ffff:7f00:1]:{port}/hook",
        f"https://2130706433:{port}/hook",
        f"https://0x7f.1:{port}/hook",
        f"https://0x7f000001:{port}/hook",
        f"https://0177.0.0.1:{port}/hook",
        f"https://017700000001:{port}/hook",
        f"https://127.1:{port}/hook",
        f"https://127.255.255.254:{port}/hook",
        f"https://[64:ff9b::7f00:1]:{port}/hook",
        f"https://[2002:7f00:1::1]:{port}/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/hook",
        "https://10.0.0.1/hook",
        "https://10.255.255.255/hook",
        "https://172.16.0.1/hook",
        "https://172.31.255.254/hook",
        "https://192.168.0.1/hook",
        "https://192.168.255.255/hook",
        "https://100.64.0.1/hook",
        "https://100.127.255.254/hook",
        "https://[fc00::1]/hook",
        "https://[fd12:3456:789a::1]/hook",
        "https://224.0.0.1/hook",
        "https://[ff02::1]/hook",
        "https://240.0.0.1/hook",
        "https://255.255.255.255/hook",
        "https://198.18.0.1/hook",
    ]


def test_internal_and_disguised_urls_are_refused_and_never_contacted(
    strict, receiver_factory, fake_dns
):
    # given a canary listening on loopback and a client that may manage webhooks
    canary = receiver_factory()
    api = Api(make_account("Acme"), ["webhooks:manage"])
    # Names that resolve to internal addresses are no longer refused here: registration makes
    # no DNS lookup (no network call in a request); they are refused at every delivery
    # (test_names_are_checked_at_delivery_not_at_registration).
    urls = [
        *internal_urls(canary.port),
        f"http://93.184.216.34:{canary.port}/hook",  # plain http
        f"ftp://127.0.0.1:{canary.port}/",
        f"https://user:pass@127.0.0.1:{canary.port}/",
    ]
    assert len(urls) >= 20
    # when each is registered, then each is refused naming the url field (as unsafe, or as
    # malformed where Django's URL validator already rejects the spelling)
    codes = []
    for url in urls:
        response = api.post("/v1/webhooks", {"url": url, "events": ["*"]})
        assert response.status_code == 400, url
        error = error_of(response)
        assert error["field"] == "url", (url, error)
        assert error["code"] in ("unsafe_url", "validation_error"), (url, error)
        codes.append(error["code"])
    assert codes.count("unsafe_url") >= 20
    assert WebhookEndpoint.objects.count() == 0
    assert canary.connections == 0


def test_public_addresses_are_accepted(strict):
    api = Api(make_account("Acme"), ["webhooks:manage"])
    for url in ("https://93.184.216.34/hook", "https://[2606:4700:4700::1111]/hook"):
        response = api.post("/v1/webhooks", {"url": url, "events": ["order.created"]})
        assert response.status_code == 201, (url, response.content)


def test_delivery_rechecks_the_address_and_never_connects_to_loopback(
    strict, receiver_factory, django_capture_on_commit_callbacks
):
    # given endpoints stored before the rules were tightened, aiming at the canary
    canary = receiver_factory()
    account = make_account("Acme")
    for url in internal_urls(canary.port)[:19]:
        WebhookEndpoint.objects.create(account=account, url=url, events=["*"], secret="whsec_eA==")
    # when an event is delivered to all of them
    with django_capture_on_commit_callbacks(execute=True):
        services.emit(account, "order.created", {"id": "ord_1"})
    # then every attempt is refused before connecting, as a final failure
    assert Delivery.objects.count() == 19
    for delivery in Delivery.objects.all():
        assert delivery.status == "failed", delivery.last_error
        assert delivery.last_error.startswith("refused"), delivery.last_error
    assert canary.connections == 0


def test_names_are_checked_at_delivery_not_at_registration(
    strict, receiver_factory, fake_dns, django_capture_on_commit_callbacks, monkeypatch
):
    # given names that resolve to internal addresses (all of them, or one of several)
    canary = receiver_factory()
    account = make_account("Acme")
    fake_dns["internal.example.com"] = [["127.0.0.1"]]
    fake_dns["mixed.example.com"] = [["93.184.216.34", "10.1.2.3"]]
    lookups = []
    resolve = ssrf.resolve
    monkeypatch.setattr(ssrf, "resolve", lambda *a: lookups.append(a) or resolve(*a))
    api = Api(account, ["webhooks:manage"])
    # when they are registered, then the request makes no DNS lookup
    for url in (f"https://internal.example.com:{canary.port}/hook", "https://mixed.example.com/"):
        assert api.post("/v1/webhooks", {"url": url, "events": ["*"]}).status_code == 201
    assert lookups == []
    # and every delivery to them is refused before connecting, as a final failure that names
    # no address
    with django_capture_on_commit_callbacks(execute=True):
        services.emit(account, "order.created", {"id": "ord_1"})
    assert len(lookups) == 2
    for delivery in Delivery.objects.all():
        assert delivery.status == "failed"
        assert delivery.last_error == "refused: the target address is not allowed"
    assert canary.connections == 0


def test_redirect_to_an_internal_address_is_not_followed(
    settings, receiver_factory, django_capture_on_commit_callbacks
):
    # loopback must be allowed here to reach the local redirector at all
    settings.VECTIS_WEBHOOK_ALLOW_HTTP = True
    settings.VECTIS_WEBHOOK_ALLOW_PRIVATE = True
    canary = receiver_factory()
    # if redirects were followed, the canary (reachable: loopback is allowed here) would hear
    redirector = receiver_factory(default=Reply(307, headers={"Location": canary.url}))
    account = make_account("Acme")
    services.endpoint_create(account=account, data={"url": redirector.url, "events": ["*"]})
    with django_capture_on_commit_callbacks(execute=True):
        services.emit(account, "order.created", {"id": "ord_1"})
    assert Delivery.objects.get().status == "failed"
    assert len(redirector.requests) == 1
    assert canary.connections == 0


def test_private_targets_need_the_development_switch(settings, receiver_factory):
    settings.VECTIS_WEBHOOK_ALLOW_HTTP = True
    settings.VECTIS_WEBHOOK_ALLOW_PRIVATE = False
    receiver = receiver_factory()
    with pytest.raises(ssrf.UnsafeURL):
        ssrf.validate_url(receiver.url)
    settings.VECTIS_WEBHOOK_ALLOW_PRIVATE = True
    assert ssrf.validate_url(receiver.url) == receiver.url


@pytest.mark.parametrize(
    "host,expected",
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("example.com", None),
        ("1.2.3.4.5", None),
    ],
)
def test_literal_ip_spellings(host, expected):
    ip = ssrf.literal_ip(host)
    assert (str(ip) if ip else None) == expected


def test_no_event_rows_leak_from_refused_registration(strict):
    api = Api(make_account("Acme"), ["webhooks:manage"])
    api.post("/v1/webhooks", {"url": "https://10.0.0.1/", "events": ["*"]})
    assert Event.objects.count() == 0


def test_an_invalid_international_host_name_is_400(strict):
    api = Api(make_account("Acme"), ["webhooks:manage"])
    response = api.post("/v1/webhooks", {"url": f"https://{'ü' * 60}.com/x", "events": ["*"]})
    assert response.status_code == 400
    assert error_of(response)["field"] == "url"
