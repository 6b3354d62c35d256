"""What an email said goes OUTBOX_BODY_RETENTION_DAYS after it was queued, once
it is sent or failed; who it went to, when and its subject stay."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.outbox.conftest import queue_email
from trainers import scheduler
from trainers.extensions import db
from trainers.outbox.jobs import clear_old_emails
from trainers.outbox.models import OutboxMessage, OutboxStatus
from trainers.outbox.services import deliver_outbox

T0 = datetime(2027, 3, 1, 9, tzinfo=UTC)
DAY = timedelta(days=1)
INVITE = (b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n", "REQUEST")


def bodies() -> dict[str, tuple[str, bool, bool]]:
    db.session.expire_all()
    return {
        m.to_address: (m.status, bool(m.body), m.calendar is not None)
        for m in db.session.scalars(select(OutboxMessage))
    }


def test_old_sent_and_failed_emails_lose_their_text_once(
    app, clock, client_for, make_user
):
    clock.set(T0)
    queue_email("sent@example.org", calendar=INVITE)
    failed = queue_email("failed@example.org")
    deliver_outbox(T0)
    failed.status = OutboxStatus.FAILED  # as if the server had refused it
    waiting = queue_email("waiting@example.org")
    waiting.next_attempt_at = T0 + 100 * DAY  # a long outage's retry
    db.session.commit()
    clock.set(T0 + 10 * DAY)
    queue_email("later@example.org")
    deliver_outbox(T0 + 10 * DAY)

    assert clear_old_emails(T0 + 30 * DAY - timedelta(seconds=1)) == (
        "0 emails' text cleared"
    )
    assert clear_old_emails(T0 + 30 * DAY, batch_size=1) == "2 emails' text cleared"
    assert bodies() == {
        "sent@example.org": ("sent", False, False),
        "failed@example.org": ("failed", False, False),
        "waiting@example.org": ("pending", True, False),
        "later@example.org": ("sent", True, False),
    }
    assert clear_old_emails(T0 + 30 * DAY) == "0 emails' text cleared"
    assert clear_old_emails(T0 + 40 * DAY) == "1 emails' text cleared"

    office = client_for(make_user("office@example.org", office=True))
    page = office.get("/office/mail/").get_data(as_text=True)
    assert "sent@example.org" in page and "You are now trainer" in page
    assert "Its text has been cleared" in page
    refused = office.post(f"/office/mail/{failed.id}/retry", follow_redirects=True)
    assert "cannot be sent again" in refused.get_data(as_text=True)
    db.session.refresh(failed)
    assert failed.status == "failed"


def test_the_retention_period_is_a_setting(app, clock):
    app.config["OUTBOX_BODY_RETENTION_DAYS"] = 7
    clock.set(T0)
    queue_email("sam@example.org")
    deliver_outbox(T0)
    assert clear_old_emails(T0 + 7 * DAY) == "1 emails' text cleared"


def test_the_scheduler_clears_old_emails_daily(app):
    job = scheduler.job_by_id("clear-old-emails")
    assert job.run is clear_old_emails
    assert app.config[job.every] == 86400
