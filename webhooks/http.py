"""One webhook POST, to an address checked by the SSRF guard, never following redirects."""

import contextlib
import http.client
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

from webhooks import ssrf

RESPONSE_KEEP_BYTES = 2048
# getaddrinfo has no timeout of its own; resolving in a small pool lets the deadline hold.
_DNS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    body: str
    error: str
    duration_ms: int


class _PinnedMixin:
    """Connect to a pre-checked IP while keeping the hostname for Host and TLS (SNI, cert)."""

    pinned_ip: str

    def _create_connection(self, address, timeout, source_address=None):
        return socket.create_connection((self.pinned_ip, address[1]), timeout, source_address)


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

    def done(status=None, text="", error="") -> HttpResult:
        return HttpResult(status, text, error[:500], int((time.monotonic() - started) * 1000))

    def left() -> float:
        return timeout - (time.monotonic() - started)

    parts = urlsplit(url)
    if parts.scheme not in ssrf.allowed_schemes():
        return done(error=f"refused: {parts.scheme} URLs are not allowed")
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        addresses = _DNS.submit(ssrf.resolve, parts.hostname, port).result(timeout=max(left(), 0))
    except ssrf.UnsafeURL as exc:
        return done(error=f"refused: {exc.message}")
    except FutureTimeout:
        return done(error=f"timeout after {timeout:g}s (dns)")
    except (OSError, UnicodeError, ValueError) as exc:
        return done(error=f"dns: {exc}")

    last_error = "no address"
    for ip in addresses[:3]:
        if left() <= 0:
            return done(error=f"timeout after {timeout:g}s")
        if https:
            conn = PinnedHTTPSConnection(
                parts.hostname, port, timeout=left(), context=ssl.create_default_context()
            )
        else:
            conn = PinnedHTTPConnection(parts.hostname, port, timeout=left())
        conn.pinned_ip = ip
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
            return done(response.status, kept.decode("utf-8", errors="replace"))
        except TimeoutError:
            return done(error=f"timeout after {timeout:g}s")
        except ssl.SSLError as exc:
            return done(error=f"tls: {exc}")
        except (ConnectionError, OSError, http.client.HTTPException) as exc:
            if expired.is_set():
                return done(error=f"timeout after {timeout:g}s")
            last_error = f"connection: {exc.__class__.__name__}: {exc}"
        finally:
            if watchdog is not None:
                watchdog.cancel()
            conn.close()
    return done(error=last_error)


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
