"""Forgetting attendees: names and emails go once the retention period is over,
from the roster and from what was written about the same session."""

import logging
from calendar import monthrange
from collections import defaultdict
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select, update

from trainers import audit
from trainers.attendance.models import Attendance, Attendee
from trainers.extensions import db
from trainers.privacy.free_text import SESSION_REPORTS
from trainers.privacy.mentions import Mentions
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
    ATTENDEE_RETENTION_MONTHS or more ago, there and in the session's report and
    rating comment; the rows stay, so counts do not change.

    Batch by batch, each committed with its audit entry. Each UPDATE takes only
    rows still named, so two schedulers at once anonymise each row once.
    """
    cutoff = retention_cutoff(now, current_app.config["ATTENDEE_RETENTION_MONTHS"])
    ended = select(TrainingSession.id).where(TrainingSession.ends_at <= cutoff)
    named = Attendee.anonymised_at.is_(None)
    total = reports = 0
    while True:
        batch = db.session.execute(
            select(Attendee.id, Attendee.session_id, Attendee.name, Attendee.email)
            .where(named, Attendee.session_id.in_(ended))
            .order_by(Attendee.id)
            .limit(batch_size)
        ).all()
        if not batch:
            break
        done = db.session.execute(
            update(Attendee)
            .where(Attendee.id.in_([row.id for row in batch]), named)
            .values(name=None, email=None, anonymised_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        scrubbed = _scrub_reports(batch)
        if done:
            audit.record(
                None,
                ANONYMISED,
                detail=f"anonymised {done} attendees of sessions that ended by "
                f"{cutoff.isoformat()}; their names removed from {scrubbed} "
                "reports and ratings",
            )
        db.session.commit()
        total += done
        reports += scrubbed
    logger.info(
        "Anonymised %s attendees (sessions ended by %s), %s reports scrubbed",
        total,
        cutoff,
        reports,
    )
    return f"{total} attendees anonymised; names removed from {reports} reports"


def _scrub_reports(attendees) -> int:
    """Remove the attendees' names and addresses from their own sessions' report
    and rating comment; the number of sessions changed. A second scheduler doing
    the same batch finds nothing left to change."""
    written = defaultdict(lambda: ([], []))
    for attendee in attendees:
        names, emails = written[attendee.session_id]
        names += [attendee.name] if attendee.name else []
        emails += [attendee.email] if attendee.email else []
    mentions = {session: Mentions(*both) for session, both in written.items()}
    changed = 0
    for attendance in db.session.scalars(
        select(Attendance).where(Attendance.session_id.in_(mentions))
    ):
        found = mentions[attendance.session_id]
        before = [getattr(attendance, column) for column in SESSION_REPORTS.columns]
        for column, text in zip(SESSION_REPORTS.columns, before, strict=True):
            if text:
                setattr(attendance, column, found.replace(text))
        changed += before != [
            getattr(attendance, column) for column in SESSION_REPORTS.columns
        ]
    db.session.flush()
    return changed
