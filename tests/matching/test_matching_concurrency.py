"""Races on PostgreSQL, with real threads and connections: the first acceptance
wins, a trainer is never booked twice at once, and expiry runs once.

Each thread runs in its own app context, so with its own database session and
connection, and commits or rolls back as a view would. A barrier releases the
threads together so the calls really overlap.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from tests.threads import (
    MOST_THREADS,
    WAIT_SECONDS,
    Job,
    Outcome,
    run_at_once,
    run_job,
)
from trainers.auth.models import User
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.geo import distance_km
from trainers.matching import answers, lifecycle
from trainers.matching.answers import OfferAlreadyTaken
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.offers import expire_offers
from trainers.profiles.models import AvailabilityWindow
from trainers.requests.details import Particulars
from trainers.requests.models import RequestEvent, TrainingRequest
from trainers.requests.slots import parse_slots
from trainers.sessions.models import TrainingSession

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

NOW = datetime(2027, 5, 1, 9, tzinfo=UTC)
EXPIRY = timedelta(hours=48)
SLOT_DAY = date(2027, 6, 15)  # a Tuesday
MANY = MOST_THREADS


def accepting(offer_id: int, trainer_id: int) -> Job:
    def job(wait):
        trainer = db.session.get(User, trainer_id)
        wait()
        return answers.accept_offer(offer_id, trainer, NOW).id

    return job


@pytest.fixture
def add_trainer(make_trainer, topic):
    """A qualified trainer in Hastings, free 08:00-21:00 every day, cap 3."""

    def add(email: str, cap: int = 3):
        trainer = make_trainer(email, district="TN34", radius_km=80, topics=[topic])
        profile = trainer.trainer_profile
        profile.monthly_cap = cap
        profile.availability.extend(
            AvailabilityWindow(weekday=day, start_time=clock(8), end_time=clock(21))
            for day in range(7)
        )
        db.session.commit()
        return trainer

    return add


@pytest.fixture
def submit(group, topic, organiser):
    """Submit a request in Hastings (or elsewhere) and offer it; committed."""

    def submit(day=SLOT_DAY, start=clock(10), end=clock(12), postcode="TN34 1AA"):
        training_request = lifecycle.submit_request(
            group,
            topic,
            parse_slots([(day, start, end)], NOW),
            Particulars(
                is_online=False,
                venue_postcode=postcode,
                venue_address="The hall",
                expected_attendance=12,
            ),
            by=organiser,
            now=NOW,
        )
        db.session.commit()
        return training_request

    return submit


def offers_of(training_request) -> list[Offer]:
    return list(
        db.session.scalars(
            select(Offer)
            .where(Offer.request_id == training_request.id)
            .order_by(Offer.id)
        )
    )


def booked_sessions(**where) -> list[TrainingSession]:
    return list(
        db.session.scalars(select(TrainingSession).filter_by(status="booked", **where))
    )


def unexpected(results, allowed: tuple[type[Exception], ...]) -> list[object]:
    return [
        value
        for outcome, value in results
        if outcome == "error" and not isinstance(value, allowed)
    ]


# (a) Many trainers accept one request at the same moment.


def test_many_simultaneous_acceptances_book_exactly_one_session(
    app, threads_app, add_trainer, submit, mailbox
):
    app.config["OFFERS_AT_ONCE"] = MANY
    for n in range(MANY):
        add_trainer(f"trainer{n}@example.org")
    for week in range(3):
        training_request = submit(SLOT_DAY + timedelta(weeks=week))
        offers = offers_of(training_request)
        assert len(offers) == MANY
        emails_before = len(mailbox.messages())

        results = run_at_once(
            threads_app, [accepting(offer.id, offer.trainer_id) for offer in offers]
        )

        winners = [value for outcome, value in results if outcome == "ok"]
        assert len(winners) == 1
        # The losers were told it was taken, whether they were refused before
        # or after the winner withdrew their offer; nothing else went wrong.
        assert unexpected(results, (OfferAlreadyTaken,)) == []
        booked = booked_sessions(request_id=training_request.id)
        assert [s.id for s in booked] == winners
        statuses = Counter(offer.status for offer in offers_of(training_request))
        assert statuses == {"accepted": 1, "withdrawn": MANY - 1}
        assert db.session.get(TrainingRequest, training_request.id).status == "booked"
        assert history_count(training_request, "booked") == 1
        # Booked: the winner and the organiser; taken: every other trainer.
        subjects = Counter(
            (m["To"], m["Subject"].split(":")[0])
            for m in mailbox.messages()[emails_before:]
        )
        assert subjects[(booked[0].trainer.email, "Booked")] == 1
        assert subjects[("organiser@example.org", "Booked")] == 1
        assert sum(subjects.values()) == 2 + MANY - 1


def history_count(training_request, action: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RequestEvent)
        .where(
            RequestEvent.request_id == training_request.id,
            RequestEvent.action == action,
        )
    )


# (b) One trainer accepts two offers that cannot both be kept, at once.

# Two slots for two requests on the same day, as (start, end, venue postcode).
CONFLICTS = {
    "overlapping": [
        (clock(10), clock(12), "TN34 1AA"),
        (clock(11), clock(13), "TN34 1AA"),
    ],
    # Back to back, but Brighton is over an hour and a half from Hastings.
    "too far apart to travel": [
        (clock(10), clock(12), "TN34 1AA"),
        (clock(12, 30), clock(14), "BN1 1AA"),
    ],
}


def accept_both_at_once(threads_app, trainer, requests) -> DomainError:
    """The trainer accepts their offers of both requests at once: one is booked,
    the other refused with a DomainError, which is returned."""
    offers = [offers_of(r)[0] for r in requests]
    assert all(offer.trainer_id == trainer.id for offer in offers)
    results = run_at_once(
        threads_app, [accepting(offer.id, trainer.id) for offer in offers]
    )
    assert sorted(outcome for outcome, _ in results) == ["error", "ok"], results
    (error,) = [value for outcome, value in results if outcome == "error"]
    assert type(error) is DomainError
    assert error.message.startswith("You can no longer take this session: ")
    return error


@pytest.mark.parametrize("conflict", CONFLICTS)
def test_one_trainer_accepting_two_clashing_offers_at_once_gets_one(
    threads_app, add_trainer, submit, conflict
):
    trainer = add_trainer("solo@example.org", cap=10)
    for week in range(4):
        day = SLOT_DAY + timedelta(weeks=week)
        requests = [submit(day, *slot) for slot in CONFLICTS[conflict]]

        error = accept_both_at_once(threads_app, trainer, requests)

        assert "clashes with another of their sessions" in error.message
        booked = booked_sessions(trainer_id=trainer.id)
        assert len(booked) == week + 1
        assert_never_clashing(booked)


def test_one_trainer_at_their_cap_accepting_two_offers_at_once_gets_one(
    threads_app, add_trainer, submit
):
    trainer = add_trainer("solo@example.org", cap=1)
    requests = [submit(date(2027, 7, 6)), submit(date(2027, 7, 27))]

    error = accept_both_at_once(threads_app, trainer, requests)

    assert "at their monthly cap (1)" in error.message
    assert len(booked_sessions(trainer_id=trainer.id)) == 1


def assert_never_clashing(sessions: list[TrainingSession]) -> None:
    """Between each two sessions there is time to travel: 30 km/h, 30 min at least."""
    ordered = sorted(sessions, key=lambda s: s.starts_at)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        km = distance_km(
            earlier.venue_latitude,
            earlier.venue_longitude,
            later.venue_latitude,
            later.venue_longitude,
        )
        journey = max(timedelta(minutes=30), timedelta(hours=km / 30))
        assert later.starts_at - earlier.ends_at >= journey, (earlier, later)


# (c) Two schedulers expire offers at the same moment.


def test_expiring_in_two_threads_at_once_expires_each_offer_once(
    threads_app, add_trainer, submit, mailbox
):
    for n in range(8):
        add_trainer(f"trainer{n}@example.org")
    requests = [submit(SLOT_DAY + timedelta(days=n)) for n in range(4)]
    old = {offer.id for r in requests for offer in offers_of(r)}
    assert len(old) == 12
    emails_before = Counter(m["To"] for m in mailbox.messages())

    def expiring(wait):
        wait()
        return expire_offers(NOW + EXPIRY)

    results = run_at_once(threads_app, [expiring, expiring])

    assert [outcome for outcome, _ in results] == ["ok", "ok"], results
    assert sum(value for _, value in results) == 12
    for training_request in requests:
        offers = offers_of(training_request)
        expired = Counter(o.trainer.name for o in offers if o.id in old)
        assert all(
            (o.status, o.responded_at) == ("expired", NOW + EXPIRY)
            for o in offers
            if o.id in old
        )
        named = Counter(
            name
            for detail in db.session.scalars(
                select(RequestEvent.detail).where(
                    RequestEvent.request_id == training_request.id,
                    RequestEvent.action == "expired",
                )
            )
            for name in detail.removeprefix("No answer from ").split(", ")
        )
        assert named == expired
        waiting = [o.trainer_id for o in offers if o.status == OfferStatus.PENDING]
        assert len(waiting) == len(set(waiting)) <= 3
    # One email for each new offer, and none for anything else.
    new_offers = Counter(
        o.trainer.email for r in requests for o in offers_of(r) if o.id not in old
    )
    assert sum(new_offers.values()) > 0
    emails_after = Counter(m["To"] for m in mailbox.messages())
    assert emails_after - emails_before == new_offers


# Two transactions interleaved on purpose: the test's own is left open while
# another thread runs, then committed.


def start_behind(threads_app: Flask, job: Job) -> Callable[[], Outcome]:
    """Run `job` in a thread while the test's own transaction is still open, and
    return once it has finished or waits on a lock the test holds. Call the
    result, after committing, to join the thread and get its outcome."""
    results: list[Outcome] = []
    thread = threading.Thread(
        target=lambda: results.append(run_job(threads_app, job, lambda: None))
    )
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    with db.engine.connect() as connection:
        while thread.is_alive() and time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
            connection.rollback()
            if waiting:
                break
            time.sleep(0.01)

    def finish() -> Outcome:
        thread.join(WAIT_SECONDS)
        assert not thread.is_alive()
        db.session.expire_all()
        return results[0]

    return finish


def test_two_declines_at_once_never_offer_one_trainer_twice(
    app, threads_app, add_trainer, submit, mailbox
):
    for config in (app.config, threads_app.config):
        config["OFFERS_AT_ONCE"] = 2
    ada, bea, cai, dev = (add_trainer(f"{n}@example.org") for n in "abcd")
    training_request = submit()
    first, second = offers_of(training_request)

    def declining(wait):
        trainer = db.session.get(User, second.trainer_id)
        return answers.decline_offer(second.id, trainer, "", NOW).id

    answers.decline_offer(first.id, db.session.get(User, first.trainer_id), "", NOW)
    finish = start_behind(threads_app, declining)
    db.session.commit()
    assert finish()[0] == "ok"

    pending = [
        o.trainer_id for o in offers_of(training_request) if o.status == "pending"
    ]
    assert len(pending) == len(set(pending)) <= 2
    assert all(len(mailbox.to(t.email)) <= 1 for t in (cai, dev))


def test_a_request_cancelled_while_being_accepted_keeps_no_booked_session(
    threads_app, add_trainer, submit, organiser
):
    trainer = add_trainer("ada@example.org")
    training_request = submit()
    offer = offers_of(training_request)[0]

    def cancelling(wait):
        return lifecycle.cancel_training_request(
            db.session.get(TrainingRequest, training_request.id),
            "Hall flooded",
            db.session.get(User, organiser.id),
            NOW,
        ).id

    answers.accept_offer(offer.id, trainer, NOW)
    finish = start_behind(threads_app, cancelling)
    db.session.commit()
    outcome, value = finish()

    status = db.session.get(TrainingRequest, training_request.id).status
    booked = booked_sessions(request_id=training_request.id)
    assert (status, len(booked)) in {("cancelled", 0), ("booked", 1)}, (outcome, value)
