"""Each scheduled job's rules, with time moved by passing `now`: offers nudged and
expired, requests left unfilled, reminders on the same calendar event, attendance
follow-ups, "attendance unknown", and the office's weekly digest."""

import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event, select

from tests import calendar_parsers
from trainers import scheduler
from trainers.coverage.models import WeeklyDigest
from trainers.extensions import db
from trainers.matching import answers, lifecycle
from trainers.matching.models import Offer, OfferStatus
from trainers.outbox.models import OutboxMessage
from trainers.profiles.models import AvailabilityWindow
from trainers.requests.details import Particulars
from trainers.requests.models import (
    RequestEvent,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
)
from trainers.requests.slots import parse_slots
from trainers.scheduler.models import SchedulerJob
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import format_datetime, to_local

NOW = datetime(2027, 5, 1, 9, tzinfo=UTC)
SLOT_DAY = date(2027, 6, 15)  # a Tuesday, in BST
START = datetime(2027, 6, 15, 9, tzinfo=UTC)  # 10:00 in London
END = START + timedelta(hours=2)
MOVED_TO = START + timedelta(days=7)
NEAR_TO_FAR = ("TN34", "TN38", "TN35", "BN21", "TN1")
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
NOTHING = "0 marked unknown, 0 asked again, 0 asked"


# A small network: a group with two organisers, the office, five trainers.


@pytest.fixture
def topic(make_topic):
    return make_topic("Door-knocking and canvassing", online=True)


@pytest.fixture
def organisers(make_user, group):
    return [
        make_user("olive@example.org", "Olive Organiser", groups=[group]),
        make_user("oscar@example.org", "Oscar Organiser", groups=[group]),
    ]


@pytest.fixture
def office(make_user):
    return [
        make_user("otto@example.org", "Otto Office", office=True),
        make_user("ola@example.org", "Ola Office", office=True),
    ]


@pytest.fixture
def retired_office(make_user):
    return make_user("gone@example.org", "Gone Office", office=True, active=False)


@pytest.fixture
def add_trainer(make_trainer):
    """A qualified trainer free 08:00-21:00 every day, with a cap of 3."""

    def add(name: str, topic, district: str = "TN34"):
        trainer = make_trainer(
            f"{name.lower()}@example.org",
            district=district,
            radius_km=60,
            topics=[topic],
        )
        trainer.name = name
        trainer.trainer_profile.monthly_cap = 3
        trainer.trainer_profile.availability.extend(
            AvailabilityWindow(weekday=day, start_time=time(8), end_time=time(21))
            for day in range(7)
        )
        db.session.commit()
        return trainer

    return add


@pytest.fixture
def trainers(add_trainer, topic):
    """Five trainers, nearest to the venue first: the first three are offered."""
    names = ("Ada", "Bea", "Cai", "Dev", "Eve")
    return [
        add_trainer(name, topic, district)
        for name, district in zip(names, NEAR_TO_FAR, strict=True)
    ]


@pytest.fixture
def submit(group, topic, organisers):
    """Submit a request through the real path: offered at once, then committed."""

    def submit(now=NOW, topic=topic, **overrides) -> TrainingRequest:
        details = {
            "is_online": False,
            "venue_postcode": "TN34 1AA",
            "venue_address": "Hastings Library",
            "expected_attendance": 12,
            "accessibility_needs": "",
            "notes": "",
        }
        details.update(overrides)
        if details["is_online"]:
            details.update(venue_postcode="", venue_address="")
        training_request = lifecycle.submit_request(
            group,
            topic,
            parse_slots([(SLOT_DAY, time(10), time(12))], now),
            Particulars(**details),
            by=organisers[0],
            now=now,
        )
        db.session.commit()
        return training_request

    return submit


@pytest.fixture
def book(submit, trainers):
    """A session on START booked by Ada, who accepts at `accepted_at`."""

    def book(accepted_at: datetime = NOW) -> TrainingSession:
        training_request = submit()
        offer = offer_of(training_request, trainers[0])
        training_session = answers.accept_offer(offer.id, trainers[0], accepted_at)
        db.session.commit()
        return training_session

    return book


def offer_of(training_request, trainer) -> Offer:
    return db.session.scalar(
        select(Offer)
        .where(Offer.request_id == training_request.id, Offer.trainer_id == trainer.id)
        .order_by(Offer.id.desc())
    )


