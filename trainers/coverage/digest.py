"""The office's weekly digest: what happened across the network, and where to look."""

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from trainers import mail
from trainers.auth.models import User
from trainers.coverage.models import WeeklyDigest
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.network.models import Group
from trainers.outbox.models import OutboxMessage, OutboxStatus
from trainers.requests.models import RequestEvent, RequestStatus, TrainingRequest
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import local_to_utc, to_local

# The digest is due from Monday at this time on the London clock.
DIGEST_DAY_CLOCK = time(8)


def weekly_digest(now: datetime) -> str:
    """Email the office the week's figures once it is past Monday 08:00 London,
    once per week however often or late it runs. Commits."""
    today = to_local(now).date()
    week_of = today - timedelta(days=today.weekday())
    due_at = local_to_utc(week_of, DIGEST_DAY_CLOCK)
    if now < due_at:
        return f"digest for the week of {week_of} not due until {due_at:%H:%M} UTC"
    if not _claim(week_of, now):
        return f"digest for the week of {week_of} already sent"
    # The seven days to Monday 08:00, even when sent late, so that each event is
    # counted in exactly one week's digest.
    figures = _week_figures(due_at - timedelta(days=7), due_at)
    cold_spots = _unfilled_by_region()
    office = db.session.scalars(
        select(User).where(User.is_office, User.is_active)
    ).all()
    for person in office:
        mail.send_email(
            person.email,
            "weekly_digest",
            person=person,
            week_of=week_of,
            figures=figures,
            cold_spots=cold_spots,
            link=absolute_url("home.index"),
        )
    db.session.commit()
    return f"digest for the week of {week_of} sent to {len(office)}"


def _claim(week_of: date, now: datetime) -> bool:
    """Claim the week's digest for this run; False if it was sent already."""
    # Checked first so that the hourly runs after sending do not each hit the
    # unique key (PostgreSQL logs every such error); the insert stays the claim.
    if db.session.get(WeeklyDigest, week_of) is not None:
        return False
    db.session.add(WeeklyDigest(week_of=week_of, sent_at=now))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _week_figures(since: datetime, until: datetime) -> dict[str, int]:
    """The digest's figures for the week from `since` to `until`, by their names."""
    return {
        "new requests": _count(
            TrainingRequest,
            TrainingRequest.created_at >= since,
            TrainingRequest.created_at < until,
        ),
        "booked": _count(
            RequestEvent,
            RequestEvent.action == "booked",
            RequestEvent.at >= since,
            RequestEvent.at < until,
        ),
        "delivered sessions": _count(
            TrainingSession,
            TrainingSession.status != SessionStatus.CANCELLED,
            TrainingSession.ends_at >= since,
            TrainingSession.ends_at < until,
        ),
        "unfilled now": _count(
            TrainingRequest, TrainingRequest.status == RequestStatus.UNFILLED
        ),
        "failed emails": _count(
            OutboxMessage, OutboxMessage.status == OutboxStatus.FAILED
        ),
    }


def _unfilled_by_region() -> list[tuple[str, int]]:
    """Regions with requests unfilled now, and how many, most first."""
    return db.session.execute(
        select(Group.region, func.count())
        .join(TrainingRequest, TrainingRequest.group_id == Group.id)
        .where(TrainingRequest.status == RequestStatus.UNFILLED)
        .group_by(Group.region)
        .order_by(func.count().desc(), Group.region)
    ).all()


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))
