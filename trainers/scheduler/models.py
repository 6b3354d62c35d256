"""What the scheduler did: its leader and each job's last run, for people to read."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trainers.extensions import db


class SchedulerLeader(db.Model):
    """The one row naming the scheduler process that does the work."""

    __tablename__ = "scheduler_leader"

    id: Mapped[int] = mapped_column(primary_key=True)
    process: Mapped[str] = mapped_column(String(200))
    since: Mapped[datetime]
    seen_at: Mapped[datetime]


class SchedulerJob(db.Model):
    """One scheduled job's last run and outcome."""

    __tablename__ = "scheduler_jobs"

    job_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_outcome: Mapped[str | None] = mapped_column(Text)
    last_ok: Mapped[bool | None]
    next_run_at: Mapped[datetime | None]
