"""'Needs you' at the top of each home page: what waits on the person, each item
a link to where it is done, gone once it is, counted when there are many; each
list read in one statement whatever its length."""

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.statements import statements_to_show
from trainers.extensions import db
from trainers.matching.lifecycle import cancel_training_request, hand_back
from trainers.outbox.models import OutboxMessage, OutboxStatus
from trainers.profiles.models import AvailabilityWindow
from trainers.requests.models import RequestSlot, RequestStatus, TrainingRequest
from trainers.sessions.services import book_session

# A Monday morning; sessions are at 18:00 UTC (19:00 in London) on later days.
NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
def world(clock, make_group, make_topic, make_user, make_trainer):
    clock.set(NOW)
    group = make_group("Hastings Action", "TN34")
    topic = make_topic("Phone banking")
    return {
        "group": group,
        "topic": topic,
        "trainer": make_trainer("trainer@example.org", topics=[topic]),
        "organiser": make_user("org@example.org", "Ann Organiser", groups=[group]),
        "office": make_user("office@example.org", "Otto Office", office=True),
    }


def _request(world, starts_at, status=RequestStatus.SUBMITTED) -> TrainingRequest:
    group = world["group"]
    training_request = TrainingRequest(
        group=group,
        topic=world["topic"],
        status=status,
        expected_attendance=10,
        venue_postcode="TN34 1AA",
        venue_address="The Library",
        venue_latitude=group.latitude,
        venue_longitude=group.longitude,
        slots=[
            RequestSlot(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2))
        ],
    )
    db.session.add(training_request)
    db.session.flush()
    return training_request


def _book(world, days: int, trainer=None):
    starts_at = NOW.replace(hour=18) + timedelta(days=days)
    training_request = _request(world, starts_at, RequestStatus.BOOKED)
    training_session = book_session(
        training_request,
        (trainer or world["trainer"]).id,
        starts_at,
        starts_at + timedelta(hours=2),
        NOW - timedelta(days=30),
    )
    db.session.commit()
    return training_session


def _free_all_week(trainer) -> None:
    trainer.trainer_profile.availability.extend(
        AvailabilityWindow(weekday=day, start_time=time(0), end_time=time(23, 59))
        for day in range(7)
    )
    db.session.commit()


@pytest.fixture
def needs_of(client_for):
    """The 'Needs you' section of the person's home page, in a browser signed in
    afresh (a sign-in lapses when the clock jumps days)."""

    def needs(person) -> str:
        home = client_for(person).get("/").get_data(as_text=True)
        return home[home.index('id="needs-heading"') : home.index("</section>")]

    return needs


def test_a_trainer_sees_gaps_this_weeks_sessions_and_attendance_to_record(
    world, client_for, needs_of, clock
):
    trainer = world["trainer"]
    needs = needs_of(trainer)
    assert "Add the times in the week you are usually free." in needs
    assert 'href="/profile"' in needs
    _free_all_week(trainer)
    assert "Nothing needs you right now." in needs_of(trainer)

    training_session = _book(world, days=2)
    needs = needs_of(trainer)
    assert "Your sessions this week" in needs
    assert f'href="/sessions/{training_session.id}"' in needs
    assert "Attendance to record" not in needs

    clock.set(training_session.ends_at + timedelta(hours=1))
    needs = needs_of(trainer)
    assert "Your sessions this week" not in needs
    assert "Attendance to record" in needs
    record = f"/sessions/{training_session.id}/attendance"
    assert f'href="{record}"' in needs
    sent = client_for(trainer).post(record, data={"headcount": "12"})
    assert sent.status_code == 302
    assert "Nothing needs you right now." in needs_of(trainer)


def test_an_organiser_confirms_attendance_then_rates_the_session(
    world, client_for, needs_of, clock
):
    organiser = world["organiser"]
    _free_all_week(world["trainer"])
    training_session = _book(world, days=1)
    assert "Nothing needs you right now." in needs_of(organiser)

    clock.set(training_session.ends_at + timedelta(hours=1))
    browser = client_for(organiser)
    needs = needs_of(organiser)
    assert "Attendance to confirm" in needs
    attendance = f"/sessions/{training_session.id}/attendance"
    assert f'href="{attendance}"' in needs
    assert browser.post(attendance, data={"headcount": "9"}).status_code == 302

    needs = needs_of(organiser)
    assert "Attendance to confirm" not in needs
    rating = f"/sessions/{training_session.id}/rating"
    assert "Sessions to rate" in needs and f'href="{rating}"' in needs
    assert browser.post(rating, data={"rating": "4"}).status_code == 302
    assert "Nothing needs you right now." in needs_of(organiser)


