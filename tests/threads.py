"""Racing real threads on PostgreSQL: each runs in an app context of its own, so
with its own database session and connection, and commits or rolls back as a
view would; a barrier releases them together so the calls really overlap."""

import threading
from collections.abc import Callable, Iterator

from flask import Flask

from trainers import create_app
from trainers.extensions import db

# Threads at once, at most: the pool holds a connection for each.
MOST_THREADS = 24
WAIT_SECONDS = 60

Job = Callable[[Callable[[], object]], object]
Outcome = tuple[str, object]


def app_for_threads(app: Flask) -> Iterator[Flask]:
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
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "pool_size": MOST_THREADS + 4,
        "max_overflow": 0,
    }
    other = create_app(settings)
    yield other
    with other.app_context():
        db.engine.dispose()


def run_job(threads_app: Flask, job: Job, wait: Callable[[], object]) -> Outcome:
    """Run one job in an app context (so a session and connection) of its own,
    committing or rolling back as a view would: ("ok", value) or ("error", error).
    The job calls `wait()` just before the service it races on."""
    with threads_app.app_context():
        try:
            value = job(wait)
            db.session.commit()
            return "ok", value
        except Exception as error:  # every outcome is recorded and checked
            db.session.rollback()
            return "error", error


def run_at_once(threads_app: Flask, jobs: list[Job]) -> list[Outcome]:
    """Run each job in a thread of its own, all released together by a barrier;
    their outcomes in order."""
    barrier = threading.Barrier(len(jobs), timeout=WAIT_SECONDS)
    results: list[Outcome | None] = [None] * len(jobs)

    def work(index: int, job: Job) -> None:
        results[index] = run_job(threads_app, job, barrier.wait)

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
