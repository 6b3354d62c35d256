"""Reading a calendar feed over the network, within limits.

Each hop of a redirect is checked as the first address was (public https only,
unless loopback is allowed), and connected to at the very address checked; the
body is read no further than the size limit, and the whole read no longer than
the time limit. Nothing here logs or repeats the address, which is secret.
"""

import http.client
import time
from dataclasses import dataclass
from urllib.parse import urljoin

from trainers.addresses import PinnedConnection, checked_target
from trainers.errors import DomainError

REDIRECTS = (301, 302, 303, 307, 308)
CHUNK_BYTES = 64 * 1024


class FeedError(Exception):
    """Why a feed could not be read, in words for its trainer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    timeout_seconds: float
    max_redirects: int
    allow_loopback: bool


@dataclass(frozen=True)
class Fetched:
    """What a read got: the body (None when unchanged, 304) and the validators
    to send next time."""

    body: bytes | None
    etag: str | None
    last_modified: str | None


def fetch_feed(
    url: str, etag: str | None, last_modified: str | None, limits: Limits
) -> Fetched:
    """GET the feed, conditionally on the validators. Raises FeedError."""
    deadline = time.monotonic() + limits.timeout_seconds
    for _ in range(limits.max_redirects + 1):
        try:
            target = checked_target(url, limits.allow_loopback)
        except DomainError as error:
            raise FeedError(error.message) from None
        connection = PinnedConnection(target, limits.timeout_seconds)
        try:
            connection.request(
                "GET", target.path, headers=_headers(etag, last_modified)
            )
            answer = connection.getresponse()
            if answer.status in REDIRECTS and answer.getheader("Location"):
                url = urljoin(url, answer.getheader("Location"))
                continue
            if answer.status == 304:
                return Fetched(
                    None,
                    answer.getheader("ETag") or etag,
                    answer.getheader("Last-Modified") or last_modified,
                )
            if answer.status != 200:
                raise FeedError(f"The calendar's server answered {answer.status}.")
            body = _body(answer, limits.max_bytes, deadline)
            return Fetched(
                body, answer.getheader("ETag"), answer.getheader("Last-Modified")
            )
        except TimeoutError:
            raise FeedError("The calendar's server took too long to answer.") from None
        except (OSError, http.client.HTTPException) as error:
            raise FeedError(
                f"The calendar's server could not be reached ({type(error).__name__})."
            ) from None
        finally:
            connection.close()
    raise FeedError(f"The address redirected more than {limits.max_redirects} times.")


def _headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {
        "Accept": "text/calendar",
        "Accept-Encoding": "identity",
        "User-Agent": "TrainersNetwork-busy-times/1",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _body(answer: http.client.HTTPResponse, max_bytes: int, deadline: float) -> bytes:
    """The answer's body, refused past `max_bytes` or `deadline`."""
    too_big = FeedError(f"The calendar is larger than {max_bytes // 1024} kB.")
    declared = answer.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    chunks, size = [], 0
    while chunk := answer.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise too_big
        if time.monotonic() > deadline:
            raise TimeoutError
        chunks.append(chunk)
    return b"".join(chunks)
