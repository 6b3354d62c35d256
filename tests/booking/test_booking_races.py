"""Every way into a session goes through one booking gate, proven with real
threads on PostgreSQL: accepting racing a reschedule, accepting racing the
office's assignment, two shadowing additions, and co-trainer places taken at
once, never leave a trainer in two places at once (nor a place with two
trainers); the loser is told why, and nothing fails. Behind the gate, the
database itself refuses a trainer's overlapping sessions."""

from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

import pytest
from psycopg.errors import ExclusionViolation
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.threads import run_at_once
from trainers.auth.models import User
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.matching import answers, lifecycle, places, services
from trainers.matching.models import Offer
from trainers.profiles.models import AvailabilityWindow, TrainerTopic
from trainers.requests.details import Particulars
from trainers.requests.models import TrainingRequest
from trainers.requests.slots import parse_slots
from trainers.sessions.models import SessionPlace, TrainingSession

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

NOW = datetime(2027, 5, 1, 9, tzinfo=UTC)
FIRST_DAY = date(2027, 6, 1)
ROUNDS = 12


@pytest.fixture
def people(make_group, make_topic, make_user, make_trainer):
    group = make_group("Hastings Action", "TN34")
    topic = make_topic("Door-knocking and canvassing")

    def trainer(email: str, level: str = "qualified") -> User:
        user = make_trainer(email, district="TN34", radius_km=80)
        profile = user.trainer_profile
        # Room for every round's sessions, whichever side wins each.
        profile.monthly_cap = 3 * ROUNDS
        profile.topics.append(TrainerTopic(topic=topic, level=level))
        profile.availability.extend(
            AvailabilityWindow(weekday=day, start_time=clock(8), end_time=clock(21))
            for day in range(7)
        )
        db.session.commit()
        return user

    return {
        "group": group,
        "topic": topic,
        "organiser": make_user("organiser@example.org", groups=[group]),
        "office": make_user("office@example.org", office=True),
        "trainer": trainer,
    }


def ask(people, day: date, start: clock, end: clock) -> TrainingRequest:
    """A request for one time, submitted and offered; committed."""
    training_request = lifecycle.submit_request(
        people["group"],
        people["topic"],
        parse_slots([(day, start, end)], NOW),
        Particulars(
            is_online=False,
            venue_postcode="TN34 1AA",
            venue_address="The hall",
            expected_attendance=12,
        ),
        by=people["organiser"],
        now=NOW,
    )
    db.session.commit()
    return training_request


def pending_offer(training_request, trainer) -> Offer:
    return db.session.scalar(
        select(Offer).where(
            Offer.request_id == training_request.id,
            Offer.trainer_id == trainer.id,
            Offer.status == "pending",
        )
    )


def assign(people, training_request, trainer) -> TrainingSession:
    booked = services.assign_trainer(
        training_request,
        trainer.id,
        training_request.slots[0].id,
        people["office"],
        NOW,
    )
    db.session.commit()
    return booked


def overlaps_of(trainer_ids) -> list[tuple[int, int]]:
    """Pairs of live sessions one trainer works in, whatever their place, that
    overlap in time."""
    live = [
        s
        for s in db.session.scalars(select(TrainingSession))
        if s.status != "cancelled"
    ]
    seats = {trainer_id: [] for trainer_id in trainer_ids}
    for s in live:
        for trainer_id in s.trainer_ids():
            seats.setdefault(trainer_id, []).append(s)
    clashes = []
    for sessions in seats.values():
        for a in sessions:
            for b in sessions:
                if a.id < b.id and a.starts_at < b.ends_at and b.starts_at < a.ends_at:
                    clashes.append((a.id, b.id))
    return clashes


def accepting(offer_id: int, trainer_id: int):
    """A job for run_at_once: the trainer accepts their offer."""

    def job(wait):
        trainer = db.session.get(User, trainer_id)
        wait()
        return answers.accept_offer(offer_id, trainer, NOW).id

    return job


