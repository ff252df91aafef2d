"""Where a webhook may be sent: no server-side request forgery.

An endpoint URL must be https, and every address its host resolves to must be
a public one (not private, loopback, link-local, multicast or reserved), checked
when the endpoint is saved and again at each delivery, which then connects to
the address it checked (no second DNS answer in between).
CSRTOOL_WEBHOOKS_ALLOW_PRIVATE lifts both rules, for test and lab installations.
"""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from django.conf import settings

from csrtool.errors import DomainError

# A DNS name (ASCII; IDNA-encode others) or an IP address literal.
HOST = re.compile(r"[a-z0-9.-]{1,253}|[0-9a-f:.]+", re.IGNORECASE)


class UnsafeAddress(DomainError):
    code = "unsafe_url"


def check_url(url: str) -> str:
    """The URL, cleaned, or UnsafeAddress saying why it cannot be an endpoint."""
    url = str(url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UnsafeAddress("Enter an https:// URL.", field="url") from None
    allow_private = settings.WEBHOOKS_ALLOW_PRIVATE
    schemes = ("https", "http") if allow_private else ("https",)
    if (
        parts.scheme not in schemes
        or not parts.hostname
        or not HOST.fullmatch(parts.hostname)
        or any(ch.isspace() or ord(ch) < 32 for ch in url)
    ):
        raise UnsafeAddress("Enter an https:// URL.", field="url")
    if len(url) > 2000:
        raise UnsafeAddress("Keep the URL under 2,000 characters.", field="url")
    if parts.username or parts.password:
        raise UnsafeAddress(
            "Leave user names and passwords out of the URL.", field="url"
        )
    try:
        _ = parts.port
    except ValueError:
        raise UnsafeAddress(
            "The port in this URL is not a number.", field="url"
        ) from None
    if not allow_private:
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            literal = None
        if literal is not None and not is_public(literal):
            raise UnsafeAddress(
                "This address is not on the public internet.", field="url"
            )
    return url


def is_public(address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> str:
    """One address of `host` to connect to, after checking all of them."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OSError(f"The host name does not resolve ({error.strerror}).") from None
    addresses = [ipaddress.ip_address(answer[4][0]) for answer in answers]
    if not settings.WEBHOOKS_ALLOW_PRIVATE:
        private = [a for a in addresses if not is_public(a)]
        if private:
            raise OSError(
                f"The host resolves to an address that is not public ({private[0]})."
            )
    return str(addresses[0])
