import email
import email.policy
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.outbox.conftest import queue_email
from trainers import mail
from trainers.extensions import db
from trainers.outbox.models import OutboxMessage
from trainers.outbox.services import deliver_outbox
from trainers.timeutil import utcnow


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_an_email_is_kept_with_the_change_and_sent_later_exactly_as_built(smtp_server):
    queued = queue_email("sam@example.org")
    assert smtp_server.recorder.received == []  # nothing leaves inside the request
    report = deliver_outbox(utcnow())
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    ((recipients, raw),) = smtp_server.recorder.received
    assert recipients == ["sam@example.org"]
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Message-ID"] == queued.message_id
    assert parsed.get_body(("plain",)).get_content().startswith("Hello Sam")
    assert parsed.get_body(("html",)) is not None
    (stored,) = outbox()
    assert (stored.status, stored.attempts) == ("sent", 1)


def test_a_rolled_back_change_takes_its_email_with_it(smtp_server):
    mail.send_email(
        "sam@example.org",
        "role_granted",
        user=type("U", (), {"name": "Sam"})(),
        role="trainer",
        group=None,
        sign_in_url="x",
    )
    db.session.rollback()
    assert outbox() == []
    assert deliver_outbox(utcnow()).sent == 0


def test_server_down_then_back_every_message_arrives_exactly_once(smtp_server):
    smtp_server.stop()
    for n in range(3):
        queue_email(f"person{n}@example.org")
    now = utcnow()
    report = deliver_outbox(now)
    assert (report.sent, report.retrying) == (0, 3)
    for message in outbox():
        assert (message.status, message.attempts) == ("pending", 1)
        assert "Connection" in message.last_error
        assert message.next_attempt_at == now + timedelta(minutes=1)

    assert deliver_outbox(now + timedelta(seconds=30)).retrying == 0  # not due yet
    smtp_server.start()
    assert deliver_outbox(now + timedelta(minutes=2)).sent == 3
    assert deliver_outbox(now + timedelta(hours=1)).sent == 0
    received = sorted(r[0][0] for r in smtp_server.recorder.received)
    assert received == [f"person{n}@example.org" for n in range(3)]
    assert all(m.status == "sent" and m.last_error is None for m in outbox())


def test_backoff_grows_and_gives_up_after_the_last_attempt(app, smtp_server):
    smtp_server.stop()
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    queue_email("sam@example.org")
    now = utcnow()
    gaps = []
    for _ in range(3):
        deliver_outbox(now)
        (message,) = outbox()
        gaps.append(message.next_attempt_at - now)
        now = message.next_attempt_at
    assert gaps[:2] == [timedelta(minutes=1), timedelta(minutes=2)]
    assert message.status == "failed" and message.attempts == 3


def test_a_refused_recipient_fails_at_once_and_the_office_can_retry(
    smtp_server, make_user, client_for
):
    smtp_server.recorder.refuse.add("gone@example.org")
    queue_email("gone@example.org")
    assert deliver_outbox(utcnow()).failed == 1
    (message,) = outbox()
    assert message.status == "failed" and "550" in message.last_error

    office = client_for(make_user("office@example.org", office=True))
    page = office.get("/office/mail/?status=failed").get_data(as_text=True)
    assert "gone@example.org" in page and "550" in page
    smtp_server.recorder.refuse.clear()
    assert office.post(f"/office/mail/{message.id}/retry").status_code == 302
    assert deliver_outbox(utcnow()).sent == 1
    again = office.post(f"/office/mail/{message.id}/retry", follow_redirects=True)
    assert "only failed ones can be retried" in again.get_data(as_text=True)


def test_a_claim_left_by_a_dead_deliverer_is_taken_again_after_the_lease(smtp_server):
    from trainers.outbox.services import claim

    queue_email("sam@example.org")
    now = utcnow()
    assert len(claim(now, 10)) == 1  # claimed, then the deliverer "dies"
    assert deliver_outbox(now + timedelta(minutes=1)).sent == 0
    assert deliver_outbox(now + timedelta(minutes=6)).sent == 1
    assert len(smtp_server.recorder.received) == 1


def test_two_deliverers_at_once_send_each_message_exactly_once(app, smtp_server):
    for n in range(40):
        mail.send_email(
            f"p{n}@example.org",
            "role_granted",
            user=type("U", (), {"name": "P"})(),
            role="trainer",
            group=None,
            sign_in_url="x",
        )
    db.session.commit()
    barrier = threading.Barrier(2)
    errors = []

    def deliverer():
        with app.app_context():
            try:
                barrier.wait()
                while deliver_outbox(utcnow(), limit=5).sent:
                    pass
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    received = [r[0][0] for r in smtp_server.recorder.received]
    assert sorted(received) == sorted(f"p{n}@example.org" for n in range(40))
    assert all(m.status == "sent" for m in outbox())


@pytest.mark.parametrize("backend", ["file"])
def test_development_writes_eml_files(app, backend, tmp_path, mailbox):
    queue_email("sam@example.org")
    (message,) = mailbox.to("sam@example.org")
    assert message["Subject"].startswith("You are now trainer")