def one_won_and_the_other_was_told(results) -> DomainError:
    """Exactly one job succeeded; the other ended in a message for its user (a
    DomainError), never in a database error or a second booking."""
    assert sorted(outcome for outcome, _ in results) == ["error", "ok"], results
    (error,) = [value for outcome, value in results if outcome == "error"]
    assert isinstance(error, DomainError), repr(error)
    return error


def test_accepting_racing_a_reschedule_onto_that_time_never_double_books(
    threads_app, people
):
    priya = people["trainer"]("priya@example.org")
    priya_id, office_id = priya.id, people["office"].id
    told = set()
    for round_ in range(ROUNDS):
        day = FIRST_DAY + timedelta(days=round_)
        booked_request = ask(people, day, clock(10), clock(12))
        answers.accept_offer(pending_offer(booked_request, priya).id, priya, NOW)
        db.session.commit()
        other_request = ask(people, day, clock(14), clock(16))
        offer_id = pending_offer(other_request, priya).id
        new_time = (other_request.slots[0].starts_at, other_request.slots[0].ends_at)

        def rescheduling(wait, request_id=booked_request.id, new_time=new_time):
            training_request = db.session.get(TrainingRequest, request_id)
            office = db.session.get(User, office_id)
            wait()
            return lifecycle.reschedule(
                training_request, *new_time, office, NOW, confirmed=True
            ).training_session.id

        error = one_won_and_the_other_was_told(
            run_at_once(threads_app, [accepting(offer_id, priya_id), rescheduling])
        )
        told.add(type(error).__name__)
        assert overlaps_of([priya_id]) == []
    # Whichever came first, the other was refused in words.
    assert told <= {"DomainError", "TrainerCannotMakeIt"}


def test_accepting_racing_the_office_assigning_never_double_books(threads_app, people):
    priya = people["trainer"]("priya@example.org")
    priya_id, office_id = priya.id, people["office"].id
    for round_ in range(ROUNDS):
        day = FIRST_DAY + timedelta(days=round_)
        offered = ask(people, day, clock(10), clock(12))
        assigned = ask(people, day, clock(11), clock(13))
        offer_id = pending_offer(offered, priya).id
        slot_id = assigned.slots[0].id

        def assigning(wait, request_id=assigned.id, slot_id=slot_id):
            training_request = db.session.get(TrainingRequest, request_id)
            office = db.session.get(User, office_id)
            wait()
            return services.assign_trainer(
                training_request, priya_id, slot_id, office, NOW
            ).id

        error = one_won_and_the_other_was_told(
            run_at_once(threads_app, [accepting(offer_id, priya_id), assigning])
        )
        assert "clashes with another of their sessions" in error.message
        assert overlaps_of([priya_id]) == []


def test_two_shadowing_additions_at_once_never_double_book(threads_app, people):
    leads = [people["trainer"](f"lead{n}@example.org") for n in range(2)]
    sam = people["trainer"]("sam@example.org", level="shadowing")
    sam_id, office_id = sam.id, people["office"].id
    lead_ids = [lead.id for lead in leads]
    for round_ in range(ROUNDS):
        day = FIRST_DAY + timedelta(days=round_)
        sessions = [
            assign(people, ask(people, day, clock(10), clock(12)), lead)
            for lead in leads
        ]

        def adding(wait, session_id):
            training_session = db.session.get(TrainingSession, session_id)
            office = db.session.get(User, office_id)
            wait()
            return places.add_shadow(training_session, sam_id, office, NOW).session_id

        session_ids = [s.id for s in sessions]
        error = one_won_and_the_other_was_told(
            run_at_once(
                threads_app,
                [lambda wait, s=s: adding(wait, s) for s in session_ids],
            )
        )
        assert "clashes with another of their sessions" in error.message
        assert overlaps_of([sam_id, *lead_ids]) == []
    held = select(SessionPlace).where(SessionPlace.trainer_id.is_not(None))
    assert len(db.session.scalars(held).all()) == ROUNDS


