"""Where webhooks may go: https to public addresses only, so no one can point
the service at the office's own network or a cloud's metadata address.

WEBHOOKS_ALLOW_LOOPBACK (development and tests) also lets plain http and this
machine's loopback addresses through. Checked when an endpoint is added and
again at every delivery, whose connection goes to the very address checked:
a name that resolves elsewhere by then cannot slip past.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from trainers.errors import DomainError

URL_MESSAGE = "Enter the endpoint's full address, starting https://"


@dataclass(frozen=True)
class Target:
    """An endpoint's URL taken apart, with the address it was checked at."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def checked_target(url: str, allow_loopback: bool) -> Target:
    """The URL's parts and a safe address it resolves to. Raises DomainError."""
    parts = _parts(url, allow_loopback)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise DomainError(
            f"{parts.hostname} could not be found: check the address.", field="url"
        ) from error
    addresses = [_ip(info[4][0]) for info in found]
    unsafe = [ip for ip in addresses if not _is_safe(ip, allow_loopback)]
    if unsafe or not addresses:
        raise DomainError(
            f"{parts.hostname} leads to a private, loopback or link-local address "
            f"({unsafe[0] if unsafe else 'none'}); webhooks only go to public "
            "addresses.",
            field="url",
        )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, str(addresses[0]))


def _parts(url: str, allow_loopback: bool):
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError as error:
        raise DomainError(URL_MESSAGE, field="url") from error
    schemes = {"https", "http"} if allow_loopback else {"https"}
    if parts.scheme not in schemes or not parts.hostname:
        raise DomainError(URL_MESSAGE, field="url")
    if parts.username or parts.password:
        raise DomainError(
            "Leave the user name and password out of the address: each message "
            "is signed instead.",
            field="url",
        )
    return parts


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(text.split("%")[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


def _is_safe(ip, allow_loopback: bool) -> bool:
    return ip.is_global or (allow_loopback and ip.is_loopback)
