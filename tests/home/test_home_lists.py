"""What the home page lists for a person who organises groups or trains: read
as rows joined to the person's groups, each shown once."""

import re
from datetime import timedelta

import pytest

from trainers.extensions import db
from trainers.requests.models import RequestSlot, TrainingRequest
from trainers.sessions.services import book_session
from trainers.timeutil import format_datetime, utcnow


def _request(group, topic, *starts, status="submitted"):
    training_request = TrainingRequest(
        group=group,
        topic=topic,
        status=status,
        expected_attendance=10,
        venue_postcode="TN34 1AA",
        venue_address="The Library",
        slots=[
            RequestSlot(starts_at=moment, ends_at=moment + timedelta(hours=2))
            for moment in starts
        ],
    )
    db.session.add(training_request)
    db.session.flush()
    return training_request


def _book(group, topic, trainer, starts_at, now):
    training_request = _request(group, topic, starts_at, status="booked")
    return book_session(
        training_request, trainer.id, starts_at, starts_at + timedelta(hours=2), now
    )


@pytest.fixture
def world(make_group, make_topic, make_user, make_trainer):
    """Two groups, each with a booked session next week and a submitted request;
    an organiser of the first, and a trainer who trains its session and also
    organises it."""
    ours, theirs = make_group("Hastings Action"), make_group("Stockport Action")
    topic = make_topic("Phone banking")
    trainer = make_trainer("trainer@example.org", topics=[topic])
    trainer.groups.append(ours)
    organiser = make_user("org@example.org", "Ann Organiser", groups=[ours])
    now = utcnow()
    week = now + timedelta(days=7)
    sessions = {
        group: _book(group, topic, trainer, week, now) for group in (ours, theirs)
    }
    later, sooner = now + timedelta(days=30), now + timedelta(days=20)
    submitted = {group: _request(group, topic, later, sooner) for group in (ours,)}
    _request(theirs, topic, later)
    db.session.commit()
    return {
        "ours": ours,
        "organiser": organiser,
        "trainer": trainer,
        "sessions": sessions,
        "submitted": submitted,
        "sooner": sooner,
    }


def test_an_organiser_sees_their_groups_sessions_and_requests_only(world, client_for):
    home = client_for(world["organiser"]).get("/").get_data(as_text=True)
    ours = world["ours"]
    session = world["sessions"][ours]
    assert _linked("sessions", home) == [session.id]
    # The booked request of our group is in progress too, newest first.
    assert _linked("requests", home) == [
        world["submitted"][ours].id,
        session.request_id,
    ]
    assert format_datetime(world["sooner"]) in home
    assert '<span class="badge badge-submitted">submitted</span>' in home


def test_a_trainer_who_organises_the_group_sees_the_session_once(world, client_for):
    home = client_for(world["trainer"]).get("/").get_data(as_text=True)
    # Their own session in each group: one as its trainer and organiser, one
    # as its trainer alone.
    assert sorted(_linked("sessions", home)) == sorted(
        session.id for session in world["sessions"].values()
    )
    assert home.count("(you)") == 2


def _linked(prefix: str, home: str) -> list[int]:
    return [int(found) for found in re.findall(rf'href="/{prefix}/(\d+)"', home)]