def place_offer(training_session, trainer, place: int) -> int:
    """The id of an offer, waiting, of the session's place to the trainer
    (matching's own, or one made beside it); committed."""
    found = db.session.scalar(
        select(Offer).where(
            Offer.request_id == training_session.request_id,
            Offer.trainer_id == trainer.id,
            Offer.place == place,
            Offer.status == "pending",
        )
    )
    if found is None:
        found = Offer(
            request_id=training_session.request_id,
            slot_id=next(
                s.id
                for s in training_session.training_request.slots
                if s.starts_at == training_session.starts_at
            ),
            trainer_id=trainer.id,
            place=place,
            created_at=NOW,
        )
        db.session.add(found)
    db.session.commit()
    return found.id


def places_held(training_session_id: int) -> dict[int, int | None]:
    return {
        p.place: p.trainer_id
        for p in db.session.scalars(
            select(SessionPlace).where(SessionPlace.session_id == training_session_id)
        )
    }


def test_two_places_accepted_at_once_by_two_trainers_both_win(threads_app, people):
    people["topic"].trainers_needed = 3
    lead, ana, ben = (
        people["trainer"](f"{name}@example.org") for name in ("lead", "ana", "ben")
    )
    for round_ in range(ROUNDS):
        day = FIRST_DAY + timedelta(days=round_)
        booked = assign(people, ask(people, day, clock(10), clock(12)), lead)
        jobs = [
            accepting(place_offer(booked, ana, 2), ana.id),
            accepting(place_offer(booked, ben, 3), ben.id),
        ]
        results = run_at_once(threads_app, jobs)
        assert results == [("ok", booked.id), ("ok", booked.id)], results
        assert places_held(booked.id) == {2: ana.id, 3: ben.id}
        assert overlaps_of([lead.id, ana.id, ben.id]) == []


def test_one_trainer_accepting_both_places_at_once_wins_one(threads_app, people):
    people["topic"].trainers_needed = 3
    lead, ana = (people["trainer"](f"{name}@example.org") for name in ("lead", "ana"))
    for round_ in range(ROUNDS):
        day = FIRST_DAY + timedelta(days=round_)
        booked = assign(people, ask(people, day, clock(10), clock(12)), lead)
        jobs = [
            accepting(place_offer(booked, ana, 2), ana.id),
            accepting(place_offer(booked, ana, 3), ana.id),
        ]
        one_won_and_the_other_was_told(run_at_once(threads_app, jobs))
        held = places_held(booked.id)
        assert sorted(held.values(), key=str) == [ana.id, None], held
        assert overlaps_of([lead.id, ana.id]) == []


def test_the_database_refuses_a_trainers_overlapping_sessions(people):
    priya = people["trainer"]("priya@example.org")
    booked = assign(people, ask(people, FIRST_DAY, clock(10), clock(12)), priya)
    other = ask(people, FIRST_DAY, clock(11), clock(13))
    # A path that skipped the gate: a second live session over the first.
    db.session.add(
        TrainingSession(
            request_id=other.id,
            trainer_id=priya.id,
            group_id=other.group_id,
            topic_id=other.topic_id,
            status="booked",
            starts_at=booked.starts_at + timedelta(hours=1),
            ends_at=booked.ends_at + timedelta(hours=1),
            ical_uid="skipped-the-gate@test",
        )
    )
    with pytest.raises(IntegrityError) as raised:
        db.session.commit()
    assert isinstance(raised.value.orig, ExclusionViolation)
    db.session.rollback()
    # Back to back, or over a cancelled one, is allowed.
    booked.status = "cancelled"
    db.session.commit()
    db.session.add(
        TrainingSession(
            request_id=other.id,
            trainer_id=priya.id,
            group_id=other.group_id,
            topic_id=other.topic_id,
            status="booked",
            starts_at=booked.starts_at,
            ends_at=booked.ends_at,
            ical_uid="over-a-cancelled-one@test",
        )
    )
    db.session.commit()
