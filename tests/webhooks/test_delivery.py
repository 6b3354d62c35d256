"""Delivering to a real receiver: signed, retried with backoff through an
outage and a scheduler's crash without losing or doubling an event, 410 and
repeated failures disabling the endpoint, and secrets rotated."""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from trainers import create_app
from trainers.extensions import db
from trainers.retries import LEASE, claim_due
from trainers.timeutil import utcnow
from trainers.webhooks import events, services
from trainers.webhooks.delivery import deliver_webhooks, send
from trainers.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint


def _record(n: int) -> None:
    for request_id in range(1, n + 1):
        events.record(
            EventType.REQUEST_CREATED,
            {"id": request_id, "request_id": request_id, "group_id": 7, "topic_id": 3},
            utcnow(),
        )
    db.session.commit()


def _deliveries() -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).order_by("id")))


def test_a_message_arrives_signed_with_the_headers_the_spec_names(endpoint, receiver):
    _record(1)
    assert deliver_webhooks(utcnow()) == "delivered 1, retrying 0, failed 0"
    [received] = receiver.requests
    [delivery] = _deliveries()
    assert receiver.forged == []
    assert received.headers["webhook-id"] == delivery.message_id
    assert received.headers["content-type"] == "application/json"
    assert received.headers["webhook-signature"].startswith("v1,")
    assert receiver.taken("request.created")[0]["data"]["request_id"] == 1
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        "delivered",
        1,
        200,
    )


def test_each_event_is_taken_once_across_an_outage_and_a_crashed_scheduler(
    app, endpoint, receiver, clock
):
    _record(3)
    receiver.answers = [500, 500, 500]
    assert deliver_webhooks(utcnow()) == "delivered 0, retrying 3, failed 0"
    assert receiver.events == {}
    # Not due again until the backoff has passed.
    assert deliver_webhooks(utcnow()) == "delivered 0, retrying 0, failed 0"
    clock.advance(timedelta(minutes=1))
    assert deliver_webhooks(utcnow()) == "delivered 3, retrying 0, failed 0"

    # A scheduler sends the fourth and dies before writing down that it did.
    events.record(
        EventType.REQUEST_CANCELLED,
        {"id": 4, "request_id": 4, "group_id": 7, "topic_id": 3},
        utcnow(),
    )
    db.session.commit()
    [claimed] = claim_due(WebhookDelivery, utcnow(), 10)
    assert send(claimed, utcnow()).is_delivered
    db.session.remove()

    # Another scheduler, in a process of its own, takes over after the lease.
    clock.advance(LEASE + timedelta(minutes=1))
    successor = create_app(dict(app.config))
    with successor.app_context():
        assert deliver_webhooks(utcnow()) == "delivered 1, retrying 0, failed 0"
        db.session.remove()
        db.engine.dispose()

    deliveries = _deliveries()
    assert receiver.forged == []
    ids_sent = [r.headers["webhook-id"] for r in receiver.requests]
    assert ids_sent.count(deliveries[-1].message_id) == 2  # the resend after the crash
    assert set(receiver.events) == {d.message_id for d in deliveries}
    ids_of = defaultdict(set)
    for received in receiver.requests:
        ids_of[received.body].add(received.headers["webhook-id"])
    assert all(len(ids) == 1 for ids in ids_of.values()), "one event, two ids"
    assert sorted(e["data"]["id"] for e in receiver.events.values()) == [1, 2, 3, 4]
    assert {d.status for d in deliveries} == {"delivered"}


def test_410_gone_disables_the_endpoint_at_once_and_tells_the_office(
    app, endpoint, receiver, mailbox
):
    _record(2)
    receiver.answers = [410]
    assert deliver_webhooks(utcnow()) == "delivered 0, retrying 0, failed 2"
    assert len(receiver.requests) == 1  # the second is not sent to a gone endpoint
    gone = db.session.get(WebhookEndpoint, endpoint.id)
    assert not gone.is_active
    assert "410 Gone" in gone.disabled_reason
    [told] = mailbox.to(app.config["OFFICE_EMAIL"])
    assert told["Subject"] == f"Webhooks stopped: {receiver.url}"
    _record(1)
    assert len(_deliveries()) == 2, "a disabled endpoint is sent nothing new"