def run(job_id: str, now: datetime) -> str:
    """Run one scheduled job as the scheduler does; its recorded outcome."""
    record = scheduler.run_job(scheduler.job_by_id(job_id), now)
    assert record.last_ok, record.last_outcome
    db.session.expire_all()
    return record.last_outcome


def subjects(mailbox, person, starting: str = "") -> list[str]:
    """Subjects as a mail client shows them (Python reads a folded long subject
    with the fold's leading space)."""
    found = [message["Subject"].strip() for message in mailbox.to(person.email)]
    return [subject for subject in found if subject.startswith(starting)]


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def reminder_subject(training_session) -> str:
    return (
        f"Reminder: {training_session.topic.name} for {training_session.group.name}, "
        f"{format_datetime(training_session.starts_at)}"
    )


def elsewhere(app, change: Callable[[], None]) -> None:
    """Run `change` in another transaction (own thread, own connection), commit
    it, and wait: another person or process acting now."""
    failures = []

    def other() -> None:
        with app.app_context():
            try:
                change()
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - re-raised below
                failures.append(error)
            finally:
                db.session.remove()

    worker = threading.Thread(target=other)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "the other transaction is stuck"
    if failures:
        raise failures[0]


@contextmanager
def meanwhile(app, marker: str, change: Callable[[], None]):
    """Just before this test's first SQL statement containing `marker`, `change`
    runs `elsewhere`: at that exact moment of a job."""
    main = threading.current_thread()
    fired = []

    def before(connection, cursor, statement, parameters, context, executemany):
        if fired or marker not in statement or threading.current_thread() is not main:
            return
        fired.append(statement)
        elsewhere(app, change)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert fired, f"no statement with {marker!r} ran"


# Offers: nudged once after OFFER_NUDGE_HOURS, never when answered.


def test_a_waiting_offer_is_nudged_once_after_the_nudge_hours(
    submit, trainers, mailbox
):
    training_request = submit()
    assert run("nudge-offers", NOW + 24 * HOUR - MINUTE) == "0 offers nudged"
    assert run("nudge-offers", NOW + 24 * HOUR) == "3 offers nudged"
    assert run("nudge-offers", NOW + 24 * HOUR) == "0 offers nudged"
    assert run("nudge-offers", NOW + 40 * HOUR) == "0 offers nudged"

    wanted = "Still waiting: Door-knocking and canvassing for Hastings Action"
    for trainer in trainers[:3]:
        assert subjects(mailbox, trainer, "Still waiting") == [wanted]
        nudge = mailbox.to(trainer.email)[-1]
        text = body(nudge)
        # The deadline is the offer's own expiry, on the London clock.
        assert format_datetime(NOW + 48 * HOUR) in text
        assert f"/offers/{offer_of(training_request, trainer).id}" in text
        assert offer_of(training_request, trainer).nudged_at == NOW + 24 * HOUR
    for trainer in trainers[3:]:
        assert subjects(mailbox, trainer) == []


def test_answered_offers_are_not_nudged_and_each_offer_keeps_its_own_clock(
    submit, trainers, mailbox
):
    ada, bea, cai, dev, _ = trainers
    training_request = submit()
    answers.decline_offer(offer_of(training_request, bea).id, bea, "Away", NOW + HOUR)
    db.session.commit()
    # Bea's decline offered it to Dev an hour later: his clock starts then.
    assert offer_of(training_request, dev).created_at == NOW + HOUR

    assert run("nudge-offers", NOW + 24 * HOUR) == "2 offers nudged"
    assert len(subjects(mailbox, ada, "Still")) == 1
    assert len(subjects(mailbox, cai, "Still")) == 1
    assert subjects(mailbox, bea, "Still") == subjects(mailbox, dev, "Still") == []

    answers.accept_offer(offer_of(training_request, ada).id, ada, NOW + 24 * HOUR)
    db.session.commit()
    # Dev's offer was withdrawn when Ada accepted: nothing left to nudge.
    assert run("nudge-offers", NOW + 30 * HOUR) == "0 offers nudged"
    assert subjects(mailbox, dev, "Still") == []
    assert offer_of(training_request, dev).status == OfferStatus.WITHDRAWN
    assert offer_of(training_request, dev).nudged_at is None


def test_the_nudge_hours_come_from_config(app, submit, trainers, mailbox):
    app.config["OFFER_NUDGE_HOURS"] = 3
    submit()
    assert run("nudge-offers", NOW + 3 * HOUR - MINUTE) == "0 offers nudged"
    assert run("nudge-offers", NOW + 3 * HOUR) == "3 offers nudged"


