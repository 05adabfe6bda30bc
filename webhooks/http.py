"""One webhook POST, to an address checked by the SSRF guard, never following redirects.

The host name is resolved once, every address is checked, and the connection goes to exactly
a checked address (TLS SNI, certificate check and `Host` keep the name), so a DNS answer that
changes between check and connect (DNS rebinding) is never used. The connected peer is checked
again before anything is sent.

Failures are recorded in coarse categories only (`dns`, `refused`, `timeout`, `tls`,
`http_status`) with fixed messages, so the delivery log cannot be used to map networks or
ports (no addresses, no errno texts).
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from webhooks import ssrf

RESPONSE_KEEP_BYTES = 2048
# Lookups still running for one host name: past this, new attempts to that host fail at once,
# so a name whose resolver never answers ties up its own attempts only.
DNS_IN_FLIGHT_PER_HOST = 4
_dns_lock = threading.Condition()
_dns_in_flight: dict[str, int] = {}

DNS = "dns"
REFUSED = "refused"
TIMEOUT = "timeout"
TLS = "tls"
HTTP_STATUS = "http_status"
INTERNAL = "internal"
CATEGORIES = (DNS, REFUSED, TIMEOUT, TLS, HTTP_STATUS, INTERNAL)


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    body: str
    error: str
    duration_ms: int
    category: str = ""
    # True when trying again cannot help (the target is not allowed): no retries.
    final: bool = False


class _PinnedMixin:
    """Connect to a pre-checked IP while keeping the hostname for Host and TLS (SNI, cert).

    `http.client.HTTPConnection.__init__` stores `socket.create_connection` as the instance
    attribute `_create_connection`, which would resolve the name again; it is replaced here,
    after that __init__, on the instance itself.
    """

    def __init__(self, *args, pinned_ip: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.pinned_ip = pinned_ip
        self._create_connection = self._connect_pinned

    def _connect_pinned(self, address, timeout, source_address=None):
        sock = socket.create_connection((self.pinned_ip, address[1]), timeout, source_address)
        try:
            peer = ipaddress.ip_address(sock.getpeername()[0].split("%")[0])
            if peer != ipaddress.ip_address(self.pinned_ip) or not ssrf.address_allowed(peer):
                raise ssrf.UnsafeURL("The connected address is not the checked one.")
        except BaseException:
            sock.close()
            raise
        return sock


class PinnedHTTPConnection(_PinnedMixin, http.client.HTTPConnection):
    pass


class PinnedHTTPSConnection(_PinnedMixin, http.client.HTTPSConnection):
    pass


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> HttpResult:
    """POST with one deadline for the whole attempt: DNS, connect, send and read together.

    A receiver that trickles its answer a byte at a time is cut off at the deadline (a timer
    shuts the socket down), not merely when one read stalls.
    """
    started = time.monotonic()

    def done(status=None, text="", category="", error="", final=False) -> HttpResult:
        if category and not error:
            error = f"{category}: {MESSAGES[category]}"
        elapsed = int((time.monotonic() - started) * 1000)
        return HttpResult(status, text, error[:500], elapsed, category, final)

    def left() -> float:
        return timeout - (time.monotonic() - started)

    parts = urlsplit(url)
    if parts.scheme not in ssrf.allowed_schemes():
        return done(
            category=REFUSED, error=f"refused: {parts.scheme} URLs are not allowed", final=True
        )
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        addresses = resolve_within(parts.hostname, port, max(left(), 0))
    except ssrf.UnsafeURL:
        return done(category=REFUSED, error=BLOCKED, final=True)
    except TimeoutError:
        return done(category=TIMEOUT)
    except (OSError, UnicodeError, ValueError):
        return done(category=DNS)

    outcome = done(category=REFUSED)
    for ip in addresses[:3]:
        if left() <= 0:
            return done(category=TIMEOUT)
        if https:
            conn = PinnedHTTPSConnection(
                parts.hostname,
                port,
                timeout=left(),
                context=ssl.create_default_context(),
                pinned_ip=ip,
            )
        else:
            conn = PinnedHTTPConnection(parts.hostname, port, timeout=left(), pinned_ip=ip)
        watchdog = None
        expired = threading.Event()
        try:
            conn.connect()
            watchdog = threading.Timer(max(left(), 0), _cut, args=(conn, expired))
            watchdog.daemon = True
            watchdog.start()
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            kept = _read_limited(response)
            text = kept.decode("utf-8", errors="replace")
            if 200 <= response.status < 300:
                return done(response.status, text)
            return done(response.status, text, HTTP_STATUS, f"http_status: {response.status}")
        except ssrf.UnsafeURL:
            return done(category=REFUSED, error=BLOCKED, final=True)
        except TimeoutError:
            return done(category=TIMEOUT)
        except ssl.SSLError:
            return done(category=TLS)
        except (ConnectionError, OSError, http.client.HTTPException):
            if expired.is_set():
                return done(category=TIMEOUT)
            outcome = done(category=REFUSED)
        finally:
            if watchdog is not None:
                watchdog.cancel()
            conn.close()
    return outcome


def resolve_within(host: str, port: int, timeout: float) -> list[str]:
    """`ssrf.resolve` with a deadline. getaddrinfo has no timeout of its own, so each lookup
    runs on a daemon thread of its own: one that never answers keeps only that thread (until
    the system resolver gives up), never a shared pool other receivers' lookups wait on."""
    if ssrf.literal_ip(host or "") is not None:
        # An address, not a name: nothing to look up, nothing that can hang (and no thread).
        return ssrf.resolve(host, port)
    key = (host or "").lower()
    deadline = time.monotonic() + timeout
    with _dns_lock:
        # A slot frees when a lookup of this host ends; a host whose lookups hang keeps its
        # slots, and its attempts time out waiting here, not other hosts' attempts.
        while _dns_in_flight.get(key, 0) >= DNS_IN_FLIGHT_PER_HOST:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("too many lookups of this host still running")
            _dns_lock.wait(remaining)
        _dns_in_flight[key] = _dns_in_flight.get(key, 0) + 1
    box: dict = {}

    def run() -> None:
        try:
            box["addresses"] = ssrf.resolve(host, port)
        except BaseException as exc:
            box["error"] = exc
        finally:
            with _dns_lock:
                _dns_in_flight[key] -= 1
                if not _dns_in_flight[key]:
                    del _dns_in_flight[key]
                _dns_lock.notify_all()

    thread = threading.Thread(target=run, name="webhook-dns", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()))
    if thread.is_alive():
        raise TimeoutError("the lookup did not finish in time")
    if "error" in box:
        raise box["error"]
    return box["addresses"]


MESSAGES = {
    DNS: "the host name could not be resolved",
    REFUSED: "no connection could be made to the receiver",
    TIMEOUT: "no complete answer within the time limit",
    TLS: "the TLS handshake or the certificate check failed",
    HTTP_STATUS: "the receiver answered with a non-2xx status",
    INTERNAL: "the attempt failed inside Vectis",
}
BLOCKED = "refused: the target address is not allowed"


def _cut(conn, expired: threading.Event) -> None:
    expired.set()
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _read_limited(response) -> bytes:
    """The first 2 kB of the body; the connection is closed after, so the rest is not read."""
    try:
        return response.read(RESPONSE_KEEP_BYTES)
    except (TimeoutError, OSError, http.client.HTTPException):
        # The status line arrived, which is what decides the outcome; the body is a courtesy.
        return b""
