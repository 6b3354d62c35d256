"""A password reset or invitation link is usable only by whoever holds the email:
before delivery it waits in the outbox's own column, after delivery no column of
any table holds it, and a failed one cannot be retried into a dead link."""

import re
from datetime import timedelta

from sqlalchemy import select

from tests.stored import stored_text
from trainers.extensions import db
from trainers.outbox.models import OutboxMessage
from trainers.outbox.services import deliver_outbox
from trainers.timeutil import utcnow

NEW = "a brand new password"
# A one-time link's token, wherever it is written.
LINK = re.compile(r"/(?:password/reset|invitations)/([A-Za-z0-9_-]{20,})")


def columns_holding(needle: str) -> list[str]:
    """Every table.column whose value anywhere contains `needle`."""
    return sorted({place for place, value in stored_text() if needle in _text(value)})


def tokens_in_database() -> set[str]:
    """Every reset or invitation token written in any text column."""
    return {token for _, value in stored_text() for token in LINK.findall(_text(value))}


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def ask_for_both(make_user, client, client_for) -> None:
    """A reset for Ann and an invitation for Sam, asked for on the pages."""
    make_user("ann@example.org")
    office = client_for(make_user("office@example.org", office=True))
    client.post("/password/forgot", data={"email": "ann@example.org"})
    office.post(
        "/office/people/invite",
        data={
            "name": "Sam",
            "email": "sam@example.org",
            "role": "trainer",
            "group_id": "0",
        },
    )


def test_delivered_reset_and_invitation_links_are_nowhere_in_the_database(
    make_user, client, client_for, mailbox
):
    ask_for_both(make_user, client, client_for)
    waiting = tokens_in_database()
    assert len(waiting) == 2
    for token in waiting:  # before delivery: only in the column kept for it
        assert columns_holding(token) == ["outbox_messages.secret_link"]

    reset = mailbox.last_link("ann@example.org")
    invitation = mailbox.last_link("sam@example.org")
    delivered = {link.rsplit("/", 1)[1] for link in (reset, invitation)}
    assert delivered == waiting
    for token in delivered:
        assert columns_holding(token) == []
    assert all(m.secret_link is None for m in db.session.scalars(select(OutboxMessage)))

    # The emails still work, once.
    assert client.post(reset, data={"password": NEW, "confirm": NEW}).status_code == 302
    joined = client.post(
        invitation, data={"name": "Sam", "password": NEW, "confirm": NEW}
    )
    assert joined.status_code == 302
    assert client.get(reset).status_code == 404


def test_the_html_part_carries_the_link_and_the_stored_body_a_stand_in(
    make_user, client, client_for, mailbox
):
    ask_for_both(make_user, client, client_for)
    stored = db.session.scalars(select(OutboxMessage.body)).all()
    assert all("[one-time link]" in body for body in stored)
    (sent,) = mailbox.to("ann@example.org")
    link = mailbox.last_link("ann@example.org")
    assert link in sent.get_body(("html",)).get_content()
    assert "[one-time link]" not in sent.get_body(("plain",)).get_content()


def test_a_reset_kept_waiting_by_the_server_keeps_its_link_until_sent(
    smtp_server, make_user, client
):
    make_user("ann@example.org")
    smtp_server.stop()
    client.post("/password/forgot", data={"email": "ann@example.org"})
    now = utcnow()
    assert deliver_outbox(now).retrying == 1
    (token,) = tokens_in_database()
    assert columns_holding(token) == ["outbox_messages.secret_link"]
    smtp_server.start()
    assert deliver_outbox(now + timedelta(hours=1)).sent == 1
    ((_, raw),) = smtp_server.recorder.received
    assert token.encode() in raw
    assert columns_holding(token) == []


def test_a_failed_reset_loses_its_link_and_cannot_be_retried(
    smtp_server, make_user, client, client_for
):
    make_user("ann@example.org")
    smtp_server.recorder.refuse.add("ann@example.org")
    client.post("/password/forgot", data={"email": "ann@example.org"})
    (token,) = tokens_in_database()
    assert deliver_outbox(utcnow()).failed == 1
    assert columns_holding(token) == []

    office = client_for(make_user("office@example.org", office=True))
    page = office.get("/office/mail/?status=failed").get_data(as_text=True)
    assert "one-time link was removed" in page and token not in page
    assert "/retry" not in page
    (message,) = db.session.scalars(select(OutboxMessage))
    refused = office.post(f"/office/mail/{message.id}/retry", follow_redirects=True)
    assert "cannot be sent again" in refused.get_data(as_text=True)
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("failed", 1)
    smtp_server.recorder.refuse.clear()
    assert deliver_outbox(utcnow()).sent == 0
