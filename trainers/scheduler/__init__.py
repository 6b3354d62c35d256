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
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trainers.auth.services import forget_old_sign_in_failures
from trainers.auth.sign_ins import forget_ended
from trainers.board.news import email_new_requests
from trainers.busy.jobs import read_busy_feeds
from trainers.coverage.digest import weekly_digest
from trainers.coverage.jobs import fold_coverage
from trainers.extensions import db
from trainers.limitstore import forget_ended_windows
from trainers.matching.jobs import expire, nudge_offers
from trainers.outbox.jobs import clear_old_emails
from trainers.outbox.services import deliver_outbox
from trainers.privacy.jobs import anonymise_attendees
from trainers.scheduler.leader import LeaderLock, process_name
from trainers.scheduler.models import SchedulerJob, SchedulerLeader
from trainers.sessions.jobs import follow_up, nudge_meeting_links, send_reminders
from trainers.timeutil import utcnow
from trainers.webhooks.delivery import deliver_webhooks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: str
    title: str
    run: Callable[[datetime], object]
    # The setting that says every how many seconds it runs (and once at start-up).
    every: str


def _deliver_outbox(now: datetime) -> str:
    report = deliver_outbox(now)
    return f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}"


def _forget_rate_limits(now: datetime) -> str:
    counts, failures = forget_ended_windows(now), forget_old_sign_in_failures(now)
    return f"forgot {counts} counts and {failures} sign-in failures"


JOBS = (
    Job(
        "deliver-outbox",
        "Deliver email",
        _deliver_outbox,
        "SCHEDULER_OUTBOX_SECONDS",
    ),
    Job(
        "deliver-webhooks",
        "Deliver webhooks",
        deliver_webhooks,
        "SCHEDULER_WEBHOOKS_SECONDS",
    ),
    Job(
        "nudge-offers",
        "Nudge trainers about waiting offers",
        nudge_offers,
        "SCHEDULER_OFFERS_SECONDS",
    ),
    Job(
        "expire-offers",
        "Expire unanswered offers",
        expire,
        "SCHEDULER_OFFERS_SECONDS",
    ),
    Job(
        "board-news",
        "Email trainers who asked about new requests they could take (daily)",
        email_new_requests,
        # Checked often: each trainer is emailed at most a day after the last.
        "SCHEDULER_BOARD_NEWS_SECONDS",
    ),
    Job(
        "read-busy-feeds",
        "Read trainers' own calendars for their busy times",
        read_busy_feeds,
        "SCHEDULER_BUSY_FEEDS_SECONDS",
    ),
    Job(
        "remind-sessions",
        "Remind people before sessions",
        send_reminders,
        "SCHEDULER_SESSIONS_SECONDS",
    ),
    Job(
        "nudge-meeting-links",
        "Ask for online sessions' missing meeting links",
        nudge_meeting_links,
        "SCHEDULER_SESSIONS_SECONDS",
    ),
    Job(
        "follow-up-sessions",
        "Ask for attendance after sessions",
        follow_up,
        "SCHEDULER_SESSIONS_SECONDS",
    ),
    Job(
        "weekly-digest",
        "Weekly digest to the office (from Monday 08:00)",
        weekly_digest,
        # Checked often (and at start-up), not a Monday 08:00 cron: a week with
        # no leader at 08:00 (a deploy, a failover) still gets its digest, once.
        "SCHEDULER_DIGEST_SECONDS",
    ),
    Job(
        "anonymise-attendees",
        "Anonymise attendees after the retention period",
        anonymise_attendees,
        "SCHEDULER_PRIVACY_SECONDS",
    ),
    Job(
        "clear-old-emails",
        "Clear the text of old emails after the retention period",
        clear_old_emails,
        "SCHEDULER_PRIVACY_SECONDS",
    ),
    Job(
        "forget-rate-limits",
        "Forget rate-limit counts and sign-in failures that no longer count",
        _forget_rate_limits,
        "SCHEDULER_RATE_LIMITS_SECONDS",
    ),
    Job(
        "forget-ended-sign-ins",
        "Forget sign-ins that have run out",
        forget_ended,
        "SCHEDULER_PRIVACY_SECONDS",
    ),
    Job(
        "fold-coverage",
        "Fold coverage changes into the monthly counts",
        fold_coverage,
        "SCHEDULER_COVERAGE_SECONDS",
    ),
)


def job_by_id(job_id: str) -> Job:
    """The job with this id. Raises KeyError."""
    return next(job for job in JOBS if job.id == job_id)


@dataclass(frozen=True)
class JobRun:
    """What this run did (the shared SchedulerJob row may be another run's by now)."""

    job_id: str
    last_ok: bool
    last_outcome: str


def run_job(job: Job, now: datetime) -> JobRun:
    """Run one job now and record its outcome; an error is recorded, not raised."""
    record = _job_record(job.id)
    record.last_started_at = now
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
    return JobRun(job.id, ok, outcome)


def _job_record(job_id: str) -> SchedulerJob:
    """The job's record row, made on its first run (two first runs may race)."""
    record = db.session.get(SchedulerJob, job_id)
    if record is None:
        db.session.add(SchedulerJob(job_id=job_id))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # the other run made it
        record = db.session.get(SchedulerJob, job_id)
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
    started_at = utcnow()
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # we log each run
    for job in JOBS:
        # Each job runs once at start-up too: a restarted leader catches up.
        scheduler.add_job(
            _in_app(app, job),
            trigger(job, config, started_at),
            id=job.id,
            name=job.id,
            next_run_time=started_at,
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


def trigger(job: Job, config, start: datetime) -> BaseTrigger:
    """When the job runs: every so many seconds (its setting) from `start`."""
    return IntervalTrigger(seconds=config[job.every], start_date=start)


def _record_next_run(job: Job) -> None:
    now = utcnow()
    record = db.session.get(SchedulerJob, job.id)
    record.next_run_at = trigger(job, current_app.config, now).get_next_fire_time(
        None, now + timedelta(seconds=1)
    )
    db.session.commit()


def status() -> tuple[SchedulerLeader | None, list[tuple[Job, SchedulerJob | None]]]:
    """The leader and each job with its last recorded run."""
    records = {r.job_id: r for r in db.session.scalars(select(SchedulerJob))}
    return db.session.get(SchedulerLeader, 1), [
        (job, records.get(job.id)) for job in JOBS
    ]