def test_an_offer_already_past_its_expiry_is_not_nudged(submit, trainers, mailbox):
    submit()
    # The scheduler was stopped from before the nudge was due until after expiry;
    # both offer jobs fire in the same tick when it is back, in either order.
    assert run("nudge-offers", NOW + 50 * HOUR) == "0 offers nudged"
    assert subjects(mailbox, trainers[0], "Still") == []


# Offers: expired after OFFER_EXPIRY_HOURS, offered onwards, then unfilled.


def test_expiry_offers_the_request_to_the_next_candidates_once(
    submit, trainers, mailbox
):
    training_request = submit()
    assert run("expire-offers", NOW + 48 * HOUR - MINUTE) == "0 offers expired"
    assert run("expire-offers", NOW + 48 * HOUR) == "3 offers expired"
    assert run("expire-offers", NOW + 48 * HOUR) == "0 offers expired"

    for trainer in trainers[:3]:
        assert offer_of(training_request, trainer).status == OfferStatus.EXPIRED
    for trainer in trainers[3:]:
        offer = offer_of(training_request, trainer)
        assert (offer.status, offer.created_at) == (
            OfferStatus.PENDING,
            NOW + 48 * HOUR,
        )
        assert len(subjects(mailbox, trainer)) == 1
    assert db.session.get(TrainingRequest, training_request.id).status == "offered"


def test_when_candidates_run_out_the_request_is_unfilled_and_people_told_once(
    submit, trainers, organisers, office, retired_office, mailbox
):
    training_request = submit()
    run("expire-offers", NOW + 48 * HOUR)  # Dev and Eve are asked
    assert subjects(mailbox, office[0], "No trainer") == []
    assert run("expire-offers", NOW + 96 * HOUR) == "2 offers expired"
    assert run("expire-offers", NOW + 200 * HOUR) == "0 offers expired"

    training_request = db.session.get(TrainingRequest, training_request.id)
    assert training_request.status == RequestStatus.UNFILLED
    assert training_request.status_changed_at == NOW + 96 * HOUR
    assert [e.action for e in training_request.events][-2:] == ["expired", "unfilled"]
    wanted = "No trainer yet: Door-knocking and canvassing for Hastings Action"
    for person in (*organisers, *office):
        (message,) = mailbox.to(person.email)[-1:]
        assert subjects(mailbox, person, "No trainer") == [wanted]
        text = body(message)
        assert "propose other dates or times" in text
        assert "run it online" in text
        assert f"/requests/{training_request.id}" in text
    assert mailbox.to(retired_office.email) == []
    for trainer in trainers:
        assert subjects(mailbox, trainer, "No trainer") == []


@pytest.mark.parametrize(
    ("online_capable", "is_online", "suggests_online"),
    [(True, False, True), (False, False, False), (True, True, False)],
    ids=["topic-can-run-online", "topic-cannot", "already-online"],
)
def test_the_unfilled_notice_suggests_online_only_when_it_could_help(
    make_topic,
    add_trainer,
    submit,
    organisers,
    mailbox,
    online_capable,
    is_online,
    suggests_online,
):
    topic = make_topic("Phone banking", online=online_capable)
    add_trainer("Ada", topic)
    training_request = submit(topic=topic, is_online=is_online)
    assert training_request.status == RequestStatus.OFFERED
    assert run("expire-offers", NOW + 48 * HOUR) == "1 offers expired"

    assert db.session.get(TrainingRequest, training_request.id).status == "unfilled"
    (message,) = [
        m for m in mailbox.to(organisers[0].email) if "No trainer" in m["Subject"]
    ]
    text = body(message)
    assert "propose other dates or times" in text
    assert ("run it online" in text) is suggests_online


# Reminders: 48 h and 2 h before, each once, on the same calendar event.


