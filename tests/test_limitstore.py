"""The rate-limit counters in our own database: fixed windows on the app's
clock, committed at once so a rolled-back request still counts, and shared by
every worker process on the same database (proven on PostgreSQL with three
processes, and with threads hitting one key at once)."""

import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from config import ROOT, Config
from tests.threads import run_at_once
from trainers import scheduler
from trainers.auth.models import User
from trainers.extensions import db
from trainers.limits import allow
from trainers.limitstore import DatabaseStorage, RateLimitCounter
from trainers.timeutil import utcnow


@pytest.fixture
def storage(app, clock) -> DatabaseStorage:
    return DatabaseStorage("database://")


def test_a_window_counts_until_it_ends_then_starts_again(storage, clock):
    start = utcnow()
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3
    assert storage.get_expiry("k") == (start + timedelta(seconds=60)).timestamp()
    clock.advance(timedelta(seconds=59))
    assert storage.incr("k", 60) == 4, "the window opened at the first hit"
    clock.advance(timedelta(seconds=1))
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1
    assert storage.get_expiry("k") == (utcnow() + timedelta(seconds=60)).timestamp()
    assert storage.incr("other", 60, amount=5) == 5


def test_a_count_survives_the_request_being_rolled_back(storage):
    db.session.execute(select(func.count()).select_from(User))  # a request's work
    storage.incr("k", 60)
    db.session.rollback()
    assert storage.get("k") == 1


def test_clear_reset_and_the_job_forgetting_ended_windows(storage, clock):
    storage.incr("a", 60)
    storage.incr("b", 600)
    storage.clear("a")
    assert storage.get("a") == 0 and storage.get("b") == 1
    storage.incr("a", 60)
    clock.advance(timedelta(seconds=60))
    run = scheduler.run_job(scheduler.job_by_id("forget-rate-limits"), utcnow())
    assert run.last_outcome == "forgot 1 counts and 0 sign-in failures"
    assert db.session.scalars(select(RateLimitCounter.key)).all() == ["b"]
    assert storage.reset() == 1
    assert storage.check()


def test_allow_counts_every_limit_of_a_setting(app, clock):
    app.config["RATELIMIT_RESET_EMAILS"] = "2/minute;3/hour"
    assert [allow("RATELIMIT_RESET_EMAILS", "ann") for _ in range(3)] == [
        True,
        True,
        False,
    ]
    assert allow("RATELIMIT_RESET_EMAILS", "bob")
    longest = "a" * 64 + "@" + "b" * 185 + ".org"  # 254 characters, the most
    assert allow("RATELIMIT_RESET_EMAILS", longest)
    keys = db.session.scalars(select(RateLimitCounter.key)).all()
    assert not any("ann" in key or "bob" in key for key in keys), "no address kept"
    clock.advance(timedelta(minutes=1))
    assert allow("RATELIMIT_RESET_EMAILS", "ann") is False, "3 an hour, still"


# One web worker: its own process, app and connection pool.
WORKER = """
import sys
from trainers import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "TESTING": True})
browser = app.test_client()
print(*(browser.get("/calendar/none.ics").status_code for _ in range(40)))
"""


@pytest.mark.postgres_only
@pytest.mark.slow
def test_three_worker_processes_count_against_one_limit(app):
    """Three processes on one database, as gunicorn workers or hosts, fetch a
    feed 40 times each from one client: the 60 a minute allowed get through
    between them, and the rest are refused."""
    assert Config.RATELIMIT_CALENDAR_FEED == "60/minute"
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    workers = [
        subprocess.Popen(  # noqa: S603 - this interpreter, our own script
            [sys.executable, "-c", WORKER, url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    answers = [worker.communicate(timeout=120)[0].split() for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0]
    statuses = sorted(int(status) for each in answers for status in each)
    assert statuses == [404] * 60 + [429] * 60
    assert db.session.scalar(select(RateLimitCounter.hits)) == 120


@pytest.mark.postgres_only
@pytest.mark.slow
def test_hits_at_once_each_count_once(threads_app):
    storage = DatabaseStorage("database://")

    def hit(wait):
        wait()
        return storage.incr("shared", 60)

    outcomes = run_at_once(threads_app, [hit] * 20)
    assert sorted(value for _, value in outcomes) == list(range(1, 21))
