"""A small network for attendance tests: a group and another group, their
organisers, the session's trainer, another trainer, a shadowing trainer and the
office; and sessions built as rows, at any time, in any state."""

import itertools
import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from trainers.extensions import db
from trainers.requests.models import RequestSlot, RequestStatus, TrainingRequest
from trainers.sessions.models import SessionPlace, SessionStatus, TrainingSession
from trainers.timeutil import utcnow


@pytest.fixture
def net(make_group, make_topic, make_user, make_trainer):
    group = make_group("Hastings Action", "TN34")
    other_group = make_group("Stockport Stands Up", "SK1")
    topic = make_topic("Door-knocking and canvassing")
    return SimpleNamespace(
        group=group,
        other_group=other_group,
        topic=topic,
        other_topic=make_topic("Phone banking", online=True),
        trainer=make_trainer("trainer@example.org", topics=[topic]),
        other_trainer=make_trainer("other-trainer@example.org", topics=[topic]),
        shadow=make_trainer("shadow@example.org"),
        organiser=make_user("organiser@example.org", "Olive Organiser", groups=[group]),
        other_organiser=make_user("other-organiser@example.org", groups=[other_group]),
        office=make_user("office@example.org", "Otto Office", office=True),
    )


@pytest.fixture
def make_session(net):
    """A committed session (and its request) starting at `starts_at`, by default
    three hours ago (each further one two hours before the last, as one
    trainer's sessions may not overlap), with the shadowing trainer on it."""
    earlier = itertools.count()
    three_hours_ago = utcnow() - timedelta(hours=3)

    def make(
        starts_at: datetime | None = None,
        *,
        status: str = SessionStatus.BOOKED,
        group=None,
        topic=None,
        trainer=None,
    ) -> TrainingSession:
        starts_at = starts_at or three_hours_ago - timedelta(hours=2 * next(earlier))
        ends_at = starts_at + timedelta(hours=2)
        group, topic = group or net.group, topic or net.topic
        training_request = TrainingRequest(
            group=group,
            topic=topic,
            status={
                SessionStatus.BOOKED: RequestStatus.BOOKED,
                SessionStatus.DELIVERED: RequestStatus.DELIVERED,
                SessionStatus.CANCELLED: RequestStatus.CANCELLED,
            }[status],
            expected_attendance=12,
            venue_postcode="TN34 1AA",
            venue_latitude=group.latitude,
            venue_longitude=group.longitude,
            slots=[RequestSlot(starts_at=starts_at, ends_at=ends_at)],
        )
        training_session = TrainingSession(
            training_request=training_request,
            trainer=trainer or net.trainer,
            group=group,
            topic=topic,
            status=status,
            starts_at=starts_at,
            ends_at=ends_at,
            venue_postcode="TN34 1AA",
            venue_address="Hastings Library",
            ical_uid=f"{uuid.uuid4()}@trainers.test",
            places=[
                SessionPlace(
                    place=2,
                    trainer=net.shadow,
                    is_shadowing=True,
                    is_needed=False,
                    filled_at=net.shadow.created_at,
                )
            ],
        )
        db.session.add(training_session)
        db.session.commit()
        return training_session

    return make