def test_an_organiser_sees_a_hand_back_until_the_request_is_settled(
    world, needs_of, make_trainer
):
    trainer = world["trainer"]
    _free_all_week(trainer)
    # Someone else can take it, so matching offers it on rather than giving up.
    _free_all_week(make_trainer("stand-in@example.org", topics=[world["topic"]]))
    training_session = _book(world, days=10)
    hand_back(training_session, trainer, "I am ill", NOW, confirmed=True)
    db.session.commit()
    assert training_session.training_request.status == RequestStatus.OFFERED

    needs = needs_of(world["organiser"])
    assert "Handed back by the trainer" in needs
    assert "I am ill" in needs
    assert f'href="/requests/{training_session.request_id}"' in needs

    cancel_training_request(
        training_session.training_request, "Hall closed", world["organiser"], NOW
    )
    db.session.commit()
    assert "Nothing needs you right now." in needs_of(world["organiser"])


def test_a_handed_back_request_nobody_could_take_is_listed_once_as_unfilled(
    world, needs_of
):
    trainer = world["trainer"]
    training_session = _book(world, days=10)
    # Nobody else can take it: it goes unfilled, said once, not as a hand-back too.
    hand_back(training_session, trainer, "I am ill", NOW, confirmed=True)
    db.session.commit()
    training_request = training_session.training_request
    assert training_request.status == RequestStatus.UNFILLED

    needs = needs_of(world["organiser"])
    assert "Requests nobody could take" in needs
    assert "Handed back by the trainer" not in needs
    assert needs.count(f'href="/requests/{training_request.id}"') == 1

    # Matching again (the request edited, say): waiting for a trainer once more.
    training_request.move_to(RequestStatus.SUBMITTED, NOW)
    db.session.commit()
    needs = needs_of(world["organiser"])
    assert "Requests nobody could take" not in needs
    assert "Handed back by the trainer" in needs


def test_the_office_sees_unfilled_requests_failed_mail_and_data_to_tidy(
    world, needs_of
):
    office = world["office"]
    # The office sees ten at a time.
    for days in range(11):
        _request(world, NOW + timedelta(days=20 + days), RequestStatus.UNFILLED)
    db.session.add(
        OutboxMessage(
            to_address="someone@example.org",
            subject="An offer",
            kind="offer",
            body="Hello",
            message_id=f"<{uuid.uuid4()}@trainers.test>",
            status=OutboxStatus.FAILED,
        )
    )
    db.session.commit()

    needs = needs_of(office)
    assert 'Unfilled requests <span class="count">11</span>' in needs
    assert needs.count("/matching") == 10
    assert 'href="/requests/?status=unfilled">All 11 unfilled requests' in needs
    assert 'href="/office/mail/?status=failed"' in needs
    # The trainer has no availability: one data-quality queue holds them.
    assert "Trainers with no availability: 1" in needs
    assert 'href="/office/data-quality#trainers-without-availability"' in needs

    _free_all_week(world["trainer"])
    assert "Trainers with no availability" not in needs_of(office)


@pytest.mark.parametrize("role", ["trainer", "organiser", "office"])
def test_each_home_takes_as_many_statements_for_many_needs_as_for_one(
    world, client_for, make_trainer, clock, role
):
    _free_all_week(world["trainer"])
    _book(world, days=1)
    _request(world, NOW + timedelta(days=20), RequestStatus.UNFILLED)
    db.session.commit()
    clock.set(NOW + timedelta(days=5))
    browser = client_for(world[role])
    one = statements_to_show(browser, "/")
    for days in range(2, 4):
        _book(world, days=days)
    for days in range(21, 29):
        _request(world, NOW + timedelta(days=days), RequestStatus.UNFILLED)
    make_trainer("idle@example.org")
    db.session.commit()
    assert statements_to_show(browser, "/") == one
