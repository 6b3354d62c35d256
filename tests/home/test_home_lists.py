"""What the home page lists for a person who organises groups or trains: read
as rows joined to the person's groups, each shown once."""

import re
from datetime import timedelta

import pytest

from trainers.extensions import db
from trainers.home.services import organiser_desk
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
    # A day apart: one trainer's sessions may not overlap.
    sessions = {
        group: _book(group, topic, trainer, week + timedelta(days=n), now)
        for n, group in enumerate((ours, theirs))
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
    # "Needs you" names this week's; the list of what is coming up names each once.
    coming_up = home[home.index('id="upcoming-heading"') :]
    assert sorted(_linked("sessions", coming_up)) == sorted(
        session.id for session in world["sessions"].values()
    )
    assert home.count("(you)") == 2


def test_an_organiser_of_two_groups_sees_each_group_and_request_once(
    world, make_group, client_for
):
    organiser, ours = world["organiser"], world["ours"]
    theirs = next(group for group in world["sessions"] if group is not ours)
    closed, empty = make_group("Rye Action"), make_group("Bexhill Action")
    closed.is_active = False
    organiser.groups.extend([theirs, closed, empty])
    db.session.commit()

    desk = organiser_desk(organiser)
    assert [group.name for group in desk.groups] == [
        "Bexhill Action",
        "Hastings Action",
        "Rye Action",
        "Stockport Action",
    ]
    assert [group.is_active for group in desk.groups] == [True, True, False, True]
    # Both groups' booked and submitted requests, each once, newest first.
    in_progress = (
        db.session.query(TrainingRequest)
        .filter(TrainingRequest.group_id.in_([ours.id, theirs.id]))
        .order_by(TrainingRequest.created_at.desc(), TrainingRequest.id.desc())
        .all()
    )
    assert len(in_progress) == 4
    assert [r.id for r in desk.requests] == [r.id for r in in_progress]
    assert [r.group_name for r in desk.requests] == [r.group.name for r in in_progress]
    assert [r.id for r in organiser_desk(organiser, limit=1).requests] == [
        in_progress[0].id
    ]
    home = client_for(organiser).get("/").get_data(as_text=True)
    assert home.count("<h3>Bexhill Action</h3>") == 1
    assert "ask the national office to reactivate it" in home
    assert _linked("requests", home) == [r.id for r in in_progress]


def test_an_organiser_with_nothing_in_progress_still_sees_their_group(
    make_group, make_user
):
    group = make_group("Bexhill Action")
    organiser = make_user("quiet@example.org", "Quiet Organiser", groups=[group])
    db.session.commit()
    desk = organiser_desk(organiser)
    assert [(g.id, g.name) for g in desk.groups] == [(group.id, "Bexhill Action")]
    assert desk.requests == []


def _linked(prefix: str, home: str) -> list[int]:
    return [int(found) for found in re.findall(rf'href="/{prefix}/(\d+)"', home)]
