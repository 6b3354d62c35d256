"""A real calendar server on loopback: each path answers what the test says,
honouring If-None-Match as a calendar host does."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.loopback import serving

ICS = Path(__file__).parent / "ics"


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Sent without Content-Length, in chunks, as a streaming server does.
    is_chunked: bool = False


@dataclass
class FeedServer:
    base: str = ""
    answers: dict[str, Answer] = field(default_factory=dict)
    # (path, If-None-Match) of every request, in order.
    seen: list[tuple[str, str | None]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, ics: bytes, etag: str | None = None) -> str:
        """Serve `ics` at `path` (with an ETag, answering 304 to it); its URL."""
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if etag:
            headers["ETag"] = etag
        self.answers[path] = Answer(200, ics, headers)
        return self.url(path)

    def answer(self, path: str, if_none_match: str | None) -> Answer:
        self.seen.append((path, if_none_match))
        found = self.answers.get(path, Answer(404, b"Not found"))
        if if_none_match and found.headers.get("ETag") == if_none_match:
            return Answer(304, b"", {"ETag": if_none_match})
        return found


def ics(name: str) -> bytes:
    """A calendar file from tests/busy/ics/."""
    return (ICS / name).read_bytes()


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            found = server.answer(self.path, self.headers.get("If-None-Match"))
            self.send_response(found.status)
            for name, value in found.headers.items():
                self.send_header(name, value)
            if found.is_chunked:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for start in range(0, len(found.body), 8192):
                    piece = found.body[start : start + 8192]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
                return
            self.send_header("Content-Length", str(len(found.body)))
            self.end_headers()
            self.wfile.write(found.body)

        def log_message(self, *args) -> None:
            pass

    return Handler


@contextmanager
def running_feed_server() -> Iterator[FeedServer]:
    """A calendar server on a free loopback port until the block ends."""
    found = FeedServer()
    with serving(_handler(found)) as base:
        found.base = base
        yield found
