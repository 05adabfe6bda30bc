"""Keep webhook deliveries away from internal networks.

A URL is checked when it is registered (its shape, literal addresses and local names: no DNS
lookup, which would be a network call in the request) and again at every delivery, against
the addresses the host resolves to at that moment; the connection is then made to exactly the
address that was checked (no second DNS lookup, so DNS rebinding cannot slip in; see
webhooks/http.py), and redirects are never followed.
"""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from django.conf import settings

from vectis.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LEGACY_IPV4 = re.compile(r"^[0-9a-fA-Fx.]+$")
_BLOCKED_NAMES = ("localhost", "localhost.localdomain")


class UnsafeURL(ValidationFailed):
    code = "unsafe_url"
    default_message = "This URL is not allowed as a webhook target."


def literal_ip(host: str) -> IPAddress | None:
    """The address `host` spells, including IPv4 forms like 2130706433, 0x7f.1 or 0177.0.0.1."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host):
        try:
            # inet_aton accepts the decimal, octal, hex and short forms browsers and curl do.
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            return is_public(ip.sixtofour)
        if ip.teredo is not None:
            return is_public(ip.teredo[1])
        if ip in _NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return bool(
        ip.is_global
        and not ip.is_multicast
        and not ip.is_reserved
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_private
        and not ip.is_unspecified
    )


def address_allowed(ip: IPAddress) -> bool:
    return _allow_private() or is_public(ip)


def allowed_schemes() -> set[str]:
    return {"https", "http"} if settings.VECTIS_WEBHOOK_ALLOW_HTTP else {"https"}


def _allow_private() -> bool:
    return settings.VECTIS_WEBHOOK_ALLOW_PRIVATE


def validate_url(url: str, *, field: str = "url") -> str:
    """Check scheme, shape and target of a webhook URL at registration time."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number or too large)
    except ValueError as exc:
        raise UnsafeURL(f"Invalid URL: {exc}.", field=field) from exc
    if parts.scheme not in allowed_schemes():
        raise UnsafeURL("Webhook URLs must use https.", field=field)
    host = parts.hostname
    if not host:
        raise UnsafeURL("The URL has no host.", field=field)
    if parts.username or parts.password:
        raise UnsafeURL("Credentials in webhook URLs are not allowed.", field=field)
    if parts.fragment:
        raise UnsafeURL("Webhook URLs cannot have a fragment.", field=field)
    try:
        host.encode("idna")
    except UnicodeError as exc:
        raise UnsafeURL(f"The host name is not valid: {exc}.", field=field) from exc
    if _allow_private():
        return url
    ip = literal_ip(host)
    if ip is not None:
        if not is_public(ip):
            raise UnsafeURL(f"{host} is not a public address.", field=field)
        return url
    if _is_local_name(host):
        raise UnsafeURL(f"{host} is a local name.", field=field)
    # A name is resolved and its addresses checked at every delivery, not here.
    return url


def _is_local_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name in _BLOCKED_NAMES or name.endswith(".localhost")


def resolve(host: str, port: int) -> list[str]:
    """Addresses to connect to for host:port; UnsafeURL if any of them is internal."""
    if not _allow_private() and _is_local_name(host):
        raise UnsafeURL(f"{host} is a local name.")
    ip = literal_ip(host)
    if ip is not None:
        addresses = [ip]
    else:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = []
        for info in infos:
            candidate = ipaddress.ip_address(info[4][0].split("%")[0])
            if candidate not in addresses:
                addresses.append(candidate)
    if not _allow_private():
        bad = [str(a) for a in addresses if not is_public(a)]
        if bad:
            raise UnsafeURL(f"{host} resolves to a non-public address ({', '.join(bad)}).")
    return [str(a) for a in addresses]
