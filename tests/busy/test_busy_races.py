"""Two schedulers at once, and matching reading while a feed is replaced,
proven with real threads on PostgreSQL: a failing feed's trainer is emailed
once, and a reader sees the old busy times or the new, never a mix or none."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.board.conftest import NOW
from tests.threads import run_at_once
from trainers.busy import services
from trainers.busy.fetching import Fetched
from trainers.busy.models import BusyFeed, BusyInterval
from trainers.extensions import db
from trainers.outbox.models import OutboxMessage

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

ROUNDS = 10


def times(first_day: int, count: int) -> list[tuple[datetime, datetime]]:
    start = datetime(2027, 6, first_day, 17, tzinfo=UTC)
    return [
        (start + timedelta(days=n), start + timedelta(days=n, hours=1))
        for n in range(count)
    ]


def failing(feed_id: int):
    def job(wait):
        feed = db.session.get(BusyFeed, feed_id)
        wait()
        services.record_failure(feed, "The calendar's server answered 500.", NOW)

    return job


def test_two_schedulers_failing_one_feed_at_once_email_its_trainer_once(
    threads_app, world
):
    feed = services.set_feed(world.priya.id, "http://127.0.0.1:9/cal.ics", NOW)
    db.session.commit()
    for round_ in range(ROUNDS):
        results = run_at_once(threads_app, [failing(feed.id), failing(feed.id)])

        assert [outcome for outcome, _ in results] == ["ok", "ok"], results
        emails = db.session.scalar(
            select(func.count()).where(OutboxMessage.kind == "busy_feed_failing")
        )
        assert emails == round_ + 1
        # A good read between rounds: the next failure is news again.
        services.record_read(feed, Fetched(None, None, None), None, NOW)
        db.session.commit()


def replacing(feed_id: int, new: list[tuple[datetime, datetime]]):
    def job(wait):
        feed = db.session.get(BusyFeed, feed_id)
        wait()
        services.record_read(feed, Fetched(b"", None, None), new, NOW)

    return job


def counting(trainer_id: int):
    def job(wait):
        wait()
        seen = []
        for _ in range(30):
            seen.append(
                db.session.scalar(
                    select(func.count()).where(BusyInterval.trainer_id == trainer_id)
                )
            )
            db.session.commit()  # a fresh snapshot for the next look
        return seen

    return job


def test_a_reader_sees_the_old_busy_times_or_the_new_never_a_mix(threads_app, world):
    feed = services.set_feed(world.priya.id, "http://127.0.0.1:9/cal.ics", NOW)
    db.session.commit()
    sizes = [20, 7]
    services.record_read(feed, Fetched(b"", None, None), times(1, 20), NOW)
    db.session.commit()
    for round_ in range(ROUNDS):
        new = sizes[(round_ + 1) % 2]
        results = run_at_once(
            threads_app,
            [replacing(feed.id, times(2, new)), counting(world.priya.id)],
        )

        assert results[0] == ("ok", None), results
        assert set(results[1][1]) <= set(sizes), results[1]
        assert db.session.scalar(select(func.count(BusyInterval.id))) == new