def test_reminders_go_48_and_2_hours_before_each_once(
    book, trainers, organisers, mailbox
):
    training_session = book()
    people = (trainers[0], *organisers)
    timeline = [
        (START - 48 * HOUR - MINUTE, "0 reminders sent"),
        (START - 48 * HOUR, "1 reminders sent"),
        (START - 48 * HOUR, "0 reminders sent"),
        (START - 3 * HOUR, "0 reminders sent"),
        (START - 2 * HOUR - MINUTE, "0 reminders sent"),
        (START - 2 * HOUR, "1 reminders sent"),
        (START - HOUR, "0 reminders sent"),
        (START + HOUR, "0 reminders sent"),
    ]
    for now, outcome in timeline:
        assert run("remind-sessions", now) == outcome, now

    training_session = db.session.get(TrainingSession, training_session.id)
    assert training_session.first_reminder_at == START - 48 * HOUR
    assert training_session.second_reminder_at == START - 2 * HOUR
    for person in people:
        assert (
            subjects(mailbox, person, "Reminder")
            == [reminder_subject(training_session)] * 2
        )
    for trainer in trainers[1:]:
        assert subjects(mailbox, trainer, "Reminder") == []


def test_the_reminder_lands_on_the_same_calendar_event_in_both_clients(
    book, trainers, organisers, mailbox
):
    calendar_parsers.require_parsers()
    training_session = book()
    run("remind-sessions", START - 48 * HOUR)
    for person in (trainers[0], *organisers):
        message = mailbox.to(person.email)[-1]
        assert message["Subject"].strip() == reminder_subject(training_session)
        text = body(message)
        assert "Hastings Library, TN34 1AA" in text  # venue
        assert "Ada <ada@example.org>" in text  # contact
        assert "Olive Organiser <olive@example.org>" in text
        assert f"/sessions/{training_session.id}" in text
        ics = calendar_ics(message)
        assert b"\r\nMETHOD:REQUEST\r\n" in ics
        for parser, reading in calendar_parsers.parse_with_all(ics).items():
            assert calendar_parsers.problems(reading) == [], parser
            assert reading["method"] == "REQUEST", parser
            (found,) = reading["events"]
            assert found["uid"] == training_session.ical_uid, parser
            assert found["sequence"] == 0, parser
            assert found["dtstart"] == "2027-06-15T09:00:00Z", parser
            assert found["status"] == "CONFIRMED", parser


def calendar_ics(message) -> bytes:
    """The text/calendar alternative, checked equal to the invite.ics attachment."""
    inline = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    attached = [p for p in message.walk() if p.get_filename() == "invite.ics"]
    assert len(inline) == len(attached) == 1
    assert attached[0].get_content_type() == "application/ics"
    assert inline[0].get_param("method") == "REQUEST"
    ics = inline[0].get_payload(decode=True)
    assert attached[0].get_payload(decode=True) == ics
    return ics


def test_a_session_booked_an_hour_before_gets_one_reminder_not_two(
    book, trainers, mailbox
):
    training_session = book(accepted_at=START - HOUR)
    assert run("remind-sessions", START - HOUR) == "1 reminders sent"
    assert run("remind-sessions", START - 30 * MINUTE) == "0 reminders sent"
    assert subjects(mailbox, trainers[0], "Reminder") == [
        reminder_subject(training_session)
    ]
    training_session = db.session.get(TrainingSession, training_session.id)
    assert training_session.first_reminder_at == START - HOUR
    assert training_session.second_reminder_at == START - HOUR


def test_a_session_booked_a_day_before_gets_one_reminder_now_and_one_2_hours_before(
    book, trainers, mailbox
):
    book(accepted_at=START - 24 * HOUR)
    assert run("remind-sessions", START - 24 * HOUR) == "1 reminders sent"
    assert run("remind-sessions", START - 3 * HOUR) == "0 reminders sent"
    assert run("remind-sessions", START - 2 * HOUR) == "1 reminders sent"
    assert len(subjects(mailbox, trainers[0], "Reminder")) == 2


def test_a_session_cancelled_after_its_reminder_was_due_but_before_the_job_ran(
    book, trainers, organisers, mailbox
):
    training_session = book()
    training_request = training_session.training_request
    # The 48-hour reminder became due at START - 48 h; the job is late.
    lifecycle.cancel_training_request(
        training_request, "Venue flooded", organisers[0], START - 47 * HOUR, True
    )
    db.session.commit()
    for now in (START - 47 * HOUR, START - 2 * HOUR, START - MINUTE):
        assert run("remind-sessions", now) == "0 reminders sent"
    for person in (trainers[0], *organisers):
        assert subjects(mailbox, person, "Reminder") == []
        assert len(subjects(mailbox, person, "Cancelled")) == 1
    training_session = db.session.get(TrainingSession, training_session.id)
    assert training_session.status == SessionStatus.CANCELLED
    assert training_session.first_reminder_at is None


