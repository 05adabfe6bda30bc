"""Failed sign-ins at the token endpoint, counted per client id and per source address.

After VECTIS_TOKEN_FAILURE_LIMIT failures (20) within VECTIS_TOKEN_FAILURE_WINDOW_SECONDS
(60) of the first one, the client id (or the address) gets 429 until the window ends, even
with the right secret: otherwise the window would not slow down guessing. Counters live in the
Django cache (Redis in production, so every web process shares them; process memory on the
embedded default). If the cache is unreachable, sign-ins are not throttled (and a warning is
logged) rather than refused.
"""

import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("vectis.auth")


def _key(kind: str, value: str, part: str) -> str:
    digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]
    return f"{settings.VECTIS_TOKEN_FAILURE_KEY_PREFIX}:{kind}:{digest}:{part}"


def retry_after(subjects: list[tuple[str, str]]) -> int | None:
    """Seconds until a throttled subject may try again; None when none is throttled."""
    limit = settings.VECTIS_TOKEN_FAILURE_LIMIT
    if limit <= 0:
        return None
    keys = [_key(kind, value, part) for kind, value in subjects for part in ("n", "t0")]
    try:
        found = cache.get_many(keys)
    except Exception as exc:
        logger.warning("token failure counters unavailable, not throttling: %s", exc)
        return None
    window = settings.VECTIS_TOKEN_FAILURE_WINDOW_SECONDS
    waits = []
    for kind, value in subjects:
        count = found.get(_key(kind, value, "n")) or 0
        started = found.get(_key(kind, value, "t0"))
        if count >= limit and started is not None:
            left = started + window - time.time()
            if left > 0:
                waits.append(max(1, int(left + 0.999)))
    return max(waits) if waits else None


def record_failure(subjects: list[tuple[str, str]]) -> None:
    if settings.VECTIS_TOKEN_FAILURE_LIMIT <= 0:
        return
    window = settings.VECTIS_TOKEN_FAILURE_WINDOW_SECONDS
    try:
        for kind, value in subjects:
            # The window starts at the first failure; both keys expire together.
            cache.add(_key(kind, value, "t0"), time.time(), window)
            cache.add(_key(kind, value, "n"), 0, window)
            try:
                cache.incr(_key(kind, value, "n"))
            except ValueError:  # expired between add and incr
                cache.add(_key(kind, value, "n"), 1, window)
    except Exception as exc:
        logger.warning("token failure counters unavailable: %s", exc)


def subjects_for(client_ids: list[str], address: str) -> list[tuple[str, str]]:
    """The counters a sign-in attempt counts against: its address (an IPv6 address by its
    /64, which one machine usually holds whole) and every client id it names."""
    return [("addr", _network(address)), *(("client", client_id) for client_id in client_ids)]


def _network(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
