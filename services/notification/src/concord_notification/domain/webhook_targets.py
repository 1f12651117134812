"""Where a webhook may point: the address policy, free of any network I/O.

A department's endpoint is a URL the service will POST to on its own, from inside the
operator's network, so a careless or hostile subscription could make it reach the service's
neighbours (the store, the broker, a cloud metadata endpoint at 169.254.169.254). Outside
development a webhook therefore goes over https to public addresses only. The URL is checked
when it is registered (`refusal_of_url`), and every address a host name resolves to is checked
again when the connection is opened (`refusal_of_address`): only that second check holds
against a name that resolves to something else later (DNS rebinding).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# NAT64's well-known prefix: 64:ff9b::a.b.c.d is a.b.c.d reached through a gateway.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def refusal_of_address(address: IPAddress) -> str | None:
    """Why a webhook may not connect to `address`, or None if it is a public one."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        reason = refusal_of_address(embedded)
        return f"{reason}, embedded in {address}" if reason else None
    for reason, applies in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        # What is left and not global: shared address space (100.64.0.0/10) and the like.
        ("not public", not address.is_global),
    ):
        if applies:
            return f"{reason} address {address}"
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64): connecting to
    ::ffff:127.0.0.1 reaches 127.0.0.1, so it is judged as that."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, in any form a resolver accepts: dotted, IPv6 in
    brackets or with a zone, and the legacy numeric IPv4 forms (2130706433, 0x7f.1, 0177.0.0.1,
    127.1) that getaddrinfo turns into 127.0.0.1 without asking DNS. None for a host name."""
    host = host.strip("[]").removesuffix(".")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0] if ":" in host else host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host):
        try:  # inet_aton parses, it does not resolve: the forms the C library accepts
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def refusal_of_url(url: str, *, development: bool) -> str | None:
    """Why `url` cannot be registered as a webhook endpoint, or None.

    In development (`make run`, the tests) plain http and loopback receivers are allowed;
    credentials in the URL never are (they would sit in the store and in logs: the signing
    secret is how a receiver knows the sender).
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must be an http(s) URL"
    if parts.username is not None or parts.password is not None:
        return "must not carry user name or password (the signature identifies the sender)"
    if not host:
        return "must name a host"
    if development:
        return None
    if parts.scheme != "https":
        return "must use https"
    address = literal_address(host)
    if address is not None and (reason := refusal_of_address(address)):
        return f"must point to a public address ({reason})"
    return None
