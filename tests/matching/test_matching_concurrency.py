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

from trainers import create_app
from trainers.auth.models import User
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.matching import lifecycle, services
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.services import OfferAlreadyTaken, OfferUnavailable
from trainers.profiles.models import AvailabilityWindow
from trainers.requests.models import RequestEvent, RequestStatus, TrainingRequest
from trainers.requests.services import parse_slots
from trainers.sessions.models import TrainingSession

pytestmark = pytest.mark.postgres_only

NOW = datetime(2027, 5, 1, 9, tzinfo=UTC)
EXPIRY = timedelta(hours=48)
SLOT_DAY = date(2027, 6, 15)  # a Tuesday
MANY = 24
WAIT_SECONDS = 60


@pytest.fixture
def threads_app(app: Flask):
    """The same app and database with a connection pool big enough for every
    thread at once; its connections are all closed afterwards."""
    settings = {
        key: app.config[key]
        for key in (
            "TESTING",
            "SECRET_KEY",
            "SQLALCHEMY_DATABASE_URI",
            "WTF_CSRF_ENABLED",
            "MAIL_BACKEND",
            "MAIL_FILE_DIR",
            "BASE_URL",
        )
    }
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": MANY + 4, "max_overflow": 0}
    other = create_app(settings)
    yield other
    with other.app_context():
        db.engine.dispose()


Job = Callable[[Callable[[], object]], object]


def run_at_once(threads_app: Flask, jobs: list[Job]) -> list[tuple[str, object]]:
    """Run each job in a thread of its own; each calls `wait()` just before the
    service, and all are released together. ("ok", value) or ("error", exception)
    per job, in order."""
    barrier = threading.Barrier(len(jobs), timeout=WAIT_SECONDS)
    results: list[tuple[str, object] | None] = [None] * len(jobs)

    def work(index: int, job: Job) -> None:
        with threads_app.app_context():
            try:
                value = job(barrier.wait)
                db.session.commit()
                results[index] = ("ok", value)
            except Exception as error:  # every outcome is recorded and checked
                db.session.rollback()
                results[index] = ("error", error)

    threads = [
        threading.Thread(target=work, args=(index, job))
        for index, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    db.session.expire_all()
    return results


def accepting(offer_id: int, trainer_id: int) -> Job:
    def job(wait):
        trainer = db.session.get(User, trainer_id)
        wait()
        return services.accept_offer(offer_id, trainer, NOW).id

    return job


@pytest.fixture
def topic(make_topic):
    return make_topic("Door-knocking and canvassing")


@pytest.fixture
def group(make_group):
    return make_group("Hastings Action", "TN34")


@pytest.fixture
def organiser(make_user, group):
    return make_user("organiser@example.org", groups=[group])


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
            by=organiser,
            now=NOW,
            is_online=False,
            venue_postcode=postcode,
            venue_address="The hall",
            expected_attendance=12,
            accessibility_needs="",
            notes="",
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
        db.session.scalars(
            select(TrainingSession).filter_by(status="booked", **where)
        )
    )


def unexpected(results, allowed: tuple[type[Exception], ...]) -> list[object]:
    return [
        value
        for outcome, value in results
        if outcome == "error" and not isinstance(value, allowed)
    ]


# (a) Many trainers accept one request at the same moment.


@pytest.mark.parametrize("round_", range(2))
def test_many_simultaneous_acceptances_book_exactly_one_session(
    app, threads_app, add_trainer, submit, mailbox, round_
):
    app.config["OFFERS_AT_ONCE"] = MANY
    trainers = [add_trainer(f"trainer{n}@example.org") for n in range(MANY)]
    training_request = submit()
    offers = offers_of(training_request)
    assert len(offers) == MANY

    results = run_at_once(
        threads_app, [accepting(offer.id, offer.trainer_id) for offer in offers]
    )

    winners = [value for outcome, value in results if outcome == "ok"]
    assert len(winners) == 1
    assert unexpected(results, (OfferAlreadyTaken, OfferUnavailable)) == []
    assert [s.id for s in booked_sessions(request_id=training_request.id)] == winners
    statuses = Counter(offer.status for offer in offers_of(training_request))
    assert statuses == {"accepted": 1, "withdrawn": MANY - 1}
    assert db.session.get(TrainingRequest, training_request.id).status == "booked"
    booked_events = db.session.scalar(
        select(func.count())
        .select_from(RequestEvent)
        .where(
            RequestEvent.request_id == training_request.id,
            RequestEvent.action == "booked",
        )
    )
    assert booked_events == 1
    winner = db.session.get(TrainingSession, winners[0]).trainer
    booked_mail = [m for m in mailbox.messages() if m["Subject"].startswith("Booked")]
    assert sorted(m["To"] for m in booked_mail) == sorted(
        [winner.email, "organiser@example.org"]
    )
    assert len(trainers) == MANY