def test_a_session_cancelled_while_the_job_runs_is_not_reminded(
    app, book, trainers, organisers, mailbox
):
    training_session = book()
    request_id, organiser_id = training_session.request_id, organisers[0].id

    def cancel() -> None:
        lifecycle.cancel_training_request(
            db.session.get(TrainingRequest, request_id),
            "Venue flooded",
            db.session.get(type(organisers[0]), organiser_id),
            START - 47 * HOUR,
            True,
        )

    # The job has chosen the session as due; the organiser cancels before its claim.
    with meanwhile(app, "UPDATE training_sessions SET first_reminder_at", cancel):
        assert run("remind-sessions", START - 47 * HOUR) == "0 reminders sent"
    assert subjects(mailbox, trainers[0], "Reminder") == []


def test_a_session_moved_after_its_first_reminder_is_reminded_again_from_the_new_time(
    book, trainers, organisers, mailbox
):
    calendar_parsers.require_parsers()
    training_session = book()
    run("remind-sessions", START - 48 * HOUR)
    moved = lifecycle.reschedule(
        training_session.training_request,
        MOVED_TO,
        MOVED_TO + 2 * HOUR,
        organisers[0],
        START - 47 * HOUR,
        confirmed=True,
    )
    db.session.commit()
    assert moved.kept_trainer and moved.training_session.id == training_session.id

    for now in (START - 47 * HOUR, START - 2 * HOUR, MOVED_TO - 48 * HOUR - MINUTE):
        assert run("remind-sessions", now) == "0 reminders sent", now
    assert run("remind-sessions", MOVED_TO - 48 * HOUR) == "1 reminders sent"
    assert run("remind-sessions", MOVED_TO - 2 * HOUR) == "1 reminders sent"
    assert run("remind-sessions", MOVED_TO - HOUR) == "0 reminders sent"

    training_session = db.session.get(TrainingSession, training_session.id)
    before = f"Reminder: Door-knocking and canvassing for Hastings Action, {format_datetime(START)}"
    after = reminder_subject(training_session)
    assert subjects(mailbox, trainers[0], "Reminder") == [before, after, after]
    ics = calendar_ics(mailbox.to(trainers[0].email)[-1])
    for parser, reading in calendar_parsers.parse_with_all(ics).items():
        (found,) = reading["events"]
        assert found["uid"] == training_session.ical_uid, parser
        assert found["sequence"] == training_session.ical_sequence == 1, parser
        assert found["dtstart"] == "2027-06-22T09:00:00Z", parser


def moving(training_session, organiser, now: datetime) -> Callable[[], None]:
    """The organiser moving the session to MOVED_TO at `now`, for `meanwhile`."""
    request_id, organiser_id = training_session.request_id, organiser.id

    def move() -> None:
        lifecycle.reschedule(
            db.session.get(TrainingRequest, request_id),
            MOVED_TO,
            MOVED_TO + 2 * HOUR,
            db.session.get(type(organiser), organiser_id),
            now,
            confirmed=True,
        )

    return move


def test_a_session_moved_away_while_the_job_runs_is_reminded_from_the_new_time(
    app, book, trainers, organisers, mailbox
):
    training_session = book()
    move = moving(training_session, organisers[0], START - 47 * HOUR)
    # The job has chosen the session as due; it is moved before the job claims it.
    with meanwhile(app, "UPDATE training_sessions SET first_reminder_at", move):
        assert run("remind-sessions", START - 47 * HOUR) == "0 reminders sent"
    assert subjects(mailbox, trainers[0], "Reminder") == []
    assert run("remind-sessions", MOVED_TO - 48 * HOUR) == "1 reminders sent"
    assert len(subjects(mailbox, trainers[0], "Reminder")) == 1


# After a session: asked 2 h after, again 72 h after, then "attendance unknown".


