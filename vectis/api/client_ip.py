"""The address a request comes from, seen through the reverse proxies Vectis is told to trust."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or with VECTIS_TRUSTED_PROXY_COUNT = N > 0 the N-th X-Forwarded-For entry
    from the right: the right-most one no trusted proxy wrote. Anything to its left was sent
    by the client and proves nothing. Falls back to REMOTE_ADDR when the header has fewer
    entries than there are proxies (the request bypassed one) or the entry is no address."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = getattr(settings, "VECTIS_TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    # Several X-Forwarded-For headers arrive joined by commas, in order.
    entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(entries) < count:
        return remote
    return _address(entries[-count]) or remote


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
