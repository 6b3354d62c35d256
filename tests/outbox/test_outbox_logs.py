"""Logs name emails by id, never by address, and never hold a one-time link:
logs are shipped and kept where an erasure cannot reach."""

import logging
import re
from datetime import timedelta

import pytest

from trainers.outbox.services import deliver_outbox
from trainers.timeutil import utcnow

NEW = "a brand new password"
ADDRESSES = ("ann@example.org", "sam@example.org", "office@example.org")


class AppLogs:
    """What the app logged (not the test's SMTP server), every level."""

    def __init__(self, caplog):
        self.caplog = caplog

    @property
    def text(self) -> str:
        return "\n".join(
            record.getMessage()
            for record in self.caplog.records
            if record.name.split(".")[0] == "trainers"
        )


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return AppLogs(caplog)


def test_inviting_resetting_and_sending_log_no_address_or_link(
    logs, make_user, client, client_for, mailbox
):
    make_user("ann@example.org")
    office = client_for(make_user("office@example.org", office=True))
    client.post("/password/forgot", data={"email": "ann@example.org"})
    office.post(
        "/office/people/invite",
        data={"name": "Sam", "email": "sam@example.org", "role": "trainer"},
    )
    reset = mailbox.last_link("ann@example.org")
    invitation = mailbox.last_link("sam@example.org")
    client.post(reset, data={"password": NEW, "confirm": NEW})
    client.post(invitation, data={"name": "Sam", "password": NEW, "confirm": NEW})

    for secret in (*ADDRESSES, reset.rsplit("/", 1)[1], invitation.rsplit("/", 1)[1]):
        assert secret not in logs.text
    assert re.search(r"Invitation \d+ accepted", logs.text)  # the flow did log


def test_failed_deliveries_log_no_address(logs, smtp_server, make_user, client):
    make_user("ann@example.org")
    make_user("sam@example.org")
    smtp_server.recorder.refuse.add("ann@example.org")
    smtp_server.stop()
    client.post("/password/forgot", data={"email": "ann@example.org"})
    client.post("/password/forgot", data={"email": "sam@example.org"})
    now = utcnow()
    assert deliver_outbox(now).retrying == 2
    smtp_server.start()
    report = deliver_outbox(now + timedelta(hours=1))
    assert (report.sent, report.failed) == (1, 1)

    assert not any(address in logs.text for address in ADDRESSES)
    assert "failed for good: recipient refused: {'<recipient>': (550" in logs.text
    assert "Connection refused" in logs.text


@pytest.mark.parametrize(
    ("env", "shown"), [("development", True), ("production", False)]
)
def test_development_shows_the_link_on_the_terminal_not_in_the_log(
    app, logs, capsys, make_user, client, mailbox, env, shown
):
    app.config["APP_ENV"] = env
    make_user("ann@example.org")
    client.post("/password/forgot", data={"email": "ann@example.org"})
    link = mailbox.last_link("ann@example.org")
    assert (link in capsys.readouterr().err) is shown
    assert link not in logs.text
