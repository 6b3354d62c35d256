"""Calendar invites by email, private feeds and downloads for sessions."""

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from trainers import mail
from trainers.auth.models import User
from trainers.auth.tokens import hash_token, new_token
from trainers.calendar import ical
from trainers.calendar.models import CalendarFeed
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.network.models import group_organisers
from trainers.sessions.models import SessionShadow, SessionStatus, TrainingSession

logger = logging.getLogger(__name__)

# A cancelled session stays in feeds this long, so subscribed clients drop it.
CANCELLED_KEPT = timedelta(days=30)
# How far back a feed reaches.
FEED_HISTORY = timedelta(days=365)


def organizer() -> ical.Person:
    """The service's own monitored address, organiser of every event."""
    return ical.Person("Trainers' Network", current_app.config["CALENDAR_ORGANIZER"])


def participants(training_session: TrainingSession) -> list[User]:
    """Everyone on the session with a working account: trainer, the group's
    organisers, shadowing trainers (deactivated or erased accounts get no mail)."""
    people = [
        training_session.trainer,
        *training_session.group.organisers,
        *(shadow.trainer for shadow in training_session.shadows),
    ]
    unique = {person.id: person for person in people if person.is_active}
    return list(unique.values())


def session_event(
    training_session: TrainingSession, with_attendees: bool = True
) -> ical.SessionEvent:
    """The calendar view of a session as it is now (feeds leave attendees out)."""
    return ical.SessionEvent(
        uid=training_session.ical_uid,
        sequence=training_session.ical_sequence,
        stamp=training_session.updated_at,
        starts_at=training_session.starts_at,
        ends_at=training_session.ends_at,
        topic=training_session.topic.name,
        group=training_session.group.name,
        trainer=training_session.trainer.name,
        shadows=tuple(s.trainer.name for s in training_session.shadows),
        is_online=training_session.is_online,
        address=training_session.venue_address or "",
        postcode=training_session.venue_postcode,
        link=absolute_url("sessions.show", session_id=training_session.id),
        is_cancelled=training_session.status == SessionStatus.CANCELLED,
        attendees=tuple(
            ical.Person(p.name, p.email) for p in participants(training_session)
        )
        if with_attendees
        else (),
    )


def send_invites(
    training_session: TrainingSession,
    template: str,
    people: list[User] | None = None,
    **context,
) -> None:
    """Email each person (default: every participant) its own message with the invite.

    A cancelled session sends METHOD:CANCEL, anything else METHOD:REQUEST, always
    with the session's one UID and its current SEQUENCE.
    """
    method = (
        "CANCEL" if training_session.status == SessionStatus.CANCELLED else "REQUEST"
    )
    ics = ical.invite(session_event(training_session), method, organizer())
    link = absolute_url("sessions.show", session_id=training_session.id)
    for person in people if people is not None else participants(training_session):
        mail.send_email(
            person.email,
            template,
            calendar=(ics, method),
            person=person,
            training_session=training_session,
            link=link,
            **context,
        )
    logger.info(
        "Invites (%s, sequence %s) for session %s queued",
        method,
        training_session.ical_sequence,
        training_session.id,
    )


def session_download(training_session: TrainingSession) -> bytes:
    """One session as an .ics file to add to any calendar."""
    return ical.feed(
        f"{training_session.topic.name}: {training_session.group.name}",
        f"session-{training_session.ical_uid}",
        [session_event(training_session, with_attendees=False)],
        organizer(),
    )


def start_feed(user: User, now: datetime) -> str:
    """A new private feed token for the user (replacing any old one); shown once."""
    raw, digest = new_token()
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        db.session.add(feed)
    feed.token_hash, feed.created_at = digest, now
    db.session.flush()
    logger.info("Calendar feed link for user %s (re)made", user.id)
    return raw


def stop_feed(user: User) -> None:
    """Revoke the user's feed link; the old URL answers 404 from now on."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is not None:
        db.session.delete(feed)
        db.session.flush()
        logger.info("Calendar feed link for user %s revoked", user.id)


def has_feed(user: User) -> bool:
    return db.session.get(CalendarFeed, user.id) is not None


def feed_for_token(
    raw_token: str, now: datetime
) -> tuple[bytes, datetime | None] | None:
    """The feed behind a token and when it last changed; None for an unknown token."""
    feed = db.session.scalar(
        select(CalendarFeed)
        .options(joinedload(CalendarFeed.user))
        .where(CalendarFeed.token_hash == hash_token(raw_token))
    )
    if feed is None or not feed.user.is_active:
        return None
    user = feed.user
    found = _feed_sessions(user, now)
    events = [session_event(s, with_attendees=False) for s in found]
    name = "Trainers' Network" + ("" if user.is_office else f": {user.name}")
    body = ical.feed(name, f"feed-{user.id}@trainers-network", events, organizer())
    changed = max((s.updated_at for s in found), default=None)
    return body, changed


def _feed_sessions(user: User, now: datetime) -> list[TrainingSession]:
    # Calendar clients poll feeds far more often than people open pages, and a 304
    # costs this much too: few round trips (joins for the one-to-ones).
    query = (
        select(TrainingSession)
        .options(
            joinedload(TrainingSession.trainer),
            joinedload(TrainingSession.topic),
            joinedload(TrainingSession.group),
            selectinload(TrainingSession.shadows).joinedload(SessionShadow.trainer),
        )
        .where(
            TrainingSession.starts_at >= now - FEED_HISTORY,
            or_(
                TrainingSession.status != SessionStatus.CANCELLED,
                TrainingSession.cancelled_at >= now - CANCELLED_KEPT,
            ),
        )
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    )
    if not user.is_office:
        # One indexed lookup for each way a session can be theirs: an OR across
        # them makes PostgreSQL scan every session in the network.
        theirs = union_all(
            select(TrainingSession.id).where(TrainingSession.trainer_id == user.id),
            select(TrainingSession.id)
            .join(
                group_organisers,
                group_organisers.c.group_id == TrainingSession.group_id,
            )
            .where(group_organisers.c.user_id == user.id),
            select(SessionShadow.session_id).where(SessionShadow.trainer_id == user.id),
        )
        query = query.where(TrainingSession.id.in_(theirs))
    return list(db.session.scalars(query))
