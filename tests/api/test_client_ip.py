import pytest
from django.test import RequestFactory, override_settings

from vectis.api.client_ip import client_ip


def _request(remote="203.0.113.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored():
    with override_settings(VECTIS_TRUSTED_PROXY_COUNT=0):
        assert client_ip(_request(forwarded="198.51.100.1")) == "203.0.113.9"


@pytest.mark.parametrize(
    "count,forwarded,expected",
    [
        (1, "198.51.100.1", "198.51.100.1"),
        # a client may send its own X-Forwarded-For: only the entries proxies added count
        (1, "10.9.9.9, 198.51.100.1", "198.51.100.1"),
        (2, "spoofed, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (2, "198.51.100.1,10.0.0.2", "198.51.100.1"),
        (1, " 198.51.100.1:4711 ", "198.51.100.1"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "2001:DB8:0:0::1", "2001:db8::1"),
        (1, "::ffff:198.51.100.1", "198.51.100.1"),
    ],
)
def test_right_most_untrusted_entry(count, forwarded, expected):
    with override_settings(VECTIS_TRUSTED_PROXY_COUNT=count):
        assert client_ip(_request(forwarded=forwarded)) == expected


@pytest.mark.parametrize(
    "count,forwarded",
    [
        (1, None),  # not through the proxy
        (1, ""),
        (2, "198.51.100.1"),  # fewer entries than proxies
        (1, "unknown"),
        (1, "198.51.100.1, not-an-address"),
        (1, "_hidden"),
    ],
)
def test_falls_back_to_the_peer_address(count, forwarded):
    with override_settings(VECTIS_TRUSTED_PROXY_COUNT=count):
        assert client_ip(_request(forwarded=forwarded)) == "203.0.113.9"


def test_no_peer_address():
    request = RequestFactory().get("/")
    del request.META["REMOTE_ADDR"]
    assert client_ip(request) == ""
