"""Forgetting attendees: names and emails go once the retention period is over."""

import logging
from calendar import monthrange
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select, update

from trainers import audit
from trainers.attendance.models import Attendee
from trainers.extensions import db
from trainers.sessions.models import TrainingSession
from trainers.timeutil import to_local

logger = logging.getLogger(__name__)

ANONYMISED = "anonymised attendees"
BATCH_SIZE = 500


def retention_cutoff(now: datetime, months: int) -> datetime:
    """The instant `months` calendar months before `now` on the London clock
    (the same wall-clock time, on the month's last day if that is shorter)."""
    local = to_local(now)
    year, month = divmod(local.year * 12 + local.month - 1 - months, 12)
    day = min(local.day, monthrange(year, month + 1)[1])
    return local.replace(year=year, month=month + 1, day=day).astimezone(UTC)


def anonymise_attendees(now: datetime, batch_size: int = BATCH_SIZE) -> str:
    """Remove the name and email of everyone on the roster of a session that ended
    ATTENDEE_RETENTION_MONTHS or more ago; the rows stay, so counts do not change.

    Batch by batch, each committed with its audit entry. Each UPDATE takes only
    rows still named, so two schedulers at once anonymise each row once.
    """
    cutoff = retention_cutoff(now, current_app.config["ATTENDEE_RETENTION_MONTHS"])
    ended = select(TrainingSession.id).where(TrainingSession.ends_at <= cutoff)
    named = Attendee.anonymised_at.is_(None)
    total = 0
    while True:
        batch = db.session.scalars(
            select(Attendee.id)
            .where(named, Attendee.session_id.in_(ended))
            .order_by(Attendee.id)
            .limit(batch_size)
        ).all()
        if not batch:
            break
        done = db.session.execute(
            update(Attendee)
            .where(Attendee.id.in_(batch), named)
            .values(name=None, email=None, anonymised_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if done:
            audit.record(
                None,
                ANONYMISED,
                detail=f"anonymised {done} attendees of sessions that ended by "
                f"{cutoff.isoformat()}",
            )
        db.session.commit()
        total += done
    logger.info("Anonymised %s attendees (sessions ended by %s)", total, cutoff)
    return f"{total} attendees anonymised"
