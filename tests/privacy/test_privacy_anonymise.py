"""Attendees' names and emails go ATTENDEE_RETENTION_MONTHS calendar months (on
the London clock) after their session ended: once, in batches, however many
schedulers run, and every person still counts."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from trainers import scheduler
from trainers.attendance.models import Attendance, Attendee
from trainers.audit import AuditEntry
from trainers.extensions import db
from trainers.privacy.jobs import ANONYMISED, anonymise_attendees, retention_cutoff

SECOND = timedelta(seconds=1)


@pytest.fixture
def roster(people, make_session):
    """A session ending at `ends_at` with `count` named people on its roster."""

    def make(ends_at: datetime, count: int = 3, headcount: int = 20) -> int:
        training_session = make_session(
            people.trainer, people.group, people.topic, ends_at - timedelta(hours=2)
        )
        db.session.add(
            Attendance(
                session_id=training_session.id,
                headcount=headcount,
                people_count=max(headcount, count),
            )
        )
        db.session.flush()
        db.session.add_all(
            Attendee(
                session_id=training_session.id,
                name=f"Person {n}",
                email=f"person{n}.{training_session.id}@example.org",
                consent_given_at=ends_at,
            )
            for n in range(count)
        )
        db.session.commit()
        return training_session.id

    return make


def named(session_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(
            Attendee.session_id == session_id,
            Attendee.name.is_not(None),
            Attendee.email.is_not(None),
            Attendee.anonymised_at.is_(None),
        )
    )


def people_counted() -> dict[int, tuple[int, int]]:
    rows = db.session.execute(
        select(Attendance.session_id, Attendance.headcount, Attendance.people_count)
    )
    return {session_id: (head, people) for session_id, head, people in rows}


def audit_details() -> list[tuple]:
    return list(
        db.session.execute(
            select(AuditEntry.actor_id, AuditEntry.action, AuditEntry.detail).order_by(
                AuditEntry.id
            )
        ).tuples()
    )


def test_names_go_exactly_twelve_months_after_the_session_ended(app, roster):
    ended = datetime(2026, 1, 20, 19, 30, tzinfo=UTC)  # 19:30 in London (GMT)
    session_id = roster(ended)
    due = datetime(2027, 1, 20, 19, 30, tzinfo=UTC)
    assert (
        anonymise_attendees(due - SECOND)
        == "0 attendees anonymised; names removed from 0 reports"
    )
    assert named(session_id) == 3
    assert (
        anonymise_attendees(due)
        == "3 attendees anonymised; names removed from 0 reports"
    )
    assert named(session_id) == 0
    (entry,) = audit_details()
    assert entry[:2] == (None, ANONYMISED)
    assert entry[2].startswith("anonymised 3 attendees")


def test_months_are_counted_on_the_london_clock(app, roster):
    # Ended 11:30 on 28 October 2026 in London (GMT: clocks went back on the 25th).
    # Twelve London months later is 11:30 on 28 October 2027, still in summer
    # time (clocks go back on the 31st), which is 10:30 UTC; counting in UTC
    # months would wait until 11:30 UTC.
    session_id = roster(datetime(2026, 10, 28, 11, 30, tzinfo=UTC))
    due = datetime(2027, 10, 28, 10, 30, tzinfo=UTC)
    anonymise_attendees(due - SECOND)
    assert named(session_id) == 3
    anonymise_attendees(due)
    assert named(session_id) == 0


@pytest.mark.parametrize(
    ("now", "months", "cutoff"),
    [
        # The last day of a shorter month stands in for a day it lacks.
        (
            datetime(2027, 8, 31, 11, tzinfo=UTC),
            6,
            datetime(2027, 2, 28, 12, tzinfo=UTC),
        ),
        (
            datetime(2029, 2, 28, 12, tzinfo=UTC),
            12,
            datetime(2028, 2, 28, 12, tzinfo=UTC),
        ),
        (
            datetime(2029, 3, 1, 12, tzinfo=UTC),
            12,
            datetime(2028, 3, 1, 12, tzinfo=UTC),
        ),
        # Across the new year, in summer time.
        (
            datetime(2027, 5, 15, 9, tzinfo=UTC),
            18,
            datetime(2025, 11, 15, 10, tzinfo=UTC),
        ),
    ],
)
def test_the_cutoff_is_whole_calendar_months_back_in_london(now, months, cutoff):
    assert retention_cutoff(now, months) == cutoff


def test_the_retention_period_is_a_setting(app, roster):
    session_id = roster(datetime(2026, 1, 20, 19, 30, tzinfo=UTC))
    app.config["ATTENDEE_RETENTION_MONTHS"] = 3
    anonymise_attendees(datetime(2026, 4, 20, 19, 30, tzinfo=UTC))
    assert named(session_id) == 0


def test_running_again_changes_nothing_and_everyone_still_counts(app, roster):
    old, recent = (
        roster(datetime(2025, 3, 1, tzinfo=UTC), 4, headcount=2),
        roster(datetime(2026, 9, 1, tzinfo=UTC)),
    )
    counted = people_counted()
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert (
        anonymise_attendees(now)
        == "4 attendees anonymised; names removed from 0 reports"
    )
    stamped = db.session.scalars(select(Attendee.anonymised_at)).all()
    entries = audit_details()
    assert (
        anonymise_attendees(now + timedelta(days=1))
        == "0 attendees anonymised; names removed from 0 reports"
    )
    assert db.session.scalars(select(Attendee.anonymised_at)).all() == stamped
    assert audit_details() == entries
    assert (named(old), named(recent)) == (0, 3)
    # The rows stay, so the roster still counts: 4 people though 2 were counted.
    assert people_counted() == counted
    assert counted[old] == (2, 4)
    assert db.session.scalar(select(func.count()).select_from(Attendee)) == 7


def test_work_is_done_in_batches_each_audited(app, roster):
    roster(datetime(2025, 3, 1, tzinfo=UTC), 5)
    result = anonymise_attendees(datetime(2027, 1, 1, tzinfo=UTC), batch_size=2)
    assert result == "5 attendees anonymised; names removed from 0 reports"
    assert [detail.split(" of ")[0] for _, _, detail in audit_details()] == [
        "anonymised 2 attendees",
        "anonymised 2 attendees",
        "anonymised 1 attendees",
    ]


def test_the_scheduler_runs_it_on_its_own_interval(app, roster):
    session_id = roster(datetime(2025, 3, 1, tzinfo=UTC))
    job = scheduler.job_by_id("anonymise-attendees")
    assert job.every == "SCHEDULER_PRIVACY_SECONDS"
    assert app.config["SCHEDULER_PRIVACY_SECONDS"] == 86400
    assert app.config["ATTENDEE_RETENTION_MONTHS"] == 12
    record = scheduler.run_job(job, datetime(2027, 1, 1, tzinfo=UTC))
    assert (record.last_ok, record.last_outcome) == (
        True,
        "3 attendees anonymised; names removed from 0 reports",
    )
    assert named(session_id) == 0


@pytest.mark.postgres_only
def test_two_schedulers_at_once_anonymise_each_person_once(app, roster):
    """Both runs pick the same batch before either updates it; the conditional
    UPDATE lets exactly one of them have each row."""
    for month in (1, 2, 3):
        roster(datetime(2025, month, 1, tzinfo=UTC), 20)
    times = [
        datetime(2027, 1, 1, tzinfo=UTC),
        datetime(2027, 1, 1, 0, 0, 1, tzinfo=UTC),
    ]
    picked_together = threading.Barrier(2)
    waited = threading.local()
    results, failures = {}, []

    def before(connection, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE attendees") and not getattr(
            waited, "done", False
        ):
            waited.done = True
            picked_together.wait(10)

    def run(now: datetime) -> None:
        with app.app_context():
            try:
                results[now] = anonymise_attendees(now, batch_size=25)
            except Exception as error:  # noqa: BLE001 - re-raised below
                failures.append(error)
            finally:
                db.session.remove()

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        threads = [threading.Thread(target=run, args=(now,)) for now in times]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert failures == []
    db.session.expire_all()
    by_run = dict(
        db.session.execute(
            select(Attendee.anonymised_at, func.count()).group_by(
                Attendee.anonymised_at
            )
        ).all()
    )
    reported = {now: int(result.split()[0]) for now, result in results.items()}
    # Each run reports exactly the rows it stamped, and together every row once.
    assert reported == {now: by_run.get(now, 0) for now in times}
    assert sum(reported.values()) == 60 and None not in by_run
    audited = sum(
        int(detail.split()[1])
        for _, action, detail in audit_details()
        if action == ANONYMISED
    )
    assert audited == 60


def test_their_names_also_go_from_their_sessions_reports_and_ratings(app, roster):
    old, recent = (
        roster(datetime(2025, 3, 1, tzinfo=UTC), 0),
        roster(datetime(2026, 9, 1, tzinfo=UTC), 0),
    )
    for session_id in (old, recent):
        db.session.add_all(
            Attendee(
                session_id=session_id,
                name=name,
                email=address,
                consent_given_at=datetime(2025, 3, 1, tzinfo=UTC),
            )
            for name, address in (("Priya Patel", "priya@example.org"), ("Sam", None))
        )
        report = db.session.get(Attendance, session_id)
        report.went_well = "Priya Patel and Sam asked for more; Samantha too"
        report.follow_up_requested = "Send the slides to PRIYA@example.org"
        report.rating_comment = "Thanks to priya  patel"
    db.session.commit()

    outcome = anonymise_attendees(datetime(2027, 1, 1, tzinfo=UTC))

    report = db.session.get(Attendance, old)
    assert report.went_well == (
        "Erased person and Erased person asked for more; Samantha too"
    )
    assert report.follow_up_requested == "Send the slides to [erased address]"
    assert report.rating_comment == "Thanks to Erased person"
    # A session still within the retention period keeps its report as written.
    assert db.session.get(Attendance, recent).went_well.startswith("Priya Patel")
    assert outcome == "2 attendees anonymised; names removed from 1 reports"
    (entry,) = audit_details()
    assert entry[2].endswith("their names removed from 1 reports and ratings")