def test_follow_ups_ask_twice_then_mark_attendance_unknown_and_stop(
    book, trainers, organisers, mailbox
):
    training_session = book()
    people = (trainers[0], *organisers)
    timeline = [
        (END + 2 * HOUR - MINUTE, NOTHING),
        (END + 2 * HOUR, "0 marked unknown, 0 asked again, 1 asked"),
        (END + 2 * HOUR, NOTHING),
        (END + 72 * HOUR - MINUTE, NOTHING),
        (END + 72 * HOUR, "0 marked unknown, 1 asked again, 0 asked"),
        (END + 72 * HOUR, NOTHING),
        (END + 14 * DAY - MINUTE, NOTHING),
        (END + 14 * DAY, "1 marked unknown, 0 asked again, 0 asked"),
        (END + 15 * DAY, NOTHING),
        (END + 60 * DAY, NOTHING),
    ]
    for now, outcome in timeline:
        assert run("follow-up-sessions", now) == outcome, now

    topic_group = "how did Door-knocking and canvassing for Hastings Action go?"
    for person in people:
        asks = [s for s in subjects(mailbox, person) if "how did" in s]
        assert asks == [topic_group, f"Still needed: {topic_group}"]
        assert f"/sessions/{training_session.id}" in body(mailbox.to(person.email)[-1])
    training_session = db.session.get(TrainingSession, training_session.id)
    assert training_session.first_follow_up_at == END + 2 * HOUR
    assert training_session.second_follow_up_at == END + 72 * HOUR
    assert training_session.attendance_unknown_at == END + 14 * DAY


def test_a_session_moved_while_the_follow_up_job_runs_is_asked_about_after_it(
    app, book, trainers, organisers, mailbox
):
    training_session = book()
    # Not yet recorded, the session is put off to next week as the job runs.
    move = moving(training_session, organisers[0], END + 3 * HOUR)
    with meanwhile(app, "UPDATE training_sessions SET first_follow_up_at", move):
        assert run("follow-up-sessions", END + 3 * HOUR) == NOTHING
    assert [s for s in subjects(mailbox, trainers[0]) if "how did" in s] == []
    assert run("follow-up-sessions", MOVED_TO + 4 * HOUR - MINUTE) == NOTHING
    assert (
        run("follow-up-sessions", MOVED_TO + 4 * HOUR)
        == "0 marked unknown, 0 asked again, 1 asked"
    )


def test_a_scheduler_back_after_days_off_asks_once_per_run(book, trainers, mailbox):
    book()
    back = END + 5 * DAY  # the scheduler was off from before the session ended
    assert run("follow-up-sessions", back) == "0 marked unknown, 0 asked again, 1 asked"
    assert run("follow-up-sessions", back + MINUTE) == NOTHING
    assert run("follow-up-sessions", back + 70 * HOUR - MINUTE) == NOTHING
    assert (
        run("follow-up-sessions", back + 70 * HOUR)
        == "0 marked unknown, 1 asked again, 0 asked"
    )
    asks = [s for s in subjects(mailbox, trainers[0]) if "how did" in s]
    assert len(asks) == 2 and asks[1].startswith("Still needed")


@pytest.mark.parametrize("status", [SessionStatus.DELIVERED, SessionStatus.CANCELLED])
def test_a_session_with_attendance_recorded_or_cancelled_is_never_chased(
    book, trainers, mailbox, status
):
    training_session = book()
    training_session.status = status
    db.session.commit()
    for now in (END + 2 * HOUR, END + 72 * HOUR, END + 14 * DAY):
        assert run("follow-up-sessions", now) == NOTHING
    assert [s for s in subjects(mailbox, trainers[0]) if "how did" in s] == []
    assert (
        db.session.get(TrainingSession, training_session.id).attendance_unknown_at
        is None
    )


# Running a job by hand beside the scheduler (`scheduler run-job`).


def test_two_first_runs_of_a_job_at_once_both_run_and_are_recorded(app):
    job = scheduler.job_by_id("expire-offers")

    def run_by_hand() -> None:
        scheduler.run_job(job, NOW)

    # The other run records itself between this run's lookup and its insert.
    with meanwhile(app, "INSERT INTO scheduler_jobs", run_by_hand):
        scheduler.run_job(job, NOW + MINUTE)
    db.session.expire_all()
    record = db.session.get(SchedulerJob, "expire-offers")
    assert (record.last_ok, record.last_started_at) == (True, NOW + MINUTE)


def test_a_run_reports_its_own_outcome_when_another_run_finishes_after_it(app):
    def job(outcome: str) -> scheduler.Job:
        return scheduler.Job("expire-offers", "Expire", lambda now: outcome, "X")

    mine = scheduler.run_job(job("0 offers expired"), NOW)
    # Another process's run of the job finishes before `run-job` prints `mine`.
    elsewhere(app, lambda: scheduler.run_job(job("9 offers expired"), NOW))
    assert (mine.last_ok, mine.last_outcome) == (True, "0 offers expired")


