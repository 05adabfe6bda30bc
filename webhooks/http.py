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
import heapq
import http.client
import ipaddress
import itertools
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from webhooks import ssrf

RESPONSE_KEEP_BYTES = 2048
# An answer longer than this is not read to its end: its connection is closed, not kept.
DRAIN_LIMIT = 64 * 1024
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


class ConnectionPool:
    """Idle keep-alive connections of one batch of attempts, by scheme, host, port and the
    checked address they were opened to. An attempt still resolves and checks its host; it
    reuses a connection only to an address that check allowed just now. Closed with the
    batch, so no connection outlives the worker's task."""

    MAX_IDLE_PER_KEY = 32

    def __init__(self) -> None:
        self._idle: dict[tuple, list] = {}
        self._lock = threading.Lock()
        self._closed = False

    def take(self, key: tuple):
        with self._lock:
            idle = self._idle.get(key)
            return idle.pop() if idle else None

    def give(self, key: tuple, conn) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if not self._closed and len(idle) < self.MAX_IDLE_PER_KEY:
                idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()

    def __enter__(self) -> "ConnectionPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Stale(Exception):
    """A kept connection the receiver had closed before this request reached it."""


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    pool: ConnectionPool | None = None,
) -> HttpResult:
    """POST with one deadline for the whole attempt: DNS, connect, send and read together.

    A receiver that trickles its answer a byte at a time is cut off at the deadline (the
    watchdog shuts the socket down), not merely when one read stalls. With a `pool`, a
    connection to the same checked address is reused when the receiver keeps it alive.
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

    def exchange(conn, key, reused: bool) -> HttpResult:
        """One request on `conn`; raises _Stale for a kept connection found closed, OSError
        (or HTTPException) when the address cannot be reached."""
        expired = threading.Event()
        keep = False
        watch = None
        try:
            if reused:
                conn.sock.settimeout(max(left(), 0.001))
            else:
                conn.connect()
            watch = _watchdog.watch(time.monotonic() + max(left(), 0), conn, expired)
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                if reused and not expired.is_set():
                    raise _Stale from None
                raise
            kept = _read_limited(response)
            keep = pool is not None and _drained(response)
            text = kept.decode("utf-8", errors="replace")
            if 200 <= response.status < 300:
                return done(response.status, text)
            return done(response.status, text, HTTP_STATUS, f"http_status: {response.status}")
        except (TimeoutError, OSError, http.client.HTTPException):
            if expired.is_set():
                raise TimeoutError from None
            raise
        finally:
            if watch is not None:
                _watchdog.cancel(watch)
            if keep and not expired.is_set():
                pool.give(key, conn)
            else:
                conn.close()

    outcome = done(category=REFUSED)
    for ip in addresses[:3]:
        if left() <= 0:
            return done(category=TIMEOUT)
        key = (parts.scheme, (parts.hostname or "").lower(), port, ip)
        try:
            kept_conn = pool.take(key) if pool is not None else None
            if kept_conn is not None:
                try:
                    return exchange(kept_conn, key, reused=True)
                except _Stale:
                    pass  # closed by the receiver while idle: a new connection below
            if https:
                conn = PinnedHTTPSConnection(
                    parts.hostname,
                    port,
                    timeout=max(left(), 0.001),
                    context=ssl.create_default_context(),
                    pinned_ip=ip,
                )
            else:
                conn = PinnedHTTPConnection(
                    parts.hostname, port, timeout=max(left(), 0.001), pinned_ip=ip
                )
            return exchange(conn, key, reused=False)
        except ssrf.UnsafeURL:
            return done(category=REFUSED, error=BLOCKED, final=True)
        except TimeoutError:
            return done(category=TIMEOUT)
        except ssl.SSLError:
            return done(category=TLS)
        except (ConnectionError, OSError, http.client.HTTPException):
            outcome = done(category=REFUSED)
    return outcome


class _Watchdog:
    """One thread per process that shuts down the socket of an attempt past its deadline
    (a thread per attempt costs more than the request on a local receiver)."""

    def __init__(self) -> None:
        self._reset()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._heap: list = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, conn, expired: threading.Event) -> list:
        entry = [deadline, next(self._order), conn, expired, True]
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="webhook-watchdog", daemon=True
                )
                self._thread.start()
            heapq.heappush(self._heap, entry)
            if self._heap[0] is entry:
                self._cond.notify()
        return entry

    def cancel(self, entry: list) -> None:
        # Under the lock: once this returns, the socket is never cut for this attempt.
        with self._cond:
            entry[4] = False
            entry[2] = None

    def _run(self) -> None:
        cond = self._cond
        with cond:
            while True:
                while self._heap and not self._heap[0][4]:
                    heapq.heappop(self._heap)
                if not self._heap:
                    cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    cond.wait(wait)
                    continue
                _, _, conn, expired, _ = heapq.heappop(self._heap)
                _cut(conn, expired)


_watchdog = _Watchdog()


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
    """The first 2 kB of the body (the rest is drained for keep-alive, or the connection is
    closed)."""
    try:
        return response.read(RESPONSE_KEEP_BYTES)
    except (TimeoutError, OSError, http.client.HTTPException):
        # The status line arrived, which is what decides the outcome; the body is a courtesy.
        return b""


def _drained(response) -> bool:
    """Read what is left of the answer (up to DRAIN_LIMIT) so the connection can carry the
    next request; False when it cannot (the receiver closes it, or the answer is too long)."""
    if response.will_close:
        return False
    try:
        left = DRAIN_LIMIT
        while not response.isclosed() and left > 0:
            chunk = response.read(min(left, 16384))
            if not chunk:
                break
            left -= len(chunk)
    except (TimeoutError, OSError, http.client.HTTPException):
        return False
    return response.isclosed()
