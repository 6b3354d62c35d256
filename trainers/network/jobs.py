"""The office's weekly digest: what happened across the network, and where to look."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from trainers import mail
from trainers.auth.models import User
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.network.models import Group
from trainers.outbox.models import OutboxMessage, OutboxStatus
from trainers.requests.models import RequestEvent, RequestStatus, TrainingRequest
from trainers.scheduler.models import WeeklyDigest
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import to_local

logger = logging.getLogger(__name__)


def weekly_digest(now: datetime) -> str:
    """Email the office the past week's figures, once per week. Commits."""
    today = to_local(now).date()
    week_of = today - timedelta(days=today.weekday())
    db.session.add(WeeklyDigest(week_of=week_of, sent_at=now))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return f"digest for the week of {week_of} already sent"
    since = now - timedelta(days=7)
    figures = {
        "new requests": _count(TrainingRequest, TrainingRequest.created_at >= since),
        "booked": _count(
            RequestEvent, RequestEvent.action == "booked", RequestEvent.at >= since
        ),
        "delivered sessions": _count(
            TrainingSession,
            TrainingSession.status != SessionStatus.CANCELLED,
            TrainingSession.ends_at >= since,
            TrainingSession.ends_at < now,
        ),
        "unfilled now": _count(
            TrainingRequest, TrainingRequest.status == RequestStatus.UNFILLED
        ),
        "failed emails": _count(
            OutboxMessage, OutboxMessage.status == OutboxStatus.FAILED
        ),
    }
    cold_spots = db.session.execute(
        select(Group.region, func.count())
        .join(TrainingRequest, TrainingRequest.group_id == Group.id)
        .where(TrainingRequest.status == RequestStatus.UNFILLED)
        .group_by(Group.region)
        .order_by(func.count().desc(), Group.region)
    ).all()
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


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))
