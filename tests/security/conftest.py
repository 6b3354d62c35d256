"""A realistic world for the security tests: built through the real services, so
every page a visitor can reach has something on it, and every form shows."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from flask import Flask

from tests.security.crawl import FOUND, UNREACHED, built_once
from trainers.attendance.services import add_attendee, record_attendance
from trainers.auth.models import Invitation, PasswordReset, User
from trainers.auth.tokens import hash_token
from trainers.busy.services import set_feed
from trainers.calendar.feed_links import start_feed
from trainers.extensions import db
from trainers.matching.answers import accept_offer
from trainers.matching.models import OfferStatus
from trainers.matching.offers import offer_request
from trainers.matching.services import offer_to_trainer
from trainers.outbox.models import OutboxMessage
from trainers.profiles.models import DayOff
from trainers.profiles.services import add_availability
from trainers.requests.details import Particulars
from trainers.requests.models import RequestSlot, RequestStatus, TrainingRequest
from trainers.requests.services import create_request
from trainers.requests.slots import parse_slots
from trainers.sessions.models import TrainingSession
from trainers.timeutil import local_to_utc, to_local, utcnow
from trainers.webhooks.models import EventType
from trainers.webhooks.services import add_endpoint, send_test


def pytest_terminal_summary(terminalreporter) -> None:
    """List the forms the fuzzer covered, so a shrinking crawl is seen."""
    if not FOUND:
        return
    total = sum(len(labels) for labels in FOUND.values())
    terminalreporter.section(f"forms fuzzed: {total}")
    for visitor, labels in FOUND.items():
        terminalreporter.write_line(f"{visitor} ({len(labels)}):")
        for label in labels:
            terminalreporter.write_line(f"  {label}")
    if UNREACHED:
        terminalreporter.write_line(
            "POST routes no form in the test world reaches: " + ", ".join(UNREACHED)
        )


INVITATION_TOKEN = "security-invitation-token"
RESET_TOKEN = "security-reset-token"
TUESDAY = 1


@pytest.fixture
def fuzz_app(app: Flask) -> Flask:
    """Forms are sent as a browser sends them: with the token the page gave."""
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["PASSWORD_RESET_ANSWER_SECONDS"] = 0  # timed in its own test
    # Every submission meets the same database, put back after any change: a
    # sign-in's "last seen", due once a minute of a long run, would be put back
    # and written again by every submission after it.
    app.config["SIGN_IN_SEEN_EVERY_SECONDS"] = 24 * 60 * 60
    return app


@dataclass
class World:
    """The people of the world by visitor name, and the ids its routes need."""

    people: dict[str, User | None]
    ids: dict[str, int | str]


def _tuesday_after(now: datetime, days: int) -> date:
    after = now.date() + timedelta(days=days)
    return after + timedelta(days=(TUESDAY - after.weekday()) % 7)


def _request(group, topic, organiser, day: date, now) -> TrainingRequest:
    slots = parse_slots([(day, time(18, 30), time(20, 30))], now)
    return create_request(
        group,
        topic,
        slots,
        Particulars(
            is_online=False,
            venue_postcode=group.postcode_district,
            venue_address="Friends Meeting House",
            expected_attendance=12,
            accessibility_needs="Step-free entrance",
            notes="We are campaigning on the hospital.",
        ),
        by=organiser,
        now=now,
    )


@pytest.fixture
def world(app: Flask, make_group, make_topic, make_user, make_trainer) -> World:
    """Two groups; a booked session, an offered request with a pending offer, an
    unfilled request, a past session waiting for attendance; a pending invitation
    and a password reset with known tokens; a calendar feed; a failed email; a
    webhook endpoint with a message sent."""
    return World(*built_once(_world, make_group, make_topic, make_user, make_trainer))


def _world(make_group, make_topic, make_user, make_trainer) -> tuple[dict, dict]:
    now = utcnow()
    group = make_group("Hastings Action", "TN34")
    other_group = make_group("Stockport Together", "SK1")
    topic = make_topic("Door-knocking and canvassing")
    online_topic = make_topic("Phone banking", online=True)
    rare_topic = make_topic("Running a public meeting")
    trainers = [
        make_trainer(email, topics=[topic, online_topic])
        for email in (
            "trainer@example.org",
            "other-trainer@example.org",
            "third-trainer@example.org",
        )
    ]
    trainer, other_trainer, shadow = trainers
    # A shadowing trainer, so the office can add a shadow to the booked session.
    for row in shadow.trainer_profile.topics:
        row.level = "shadowing" if row.topic_id == topic.id else row.level
    organiser = make_user("organiser@example.org", groups=[group], name="Olive Org")
    people = {
        "anonymous": None,
        "organiser": organiser,
        "other_organiser": make_user(
            "other-organiser@example.org", groups=[other_group]
        ),
        "trainer": trainer,
        "other_trainer": other_trainer,
        "office": make_user("office@example.org", office=True, name="Olu Office"),
    }
    make_user("gone@example.org", active=False)  # for the office's reactivate form
    # The address forms are filled in with, so signing in with it works.
    make_user("fuzz@example.org")
    for each in trainers:
        add_availability(each.trainer_profile, TUESDAY, time(18), time(21))
    trainer.trainer_profile.days_off.append(
        DayOff(
            first_on=now.date() + timedelta(days=200),
            last_on=now.date() + timedelta(days=201),
        )
    )

    # A calendar linked, so its page offers to change and to remove it.
    set_feed(trainer.id, "http://127.0.0.1:9/calendar.ics", now)

    office = people["office"]
    booked = _request(group, topic, organiser, _tuesday_after(now, 30), now)
    first_offer = offer_to_trainer(booked, trainer.id, booked.slots[0].id, office, now)
    training_session = accept_offer(first_offer.id, trainer, now)
    # Offered to the trainer alone, so the office still sees candidates for it.
    offered = _request(group, topic, organiser, _tuesday_after(now, 40), now)
    pending = offer_to_trainer(offered, trainer.id, offered.slots[0].id, office, now)
    unfilled = _request(group, rare_topic, organiser, _tuesday_after(now, 50), now)
    offer_request(unfilled, now)

    past = _past_session(group, topic, trainer, organiser, now, days_ago=7)
    # One delivered, with a named attendee, so rating, report and roster forms show.
    delivered = _past_session(group, topic, trainer, organiser, now, days_ago=14)
    record_attendance(delivered, 14, trainer, now)
    add_attendee(
        delivered,
        "Rosa Roster",
        "rosa@example.org",
        consent=True,
        is_walk_in=False,
        by=trainer,
        now=now,
    )
    db.session.add(
        Invitation(
            email="new-trainer@example.org",
            name="New Trainer",
            role="trainer",
            token_hash=hash_token(INVITATION_TOKEN),
            invited_by=office,
            created_at=now,
            expires_at=now + timedelta(days=7),
        )
    )
    db.session.add(
        PasswordReset(
            user=other_trainer,
            token_hash=hash_token(RESET_TOKEN),
            created_at=now,
            expires_at=now + timedelta(hours=2),
        )
    )
    failed_mail = OutboxMessage(
        to_address="x@example.org",
        subject="x",
        kind="x",
        body="x",
        message_id="<x@example.org>",
        status="failed",
    )
    db.session.add(failed_mail)
    # Nothing listens there: a message the fuzzer queues is never delivered.
    endpoint, _ = add_endpoint("http://127.0.0.1:9/hooks", list(EventType), now)
    sent = send_test(endpoint.id, now)
    sent.status = "delivered"
    feed_token = start_feed(trainer, now)
    db.session.commit()
    assert pending.status == OfferStatus.PENDING
    assert unfilled.status == RequestStatus.UNFILLED
    invitation = db.session.query(Invitation).one()
    return (
        people,
        {
            "group_id": group.id,
            "topic_id": topic.id,
            "request_id": offered.id,
            "offer_id": pending.id,
            "slot_id": pending.slot_id,
            "other_trainer_id": other_trainer.id,
            "session_id": training_session.id,
            "booked_request_id": booked.id,
            "past_session_id": past.id,
            "delivered_session_id": delivered.id,
            "user_id": trainer.id,
            "trainer_id": trainer.id,
            "organiser_id": organiser.id,
            "window_id": trainer.trainer_profile.availability[0].id,
            "day_off_id": trainer.trainer_profile.days_off[0].id,
            "invitation_id": invitation.id,
            "message_id": failed_mail.id,
            "invitation_token": INVITATION_TOKEN,
            "reset_token": RESET_TOKEN,
            "feed_token": feed_token,
            "endpoint_id": endpoint.id,
            "delivery_id": sent.id,
        },
    )


def _past_session(
    group, topic, trainer, organiser, now, days_ago: int
) -> TrainingSession:
    """A session that took place, its attendance not yet recorded."""
    day = to_local(now - timedelta(days=days_ago)).date()
    starts_at = local_to_utc(day, time(18, 30))
    ends_at = local_to_utc(day, time(20, 30))
    past = TrainingRequest(
        group=group,
        topic=topic,
        created_by=organiser,
        status=RequestStatus.BOOKED,
        expected_attendance=15,
        venue_postcode=group.postcode_district,
        venue_latitude=group.latitude,
        venue_longitude=group.longitude,
        created_at=now - timedelta(days=40),
        status_changed_at=now - timedelta(days=30),
        slots=[RequestSlot(starts_at=starts_at, ends_at=ends_at)],
    )
    training_session = TrainingSession(
        training_request=past,
        trainer=trainer,
        group=group,
        topic=topic,
        starts_at=starts_at,
        ends_at=ends_at,
        venue_postcode=group.postcode_district,
        venue_latitude=group.latitude,
        venue_longitude=group.longitude,
        ical_uid=f"past-{days_ago}@security.test",
    )
    db.session.add(training_session)
    db.session.flush()
    return training_session