# (b) One trainer accepts two offers that cannot both be kept, at once.

CLASHES = {
    # Both in Hastings, overlapping by an hour.
    "overlap": ((clock(10), clock(12), "TN34 1AA"), (clock(11), clock(13), "TN34 1AA")),
    # Back to back, but Brighton is over an hour and a half from Hastings.
    "travel": ((clock(10), clock(12), "TN34 1AA"), (clock(12, 30), clock(14), "BN1 1AA")),
}


@pytest.mark.parametrize("kind", [*CLASHES, "cap"])
def test_one_trainer_accepting_two_conflicting_offers_at_once_gets_one(
    threads_app, add_trainer, submit, kind
):
    trainer = add_trainer("solo@example.org", cap=1 if kind == "cap" else 3)
    for round_ in range(4):
        day = SLOT_DAY + timedelta(days=7 * round_)
        if kind == "cap":
            # A week apart, in the same month: the cap of one allows only one.
            day = date(2027, 7, 1) + timedelta(days=round_)
            requests = [submit(day), submit(day + timedelta(days=20))]
        else:
            requests = [
                submit(day, start, end, postcode)
                for start, end, postcode in CLASHES[kind]
            ]
        offer_ids = [offers_of(r)[0].id for r in requests]
        assert all(offers_of(r)[0].trainer_id == trainer.id for r in requests)

        results = run_at_once(
            threads_app, [accepting(offer_id, trainer.id) for offer_id in offer_ids]
        )

        outcomes = sorted(outcome for outcome, _ in results)
        assert outcomes == ["error", "ok"], results
        (error,) = [value for outcome, value in results if outcome == "error"]
        assert type(error) is DomainError
        expected = "at their monthly cap" if kind == "cap" else "clashes with another"
        assert error.message.startswith("You can no longer take this session: ")
        assert expected in error.message
        booked = booked_sessions(trainer_id=trainer.id)
        assert len(booked) == round_ + 1 if kind != "cap" else len(booked) == 1
        if kind == "cap":
            break
    assert_never_overlapping(booked_sessions(trainer_id=trainer.id))


def assert_never_overlapping(sessions: list[TrainingSession]) -> None:
    ordered = sorted(sessions, key=lambda s: s.starts_at)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        assert earlier.ends_at <= later.starts_at, (earlier, later)


# (c) Two schedulers expire offers at the same moment.


def test_expiring_in_two_threads_at_once_expires_each_offer_once(
    threads_app, add_trainer, submit, mailbox
):
    trainers = [add_trainer(f"trainer{n}@example.org") for n in range(8)]
    requests = [submit(SLOT_DAY + timedelta(days=n)) for n in range(4)]
    old = {offer.id: offer.trainer.name for r in requests for offer in offers_of(r)}
    assert len(old) == 12
    offer_mail = Counter(m["To"] for m in mailbox.messages())

    def expiring(wait):
        wait()
        return services.expire_offers(NOW + EXPIRY)

    results = run_at_once(threads_app, [expiring, expiring])

    assert [outcome for outcome, _ in results] == ["ok", "ok"], results
    assert sum(value for _, value in results) == 12
    for offer_id in old:
        offer = db.session.get(Offer, offer_id)
        assert (offer.status, offer.responded_at) == ("expired", NOW + EXPIRY)
    for training_request in requests:
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
        expired_here = Counter(o.trainer.name for o in offers_of(training_request))
        expired_here = Counter(
            o.trainer.name
            for o in offers_of(training_request)
            if o.status == OfferStatus.EXPIRED
        )
        assert named == expired_here
        pending = [o.trainer_id for o in offers_of(training_request) if o.status == "pending"]
        assert len(pending) == len(set(pending)) <= 3
    # One email for each new offer, and none for anything else.
    new_offers = Counter(
        o.trainer.email
        for r in requests
        for o in offers_of(r)
        if o.id not in old
    )
    assert Counter(m["To"] for m in mailbox.messages()) - offer_mail == new_offers
    assert len(trainers) == 8
