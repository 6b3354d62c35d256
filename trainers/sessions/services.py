"""Booked sessions: create, move and cancel them.

Every function flushes and leaves the commit to the caller. The calendar event's
UID is made once here; every change raises its SEQUENCE.
"""

import functools
import logging
import uuid
from datetime import datetime

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from trainers.auth.models import User
from trainers.errors import NotFound
from trainers.extensions import db
from trainers.sessions.models import SessionStatus, TrainingSession

logger = logging.getLogger(__name__)


def book_session(
    training_request,
    trainer_id: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> TrainingSession:
    """A booked session for the request with this trainer, at the request's venue."""
    training_session = TrainingSession(
        request_id=training_request.id,
        trainer_id=trainer_id,
        group_id=training_request.group_id,
        topic_id=training_request.topic_id,
        status=SessionStatus.BOOKED,
        starts_at=starts_at,
        ends_at=ends_at,
        is_online=training_request.is_online,
        venue_postcode=training_request.venue_postcode,
        venue_address=training_request.venue_address,
        venue_latitude=training_request.venue_latitude,
        venue_longitude=training_request.venue_longitude,
        ical_uid=f"{uuid.uuid4()}@trainers-network",
        ical_sequence=0,
        created_at=now,
        updated_at=now,
    )
    db.session.add(training_session)
    # The first booking, whatever becomes of it: time to booking counts from it.
    training_request.record_booking(now)
    db.session.flush()
    logger.info(
        "Session %s booked: request %s, trainer %s, %s",
        training_session.id,
        training_request.id,
        trainer_id,
        starts_at.isoformat(),
    )
    return training_session


def move_session(
    training_session: TrainingSession,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> TrainingSession:
    """Give a booked session new times; its calendar event is updated, not replaced."""
    training_session.starts_at, training_session.ends_at = starts_at, ends_at
    training_session.ical_sequence += 1
    training_session.updated_at = now
    # Reminders and follow-ups are due afresh from the new time.
    training_session.first_reminder_at = training_session.second_reminder_at = None
    training_session.first_follow_up_at = training_session.second_follow_up_at = None
    db.session.flush()
    logger.info("Session %s moved to %s", training_session.id, starts_at.isoformat())
    return training_session


def cancel_session(
    training_session: TrainingSession, reason: str, now: datetime
) -> TrainingSession:
    """Cancel a booked session, keeping its calendar identity for the CANCEL."""
    training_session.status = SessionStatus.CANCELLED
    training_session.cancelled_at = now
    training_session.cancel_reason = reason
    training_session.ical_sequence += 1
    training_session.updated_at = now
    db.session.flush()
    logger.info("Session %s cancelled", training_session.id)
    return training_session


def booked_session_of(request_id: int) -> TrainingSession | None:
    """The request's live booked session, if it has one."""
    return db.session.scalar(
        select(TrainingSession)
        .where(
            TrainingSession.request_id == request_id,
            TrainingSession.status == SessionStatus.BOOKED,
        )
        .order_by(TrainingSession.id.desc())
        .limit(1)
    )


def sessions_of(
    request_id: int,
) -> tuple[TrainingSession | None, TrainingSession | None]:
    """The request's live booked session and the session that delivered it (once
    attendance is recorded), each the latest if several, with their trainers."""
    found = db.session.scalars(_sessions_of(), {"request_id": request_id})
    latest = {}
    for training_session in found:
        latest.setdefault(training_session.status, training_session)
    return latest.get(SessionStatus.BOOKED), latest.get(SessionStatus.DELIVERED)


def get_session_for(user: User, session_id: int) -> TrainingSession:
    """A session its trainer, its group's organisers or the office may see. Raises NotFound."""
    training_session = db.session.scalar(_session_for(), {"session_id": session_id})
    if training_session is None or not (
        user.is_office
        or training_session.trainer_id == user.id
        or training_session.group in user.groups
    ):
        raise NotFound()
    return training_session


@functools.cache
def _sessions_of() -> Select:
    # Built once, like _session_for: building a statement and its cache key
    # costs more than running it from the cache.
    return (
        select(TrainingSession)
        .options(joinedload(TrainingSession.trainer))
        .where(
            TrainingSession.request_id == bindparam("request_id"),
            TrainingSession.status.in_((SessionStatus.BOOKED, SessionStatus.DELIVERED)),
        )
        .order_by(TrainingSession.id.desc())
    )


@functools.cache
def _session_for() -> Select:
    # Joined, not a query each: the page, its calendar file and its emails
    # all show the group, topic and trainer. Built once: building a statement
    # and its cache key costs more than running it from the cache.
    return (
        select(TrainingSession)
        .options(
            joinedload(TrainingSession.group),
            joinedload(TrainingSession.topic),
            joinedload(TrainingSession.trainer),
        )
        .where(TrainingSession.id == bindparam("session_id"))
    )
