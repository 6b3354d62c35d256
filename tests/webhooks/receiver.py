"""A real receiver on loopback that checks every message's signature with the
Standard Webhooks library, as a receiver must."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.loopback import serving


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """What a receiver sees: every POST, the events it took (by `webhook-id`,
    each once however often it came) and any whose signature failed."""

    url: str = ""
    secret: str = ""
    # The status codes of the next answers, in order; 200 once they run out.
    answers: list[int] = field(default_factory=list)
    # Seconds to wait before answering, as a receiver that hangs does.
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    events: dict[str, dict] = field(default_factory=dict)
    forged: list[Received] = field(default_factory=list)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        time.sleep(self.delay)
        status = self.answers.pop(0) if self.answers else 200
        received = Received(headers, body, status)
        self.requests.append(received)
        try:
            event = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            self.forged.append(received)
            return 400
        if 200 <= status < 300:
            # A repeat of a message already taken is dropped, as the spec asks.
            self.events.setdefault(headers["webhook-id"], event)
        return status

    def taken(self, event_type: str) -> list[dict]:
        return [e for e in self.events.values() if e["type"] == event_type]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = receiver.answer(headers, body)
            self.send_response(status)
            if status in (301, 302, 307, 308):
                self.send_header("Location", receiver.url + "elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A receiver listening on a free loopback port until the block ends."""
    found = Receiver()
    with serving(_handler(found)) as base:
        found.url = base + "/hooks/"
        yield found
