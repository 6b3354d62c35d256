"""The weekly digest survives a Monday 08:00 with no scheduler leading: it is
checked every few minutes (and at start-up) and goes out once per week, never
before Monday 08:00 on the London clock."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from trainers import scheduler
from trainers.coverage.models import WeeklyDigest
from trainers.extensions import db
from trainers.requests.models import RequestSlot, TrainingRequest

HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)
MONDAY = datetime(2027, 6, 7, 7, tzinfo=UTC)  # 08:00 BST
TUESDAY_START = MONDAY + timedelta(days=1, hours=3, minutes=17)
SLOT_AT = MONDAY + timedelta(days=30)


@pytest.fixture
def office(make_user):
    return [
        make_user("otto@example.org", "Otto Office", office=True),
        make_user("ola@example.org", "Ola Office", office=True),
    ]


def digest_subjects(mailbox, person) -> list[str]:
    return [
        m["Subject"]
        for m in mailbox.to(person.email)
        if m["Subject"].startswith("Trainers' Network this week")
    ]


def runs_from(app, started_at: datetime, until: datetime) -> list[datetime]:
    """When a scheduler started at `started_at` runs the digest: at start-up,
    then on its trigger."""
    job = scheduler.job_by_id("weekly-digest")
    trigger = scheduler.trigger(job, app.config, started_at)
    times, at = [started_at], trigger.get_next_fire_time(started_at, started_at)
    while at < until:
        times.append(at)
        at = trigger.get_next_fire_time(at, at + SECOND)
    return times


def test_the_digest_is_an_interval_job_so_a_new_leader_runs_it_at_once(app):
    job = scheduler.job_by_id("weekly-digest")
    # run_forever starts every interval job at start-up.
    assert job.every == "SCHEDULER_DIGEST_SECONDS"
    trigger = scheduler.trigger(job, app.config, MONDAY)
    first = trigger.get_next_fire_time(None, MONDAY)
    second = trigger.get_next_fire_time(first, first + SECOND)
    assert second - first == timedelta(seconds=app.config["SCHEDULER_DIGEST_SECONDS"])
    assert app.config["SCHEDULER_DIGEST_SECONDS"] <= 3600


def test_a_scheduler_that_starts_on_tuesday_still_sends_that_weeks_digest_once(
    app, office, mailbox
):
    app.config["SCHEDULER_DIGEST_SECONDS"] = 3600  # hourly keeps the walk short
    job = scheduler.job_by_id("weekly-digest")
    outcomes = {
        at: job.run(at) for at in runs_from(app, TUESDAY_START, MONDAY + 8 * 24 * HOUR)
    }
    sent = {at: text for at, text in outcomes.items() if "sent to" in text}
    assert sent == {
        TUESDAY_START: "digest for the week of 2027-06-07 sent to 2",
        # The next week's goes at the first run from Monday 08:00 BST.
        min(at for at in outcomes if at >= MONDAY + 7 * 24 * HOUR): (
            "digest for the week of 2027-06-14 sent to 2"
        ),
    }
    assert len(outcomes) > 150
    for person in office:
        assert digest_subjects(mailbox, person) == [
            "Trainers' Network this week (Mon 7 Jun 2027)",
            "Trainers' Network this week (Mon 14 Jun 2027)",
        ]


def test_two_leaders_in_turn_on_the_same_day_send_it_once(app, office, mailbox):
    job = scheduler.job_by_id("weekly-digest")
    assert job.run(MONDAY + HOUR) == "digest for the week of 2027-06-07 sent to 2"
    # The leader fails over; the new one runs the job at start-up.
    assert job.run(MONDAY + HOUR + 40 * SECOND) == (
        "digest for the week of 2027-06-07 already sent"
    )
    assert len(digest_subjects(mailbox, office[0])) == 1


@pytest.mark.parametrize(
    "due_at",
    [
        datetime(2026, 11, 30, 8, tzinfo=UTC),  # winter: GMT, 08:00 London is 08:00Z
        datetime(2027, 6, 7, 7, tzinfo=UTC),  # summer: BST, 08:00 London is 07:00Z
    ],
)
def test_nothing_goes_before_monday_0800_london(app, office, mailbox, due_at):
    job = scheduler.job_by_id("weekly-digest")
    week_of = due_at.date().isoformat()
    midnight = due_at - 8 * HOUR if due_at.hour == 8 else due_at - 7 * HOUR
    for early in (midnight, due_at - HOUR, due_at - SECOND):
        assert job.run(early) == (
            f"digest for the week of {week_of} not due until {due_at:%H:%M} UTC"
        )
    assert db.session.scalar(select(func.count()).select_from(WeeklyDigest)) == 0
    assert digest_subjects(mailbox, office[0]) == []
    assert job.run(due_at) == f"digest for the week of {week_of} sent to 2"


def test_a_late_digest_counts_the_seven_days_to_monday_0800(
    app, office, mailbox, make_group, make_topic
):
    group, topic = make_group(), make_topic()
    for created_at in (
        MONDAY - 8 * 24 * HOUR,  # the week before
        MONDAY - 7 * 24 * HOUR,  # the first moment of the week
        MONDAY - SECOND,  # its last
        MONDAY,  # next week's
        TUESDAY_START - HOUR,
    ):
        db.session.add(
            TrainingRequest(
                group=group,
                topic=topic,
                status="submitted",
                expected_attendance=10,
                venue_postcode="TN34 1AA",
                created_at=created_at,
                status_changed_at=created_at,
                slots=[RequestSlot(starts_at=SLOT_AT, ends_at=SLOT_AT + 2 * HOUR)],
            )
        )
    db.session.commit()
    job = scheduler.job_by_id("weekly-digest")
    assert job.run(TUESDAY_START) == "digest for the week of 2027-06-07 sent to 2"
    (message,) = mailbox.to(office[0].email)
    assert "- new requests: 2" in message.get_body(("plain",)).get_content()
