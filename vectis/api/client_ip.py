"""The address a request comes from, seen through the reverse proxies Vectis is told to trust."""

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger("vectis.api")


def client_ip(request) -> str:
    """REMOTE_ADDR, or with VECTIS_TRUSTED_PROXY_COUNT = N > 0 the N-th X-Forwarded-For entry
    from the right: the right-most one no trusted proxy wrote. Anything to its left was sent
    by the client and proves nothing. Falls back to REMOTE_ADDR when the header has fewer
    entries than there are proxies (the request bypassed one) or the entry is no address."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = getattr(settings, "VECTIS_TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        if "HTTP_X_FORWARDED_FOR" in request.META:
            _warn_once()
        return remote
    # Several X-Forwarded-For headers arrive joined by commas, in order.
    entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(entries) < count:
        return remote
    return _address(entries[-count]) or remote


_warned = False


def _warn_once() -> None:
    """Behind a proxy with the count left at 0, every client has the proxy's address: the
    per-address sign-in throttle then throttles everyone at once."""
    global _warned
    if not _warned:
        _warned = True
        logger.warning(
            "Requests carry X-Forwarded-For but VECTIS_TRUSTED_PROXY_COUNT is 0: every client "
            "is seen with the proxy's address, and one client's failed sign-ins throttle all "
            "of them. Set VECTIS_TRUSTED_PROXY_COUNT to the number of proxies in front."
        )


def _address(entry: str) -> str | None:
    """The IP address in an X-Forwarded-For entry (`1.2.3.4`, `1.2.3.4:567`, `[::1]:567`),
    normalised so one client is one key; None for `unknown`, obfuscated names, garbage."""
    if entry.startswith("["):
        entry = entry[1:].partition("]")[0]
    elif entry.count(":") == 1:
        entry = entry.partition(":")[0]
    try:
        address = ipaddress.ip_address(entry)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)
