"""Where the service may connect to at someone else's word (a webhook endpoint,
a trainer's calendar feed): https to public addresses only, so no one can point
it at the office's own network or a cloud's metadata address.

`allow_loopback` (development and tests) also lets plain http and this
machine's loopback addresses through. Checked when an address is given and
again at every connection, which goes to the very address checked
(`PinnedConnection`): a name that resolves elsewhere by then cannot slip past.
"""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from trainers.errors import DomainError

URL_MESSAGE = "Enter the full address, starting https://"


@dataclass(frozen=True)
class Target:
    """A URL taken apart, with the address it was checked at."""

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
            f"({unsafe[0] if unsafe else 'none'}); only public addresses will do.",
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
            "Leave the user name and password out of the address.",
            field="url",
        )
    return parts


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(text.split("%")[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


def _is_safe(ip, allow_loopback: bool) -> bool:
    return ip.is_global or (allow_loopback and ip.is_loopback)


class PinnedConnection(http.client.HTTPConnection):
    """A connection to the address checked, not to whatever the name leads to
    by the time it connects; TLS still checks the certificate for the name."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target
        self.default_port = 443 if target.scheme == "https" else 80

    def connect(self) -> None:
        sock = socket.create_connection(
            (self.target.address, self.target.port), self.timeout
        )
        if self.target.scheme == "https":
            context = ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=self.target.host)
        self.sock = sock