# The office's weekly digest.

DIGEST_AT = datetime(2027, 6, 7, 7, tzinfo=UTC)  # Monday 08:00 BST
WEEK_AGO = DIGEST_AT - 7 * DAY


def add_request(group, topic, status, created_at) -> TrainingRequest:
    training_request = TrainingRequest(
        group=group,
        topic=topic,
        status=status,
        expected_attendance=10,
        venue_postcode="TN34 1AA",
        created_at=created_at,
        status_changed_at=created_at,
        slots=[RequestSlot(starts_at=START, ends_at=END)],
    )
    db.session.add(training_request)
    db.session.flush()
    return training_request


def add_session(group, topic, trainer, status, ends_at) -> TrainingSession:
    training_request = add_request(group, topic, "booked", WEEK_AGO - 60 * DAY)
    training_session = TrainingSession(
        request_id=training_request.id,
        trainer_id=trainer.id,
        group_id=group.id,
        topic_id=topic.id,
        status=status,
        starts_at=ends_at - 2 * HOUR,
        ends_at=ends_at,
        ical_uid=f"digest-{training_request.id}@test",
    )
    db.session.add(training_session)
    return training_session


def add_email(status: str) -> None:
    db.session.add(
        OutboxMessage(
            to_address="someone@example.org",
            subject="Anything",
            kind="invitation",
            body="Hello",
            message_id="<anything@example.org>",
            status=status,
        )
    )


@pytest.fixture
def digest_week(make_group, make_topic, make_trainer, organisers, group):
    """A hand-built week: 3 new requests, 2 bookings, 2 sessions delivered,
    4 requests unfilled (2 in the South East), 2 failed emails; and what does
    not count beside each."""
    topic = make_topic("Phone banking")
    trainer = make_trainer("tia@example.org", topics=[topic])
    manchester = make_group("Manchester Tenants", "M1")
    leeds = make_group("Leeds Renters", "LS1")
    add_request(group, topic, "submitted", DIGEST_AT - DAY)
    add_request(manchester, topic, "offered", WEEK_AGO + MINUTE)
    add_request(leeds, topic, "unfilled", WEEK_AGO)  # new, and unfilled
    add_request(group, topic, "unfilled", WEEK_AGO - MINUTE)
    add_request(group, topic, "unfilled", WEEK_AGO - 30 * DAY)
    add_request(manchester, topic, "unfilled", WEEK_AGO - 20 * DAY)
    add_request(manchester, topic, "cancelled", WEEK_AGO - 20 * DAY)
    old = add_request(leeds, topic, "booked", WEEK_AGO - 20 * DAY)
    for action, at in (
        ("booked", DIGEST_AT - 2 * DAY),
        ("booked", WEEK_AGO + HOUR),
        ("booked", WEEK_AGO - HOUR),
        ("offered", DIGEST_AT - DAY),
    ):
        db.session.add(RequestEvent(request_id=old.id, action=action, at=at))
    for status, ends_at in (
        ("booked", DIGEST_AT - DAY),  # attendance not yet recorded: it happened
        ("delivered", DIGEST_AT - 5 * DAY),
        ("cancelled", DIGEST_AT - 2 * DAY),
        ("booked", DIGEST_AT + DAY),
        ("delivered", WEEK_AGO - DAY),
    ):
        add_session(group, topic, trainer, status, ends_at)
    for status in ("failed", "failed", "sent", "pending"):
        add_email(status)
    db.session.commit()


def digest_lines(message) -> list[str]:
    return [line for line in body(message).splitlines() if line.startswith("- ")]


def test_the_digest_figures_match_a_hand_built_week(digest_week, office, mailbox):
    assert (
        run("weekly-digest", DIGEST_AT) == "digest for the week of 2027-06-07 sent to 2"
    )
    (message,) = mailbox.to(office[0].email)
    assert message["Subject"] == "Trainers' Network this week (Mon 7 Jun 2027)"
    assert digest_lines(message) == [
        "- new requests: 3",
        "- booked: 2",
        "- delivered sessions: 2",
        "- unfilled now: 4",
        "- failed emails: 2",
        "- South East: 2",
        "- North West: 1",
        "- Yorkshire and The Humber: 1",
    ]
    assert "http://localhost/" in body(message)