def test_repeated_failures_disable_the_endpoint_once(
    app, endpoint, receiver, mailbox, clock
):
    app.config.update(WEBHOOK_MAX_ATTEMPTS=2, WEBHOOK_FAILURES_TO_DISABLE=2)
    _record(2)
    receiver.answers = [503] * 10
    assert deliver_webhooks(utcnow()) == "delivered 0, retrying 2, failed 0"
    assert db.session.get(WebhookEndpoint, endpoint.id).is_active
    clock.advance(timedelta(minutes=1))
    assert deliver_webhooks(utcnow()) == "delivered 0, retrying 0, failed 2"
    failed = db.session.get(WebhookEndpoint, endpoint.id)
    assert not failed.is_active
    assert failed.disabled_reason == "2 messages in a row could not be delivered."
    assert len(mailbox.to(app.config["OFFICE_EMAIL"])) == 1
    assert [d.last_error for d in _deliveries()] == ["It answered 503."] * 2


def test_a_delivery_resets_the_count_of_failures(app, endpoint, receiver, clock):
    app.config.update(WEBHOOK_MAX_ATTEMPTS=1)
    _record(1)
    receiver.answers = [500]
    deliver_webhooks(utcnow())
    assert db.session.get(WebhookEndpoint, endpoint.id).consecutive_failures == 1
    _record(1)
    deliver_webhooks(utcnow())
    assert db.session.get(WebhookEndpoint, endpoint.id).consecutive_failures == 0


def test_a_redirect_is_not_followed(endpoint, receiver):
    _record(1)
    receiver.answers = [302]
    assert deliver_webhooks(utcnow()) == "delivered 0, retrying 1, failed 0"
    assert len(receiver.requests) == 1
    assert _deliveries()[0].last_error == "It answered 302."


def test_a_receiver_that_hangs_is_given_up_on_after_the_timeout(
    app, endpoint, receiver
):
    app.config["WEBHOOK_TIMEOUT_SECONDS"] = 0.2
    receiver.delay = 1.0
    _record(1)
    assert deliver_webhooks(utcnow()) == "delivered 0, retrying 1, failed 0"
    assert _deliveries()[0].last_error.startswith("TimeoutError")


def test_an_event_goes_with_a_change_rolled_back(endpoint):
    _record(1)
    events.record(EventType.REQUEST_CANCELLED, {"id": 1}, utcnow())
    db.session.rollback()
    assert [d.event_type for d in _deliveries()] == ["request.created"]


def test_an_unreachable_endpoint_is_retried(app, clock):
    made, _ = services.add_endpoint(
        "http://127.0.0.1:9/nobody", [EventType.REQUEST_CREATED], utcnow()
    )
    db.session.commit()
    _record(1)
    assert deliver_webhooks(utcnow()) == "delivered 0, retrying 1, failed 0"
    assert "ConnectionRefusedError" in _deliveries()[0].last_error


def test_after_a_rotation_both_secrets_sign_until_the_old_one_lapses(
    app, endpoint, receiver, clock
):
    old = receiver.secret
    _, new = services.rotate_secret(endpoint.id, utcnow())
    db.session.commit()
    receiver.secret = new
    _record(1)
    deliver_webhooks(utcnow())
    clock.advance(timedelta(hours=app.config["WEBHOOK_PREVIOUS_SECRET_HOURS"]))
    _record(1)
    deliver_webhooks(utcnow())
    during, after = receiver.requests
    assert receiver.forged == []
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    try:
        Webhook(old).verify(after.body, after.headers)
    except WebhookVerificationError:
        pass
    else:
        raise AssertionError("the old secret still signs after it lapsed")


def test_a_forged_signature_is_refused_by_the_receiver(endpoint, receiver):
    _record(1)
    receiver.secret = "whsec_" + "A" * 32
    deliver_webhooks(utcnow())
    assert len(receiver.forged) == 1, "the receiver really checks signatures"
