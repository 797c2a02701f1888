"""Where a delivery may go (SSRF guard), checked at registration and again before every POST.

Deployed environments: ``https`` only, and every address the host resolves to must be public
(no private, loopback, link-local, multicast, reserved or unspecified address). In ``local``
and ``test`` loopback is allowed too (over ``http`` or ``https``), so a receiver on this machine
works. The POST then connects to the address that was checked (the ``Host`` header and TLS SNI
keep the name), so a DNS rebind between check and connect cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from socialmetrics.config import Settings
from socialmetrics.errors import InvalidInput

Resolver = Callable[[str, int], list[str]]
MAX_URL_LENGTH = 2_048


class UnsafeTarget(InvalidInput):
    """The URL may not receive deliveries (scheme, host or resolved address)."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    address: str  # the checked IP the POST connects to

    @property
    def connect_url(self) -> str:
        """The URL with the checked address in place of the name."""
        parts = urlsplit(self.url)
        ip = f"[{self.address}]" if ":" in self.address else self.address
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.scheme}://{ip}:{self.port}{path}{query}"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (A and AAAA)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"The host {host!r} does not resolve: {exc}") from None
    return sorted({str(info[4][0]) for info in infos})


def _allowed(address: str, settings: Settings) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return settings.is_local
    return not (
        ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_url(url: str, settings: Settings, resolver: Resolver = resolve) -> Target:
    """The target behind ``url`` if deliveries may go there; :class:`UnsafeTarget` otherwise."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeTarget(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeTarget("The URL is not valid.") from None
    scheme = parts.scheme.lower()
    allowed_schemes = ("https", "http") if settings.is_local else ("https",)
    if scheme not in allowed_schemes:
        raise UnsafeTarget(f"Webhook URLs must use {' or '.join(allowed_schemes)}.")
    if parts.username or parts.password:
        raise UnsafeTarget("Webhook URLs may not carry credentials.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeTarget("The URL has no host.")
    port = port or (443 if scheme == "https" else 80)
    addresses = resolver(host, port)
    if not addresses:
        raise UnsafeTarget(f"The host {host!r} does not resolve.")
    refused = [a for a in addresses if not _allowed(a, settings)]
    if refused:
        raise UnsafeTarget(
            f"The host {host!r} resolves to a non-public address ({refused[0]}); "
            "webhooks go to public addresses only."
        )
    if scheme == "http" and not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise UnsafeTarget("Plain http is allowed for loopback receivers only; use https.")
    return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])