def test_the_digest_goes_once_a_week_to_each_active_office_user(
    office, retired_office, organisers, mailbox
):
    wednesday = DIGEST_AT + 2 * DAY
    assert (
        run("weekly-digest", DIGEST_AT) == "digest for the week of 2027-06-07 sent to 2"
    )
    assert (
        run("weekly-digest", DIGEST_AT)
        == "digest for the week of 2027-06-07 already sent"
    )
    assert (
        run("weekly-digest", wednesday)
        == "digest for the week of 2027-06-07 already sent"
    )
    for person in office:
        assert subjects(mailbox, person) == [
            "Trainers' Network this week (Mon 7 Jun 2027)"
        ]
        (message,) = mailbox.to(person.email)
        assert "- nowhere: every request has a trainer" in body(message)
    assert mailbox.to(retired_office.email) == []
    assert all(mailbox.to(o.email) == [] for o in organisers)

    assert run("weekly-digest", DIGEST_AT + 7 * DAY) == (
        "digest for the week of 2027-06-14 sent to 2"
    )
    assert len(subjects(mailbox, office[1])) == 2
    weeks = db.session.scalars(select(WeeklyDigest.week_of).order_by("week_of"))
    assert list(weeks) == [date(2027, 6, 7), date(2027, 6, 14)]


@pytest.mark.parametrize(
    ("after", "fires_at"),
    [
        # Winter: GMT, so 08:00 London is 08:00 UTC.
        (datetime(2026, 11, 24, 12, tzinfo=UTC), datetime(2026, 11, 30, 8, tzinfo=UTC)),
        # Summer: BST, so 08:00 London is 07:00 UTC.
        (datetime(2027, 6, 1, 12, tzinfo=UTC), datetime(2027, 6, 7, 7, tzinfo=UTC)),
        # The Mondays after each clock change.
        (datetime(2027, 3, 27, 12, tzinfo=UTC), datetime(2027, 3, 29, 7, tzinfo=UTC)),
        (datetime(2027, 10, 30, 12, tzinfo=UTC), datetime(2027, 11, 1, 8, tzinfo=UTC)),
        # Just before and just after a Monday's run.
        (datetime(2027, 6, 7, 6, 59, tzinfo=UTC), datetime(2027, 6, 7, 7, tzinfo=UTC)),
        (
            datetime(2027, 6, 7, 7, 0, 1, tzinfo=UTC),
            datetime(2027, 6, 14, 7, tzinfo=UTC),
        ),
    ],
)
def test_the_digest_fires_on_monday_at_0800_london_time(app, after, fires_at):
    """The job runs every SCHEDULER_DIGEST_SECONDS and sends at its first run from
    Monday 08:00 London (a late start: tests/scheduler/test_digest_catch_up.py)."""
    app.config["SCHEDULER_DIGEST_SECONDS"] = 3600  # hourly keeps the walk short
    every = timedelta(hours=1)
    job = scheduler.job_by_id("weekly-digest")
    trigger = scheduler.trigger(job, app.config, after)
    job.run(after)  # a scheduler running all along has sent any digest due by now
    sent_at, run_at = [], trigger.get_next_fire_time(None, after)
    for _ in range(24 * 15):  # every run for two weeks, at most
        if job.run(run_at).endswith(" sent to 0"):
            sent_at.append(run_at)
            if len(sent_at) == 2:
                break
        run_at = trigger.get_next_fire_time(run_at, run_at + MINUTE)
    assert fires_at <= sent_at[0] < fires_at + every
    # A week later it goes again from 08:00 London, across any clock change.
    following = to_local(sent_at[1])
    assert following.weekday() == 0
    assert time(8) <= following.time() < time(9)


def test_the_digest_run_at_its_trigger_time_is_for_that_monday(app, office, mailbox):
    for fires_at in (
        datetime(2026, 11, 30, 8, tzinfo=UTC),
        datetime(2027, 6, 7, 7, tzinfo=UTC),
    ):
        week_of = fires_at.date().isoformat()
        assert (
            run("weekly-digest", fires_at)
            == f"digest for the week of {week_of} sent to 2"
        )


def test_interval_jobs_run_every_configured_number_of_seconds(app):
    app.config["SCHEDULER_SESSIONS_SECONDS"] = 7
    started_at = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # the clocks go forward
    job = scheduler.job_by_id("remind-sessions")
    trigger = scheduler.trigger(job, app.config, started_at)
    first = trigger.get_next_fire_time(None, started_at)
    assert first == started_at
    assert trigger.get_next_fire_time(first, first) == first + timedelta(seconds=7)
