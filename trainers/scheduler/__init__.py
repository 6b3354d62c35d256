"""The scheduler process: one leader runs every job; jobs are plain functions of `now`.

`flask --app wsgi scheduler run` starts a process that waits to lead, then runs
the jobs below with APScheduler (UTC, in-memory store, fixed ids, coalesced, one
instance at a time). Web workers never start it. Each job records its outcome in
our own tables, and each job is idempotent, so a restart or a second scheduler
never does anything twice.
"""

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from sqlalchemy import select

from trainers.extensions import db
from trainers.matching.services import expire_offers
from trainers.outbox.services import deliver_outbox
from trainers.scheduler.leader import LeaderLock, process_name
from trainers.scheduler.models import SchedulerJob, SchedulerLeader
from trainers.timeutil import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: str
    title: str
    run: Callable[[datetime], object]
    every_setting: str  # the config key holding its interval in seconds


def _expire_offers(now: datetime) -> str:
    expired = expire_offers(now)
    db.session.commit()
    return f"{expired} offers expired"


def _deliver_outbox(now: datetime) -> str:
    report = deliver_outbox(now)
    return f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}"


JOBS = (
    Job("deliver-outbox", "Deliver email", _deliver_outbox, "SCHEDULER_OUTBOX_SECONDS"),
    Job(
        "expire-offers",
        "Expire unanswered offers",
        _expire_offers,
        "SCHEDULER_OFFERS_SECONDS",
    ),
)


def job_by_id(job_id: str) -> Job:
    """The job with this id. Raises KeyError."""
    return next(job for job in JOBS if job.id == job_id)


def run_job(job: Job, now: datetime) -> SchedulerJob:
    """Run one job now and record its outcome; an error is recorded, not raised."""
    record = db.session.get(SchedulerJob, job.id) or SchedulerJob(job_id=job.id)
    record.last_started_at = now
    db.session.add(record)
    db.session.commit()
    try:
        outcome, ok = str(job.run(now)), True
    except Exception as error:  # noqa: BLE001 - a failing job must not stop the others
        db.session.rollback()
        logger.exception("Scheduled job %s failed", job.id)
        outcome, ok = f"failed: {type(error).__name__}: {error}"[:2000], False
    record = db.session.get(SchedulerJob, job.id)
    record.last_finished_at, record.last_outcome, record.last_ok = utcnow(), outcome, ok
    db.session.commit()
    logger.info("Job %s: %s", job.id, outcome)
    return record


def run_forever(app: Flask) -> None:
    """Wait to lead, then run every job on its interval until the process ends."""
    config = app.config
    with app.app_context():
        lock = LeaderLock(db.engine, Path(config["SCHEDULER_LOCK_FILE"]))
        while not lock.try_acquire():
            logger.info("Another scheduler leads; standing by")
            time.sleep(config["SCHEDULER_STANDBY_SECONDS"])
        _claim_leadership(process_name(), utcnow())
    logger.info("This scheduler (%s) now leads", process_name())
    scheduler = BlockingScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1}
    )
    for job in JOBS:
        scheduler.add_job(
            _in_app(app, job),
            "interval",
            seconds=config[job.every_setting],
            id=job.id,
            next_run_time=utcnow(),
        )
    scheduler.add_job(
        _heartbeat(app, lock),
        "interval",
        seconds=config["SCHEDULER_HEARTBEAT_SECONDS"],
        id="leader-heartbeat",
    )
    try:
        scheduler.start()
    finally:
        lock.release()


def _in_app(app: Flask, job: Job) -> Callable[[], None]:
    # APScheduler's threads have no app context: each run pushes its own.
    def run() -> None:
        with app.app_context():
            try:
                run_job(job, utcnow())
                _record_next_run(job)
            finally:
                db.session.remove()

    return run


def _heartbeat(app: Flask, lock: LeaderLock) -> Callable[[], None]:
    def beat() -> None:
        if not lock.still_held():
            logger.critical(
                "Scheduler lost its lock; exiting so a supervisor restarts it"
            )
            os._exit(3)
        with app.app_context():
            try:
                _claim_leadership(process_name(), utcnow())
            finally:
                db.session.remove()

    return beat


def _claim_leadership(process: str, now: datetime) -> None:
    leader = db.session.get(SchedulerLeader, 1)
    if leader is None:
        leader = SchedulerLeader(id=1, process=process, since=now, seen_at=now)
        db.session.add(leader)
    elif leader.process != process:
        leader.process, leader.since = process, now
    leader.seen_at = now
    db.session.commit()


def _record_next_run(job: Job) -> None:
    record = db.session.get(SchedulerJob, job.id)
    record.next_run_at = record.last_started_at + timedelta(
        seconds=current_app.config[job.every_setting]
    )
    db.session.commit()


def status() -> tuple[SchedulerLeader | None, list[tuple[Job, SchedulerJob | None]]]:
    """The leader and each job with its last recorded run."""
    records = {r.job_id: r for r in db.session.scalars(select(SchedulerJob))}
    return db.session.get(SchedulerLeader, 1), [
        (job, records.get(job.id)) for job in JOBS
    ]
