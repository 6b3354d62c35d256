"""A real SMTP server on loopback that records what it receives, and a way to
queue an email as the app does."""

import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from trainers import mail
from trainers.extensions import db
from trainers.outbox.models import OutboxMessage


def queue_email(to: str, calendar: tuple[bytes, str] | None = None) -> OutboxMessage:
    """A role-granted email to `to` (with an invite, if given), committed."""
    message = mail.send_email(
        to,
        "role_granted",
        calendar=calendar,
        user=type("U", (), {"name": "Sam"})(),
        role="trainer",
        group=None,
        sign_in_url="http://localhost/login",
    )
    db.session.commit()
    return message


class Recorder:
    """Accepts mail (or refuses chosen recipients for good) and keeps what it got."""

    def __init__(self):
        self.received: list[tuple[list[str], bytes]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


class SmtpServer:
    """Start and stop a loopback SMTP server on a fixed port."""

    def __init__(self):
        self.recorder = Recorder()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            self.recorder, hostname="127.0.0.1", port=self.port
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(app) -> Iterator[SmtpServer]:
    """A running server; the app sends to it over SMTP."""
    server = SmtpServer()
    server.start()
    app.config.update(
        MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port
    )
    try:
        yield server
    finally:
        server.stop()
