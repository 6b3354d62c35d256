"""A person with one of everything the network can hold about someone, and the
people around them; sessions built as rows at any time, in any state."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from trainers import audit, mail
from trainers.attendance.models import Attendance, Attendee
from trainers.auth.models import Invitation, LoginThrottle, PasswordReset
from trainers.busy.models import BusyFeed, BusyInterval
from trainers.calendar import services as calendar
from trainers.calendar.models import CalendarFeed
from trainers.extensions import db
from trainers.matching.models import Offer, OfferStatus
from trainers.outbox.models import OutboxMessage, OutboxStatus
from trainers.outbox.services import deliver_outbox
from trainers.profiles.models import AvailabilityWindow, DayOff, TrainerTopic
from trainers.requests.models import (
    RequestEvent,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
)
from trainers.sessions.models import SessionPlace, SessionStatus, TrainingSession
from trainers.timeutil import utcnow

NAME = "Alice Example"
EMAIL = "alice.example@example.org"
PAST = datetime(2025, 5, 14, 17, 30, tzinfo=UTC)
FUTURE = datetime(2030, 5, 14, 17, 30, tzinfo=UTC)

REQUEST_STATUS = {
    SessionStatus.BOOKED: RequestStatus.BOOKED,
    SessionStatus.DELIVERED: RequestStatus.DELIVERED,
    SessionStatus.CANCELLED: RequestStatus.CANCELLED,
}


def training_request(group, topic, starts_at, status, **fields) -> TrainingRequest:
    return TrainingRequest(
        group=group,
        topic=topic,
        status=status,
        expected_attendance=12,
        venue_postcode="TN34 1AA",
        venue_latitude=group.latitude,
        venue_longitude=group.longitude,
        slots=[
            RequestSlot(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2))
        ],
        **fields,
    )


@pytest.fixture
def make_session():
    """A committed session (with its request) for a trainer, group and topic."""

    def make(
        trainer,
        group,
        topic,
        starts_at: datetime = PAST,
        status: str = SessionStatus.DELIVERED,
        **fields,
    ) -> TrainingSession:
        training_session = TrainingSession(
            training_request=training_request(
                group, topic, starts_at, REQUEST_STATUS[status]
            ),
            trainer=trainer,
            group=group,
            topic=topic,
            status=status,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            venue_postcode="TN34 1AA",
            venue_address="Hastings Library",
            ical_uid=f"{uuid.uuid4()}@trainers.test",
            **fields,
        )
        db.session.add(training_session)
        db.session.commit()
        return training_session

    return make


@pytest.fixture
def people(make_user, make_group, make_topic, make_trainer):
    """Alice (office, organiser and trainer) and those around her."""
    group = make_group("Hastings Action", "TN34")
    other_group = make_group("Stockport Stands Up", "SK1")
    topic = make_topic("Door-knocking and canvassing")
    other_topic = make_topic("Phone banking", online=True)
    alice = make_user(EMAIL, NAME, office=True, groups=[group], trainer=True)
    return SimpleNamespace(
        alice=alice,
        group=group,
        other_group=other_group,
        topic=topic,
        other_topic=other_topic,
        office=make_user("office@example.org", "Otto Office", office=True),
        organiser=make_user(
            "organiser@example.org", "Olive Organiser", groups=[other_group]
        ),
        trainer=make_trainer("trainer@example.org", topics=[topic, other_topic]),
    )


@pytest.fixture
def everything(people, make_session):
    """One of every kind of data about Alice, most of it naming her."""
    p = people
    alice, now = p.alice, utcnow()
    alice.last_login_at = now - timedelta(days=1)
    profile = alice.trainer_profile
    profile.home_district, profile.region = "TN34", "South East"
    profile.latitude, profile.longitude = 50.86, 0.58
    profile.topics.append(TrainerTopic(topic=p.topic, level="qualified"))
    profile.topics.append(TrainerTopic(topic=p.other_topic, level="shadowing"))
    profile.availability.append(
        AvailabilityWindow(weekday=2, start_time=time(18), end_time=time(21))
    )
    profile.days_off.append(
        DayOff(first_on=date(2030, 8, 1), last_on=date(2030, 8, 9), note=f"{NAME} away")
    )
    db.session.add_all(
        [
            Invitation(
                email=EMAIL,
                name=NAME,
                role="trainer",
                token_hash=uuid.uuid4().hex * 2,
                created_at=now - timedelta(days=400),
                expires_at=now - timedelta(days=393),
                accepted_at=now - timedelta(days=399),
            ),
            PasswordReset(
                user=alice,
                token_hash=uuid.uuid4().hex * 2,
                created_at=now - timedelta(days=3),
                expires_at=now - timedelta(days=3) + timedelta(hours=2),
                used_at=now - timedelta(days=3),
            ),
            LoginThrottle(
                email=EMAIL, client="192.0.2.1", failures=2, first_failed_at=now
            ),
            CalendarFeed(user=alice, token_hash=uuid.uuid4().hex * 2),
            BusyFeed(
                trainer_id=alice.id,
                url="https://calendar.example.org/ical/alice-secret-7f3e/basic.ics",
                next_fetch_at=now,
                last_success_at=now,
            ),
            BusyInterval(
                trainer_id=alice.id,
                starts_at=FUTURE,
                ends_at=FUTURE + timedelta(hours=1),
            ),
            BusyInterval(
                trainer_id=alice.id,
                starts_at=FUTURE + timedelta(days=1),
                ends_at=FUTURE + timedelta(days=1, hours=2),
            ),
        ]
    )
    asked = training_request(
        p.group,
        p.topic,
        PAST,
        RequestStatus.CANCELLED,
        created_by=alice,
        notes=f"Ring {NAME} or write to {EMAIL} before the day.",
        accessibility_needs="Step-free access",
        cancel_reason=f"{NAME} found another date",
        events=[
            RequestEvent(actor=alice, action="submitted", detail=f"By {NAME}"),
        ],
    )
    declined = training_request(p.other_group, p.topic, PAST, RequestStatus.UNFILLED)
    db.session.add_all([asked, declined])
    db.session.flush()
    db.session.add(
        Offer(
            training_request=declined,
            slot=declined.slots[0],
            trainer=alice,
            status=OfferStatus.DECLINED,
            reasons=["12 km away"],
            responded_at=now,
            response_note="My mother is in hospital that week",
        )
    )
    declined.events.append(
        RequestEvent(actor=alice, action="declined", detail=f"{NAME}: hospital visit")
    )
    db.session.commit()

    trained = make_session(alice, p.other_group, p.topic)
    db.session.add(
        Attendance(
            session_id=trained.id,
            headcount=10,
            people_count=12,
            recorded_by_id=alice.id,
            rating=5,
            rating_comment=f"{NAME} was brilliant",
            rated_by_id=p.organiser.id,
            rated_at=now,
            went_well="Everyone knocked on doors",
            follow_up_requested=f"Ask {EMAIL} about a second session",
            reported_by_id=alice.id,
            reported_at=now,
        )
    )
    dropped = make_session(
        alice,
        p.other_group,
        p.other_topic,
        PAST + timedelta(days=7),
        SessionStatus.CANCELLED,
        cancel_reason=f"{NAME} dropped out: ill",
    )
    shadowed = make_session(p.trainer, p.group, p.topic, PAST + timedelta(days=14))
    shadowed.places.append(
        SessionPlace(
            place=2,
            trainer=alice,
            is_shadowing=True,
            is_needed=False,
            filled_at=alice.created_at,
        )
    )
    db.session.add(
        Attendance(
            session_id=shadowed.id,
            headcount=7,
            people_count=8,
            recorded_by_id=p.trainer.id,
            rating=4,
            rating_comment="Good",
            rated_by_id=alice.id,
            rated_at=now,
        )
    )
    db.session.flush()
    # She came to another session as an attendee, typed with capitals.
    db.session.add_all(
        [
            Attendee(
                session_id=shadowed.id,
                name=NAME,
                email="Alice.Example@Example.org",
                consent_given_at=now,
                added_by_id=p.trainer.id,
            ),
            Attendee(
                session_id=shadowed.id,
                name="Bob Bystander",
                email="bob@example.org",
                consent_given_at=now,
                added_by_id=p.trainer.id,
            ),
        ]
    )
    audit.record(p.office.id, "viewed personal data", subject_user_id=alice.id)
    audit.record(alice.id, "roster viewed", session_id=shadowed.id, detail="2 named")
    db.session.commit()

    # Mail: the booking of her session, sent to her and to the group's organiser
    # (whose copy names her), then an unsent and a failed one to her.
    calendar.send_invites(trained, "session_booked")
    db.session.commit()
    deliver_outbox(utcnow())
    mail.send_email(
        EMAIL, "password_reset", user=alice, link="http://localhost/reset/x", hours=2
    )
    failed = mail.send_email(
        EMAIL, "password_reset", user=alice, link="http://localhost/reset/y", hours=2
    )
    failed.status, failed.last_error = OutboxStatus.FAILED, f"550 no such user {EMAIL}"
    db.session.commit()
    return SimpleNamespace(
        **vars(people),
        asked=asked,
        declined=declined,
        trained=trained,
        dropped=dropped,
        shadowed=shadowed,
    )


def outbox_to(address: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            db.select(OutboxMessage)
            .where(OutboxMessage.to_address == address)
            .order_by(OutboxMessage.id)
        )
    )
