"""Booked sessions: create, move and cancel them.

Every function flushes and leaves the commit to the caller. The calendar event's
UID is made once here; every change raises its SEQUENCE.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import (
    Row,
    Select,
    Subquery,
    bindparam,
    exists,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import joinedload

from trainers.attendance.models import Attendance, Attendee
from trainers.auth.models import User
from trainers.errors import NotFound
from trainers.extensions import db
from trainers.network.models import Group, Topic, group_organisers
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import (
    BookedVia,
    SessionPlace,
    SessionStatus,
    TrainingSession,
    place_of,
)
from trainers.statements import AnyViewer, built_once
from trainers.webhooks import events as webhook_events
from trainers.webhooks.models import EventType

logger = logging.getLogger(__name__)


def book_session(
    training_request,
    trainer_id: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    continuing: TrainingSession | None = None,
    via: BookedVia = BookedVia.OFFER,
) -> TrainingSession:
    """A booked session for the request with this trainer, at the request's venue;
    `via` records how it was booked.

    `continuing` is a handed-back session at the same time whose calendar event
    this one carries on (same UID, next SEQUENCE), so the group's calendars update
    rather than gain a second event, and whose co-trainers it keeps. Otherwise
    it has an open place beside the lead for each trainer more the request needs.
    """
    training_session = TrainingSession(
        request_id=training_request.id,
        trainer_id=trainer_id,
        group_id=training_request.group_id,
        topic_id=training_request.topic_id,
        status=SessionStatus.BOOKED,
        starts_at=starts_at,
        ends_at=ends_at,
        **place_of(training_request),
        ical_uid=f"{uuid.uuid4()}@trainers-network",
        ical_sequence=0,
        booked_via=via,
        created_at=now,
        updated_at=now,
    )
    if continuing is not None:
        training_session.ical_uid = continuing.ical_uid
        training_session.ical_sequence = continuing.ical_sequence + 1
        continuing.awaits_trainer = False
        places = list(continuing.places)
    else:
        places = [
            SessionPlace(place=number)
            for number in range(2, training_request.places_needed + 1)
        ]
    db.session.add(training_session)
    # The first booking, whatever becomes of it: time to booking counts from it.
    training_request.record_booking(now)
    db.session.flush()
    training_session.places.extend(places)
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
    _changed(training_session, now)
    # Reminders and follow-ups are due afresh from the new time.
    training_session.first_reminder_at = training_session.second_reminder_at = None
    training_session.first_follow_up_at = training_session.second_follow_up_at = None
    training_session.meeting_link_nudged_at = None
    _tell_receivers(EventType.SESSION_RESCHEDULED, training_session, now)
    logger.info("Session %s moved to %s", training_session.id, starts_at.isoformat())
    return training_session


def change_place(
    training_session: TrainingSession,
    now: datetime,
    **place,
) -> TrainingSession:
    """Give a booked session a new venue, address or meeting link (`place` names
    its columns); its calendar event is updated, not replaced."""
    for name, value in place.items():
        setattr(training_session, name, value)
    _changed(training_session, now)
    _tell_receivers(EventType.SESSION_CHANGED, training_session, now)
    logger.info("Session %s: %s changed", training_session.id, ", ".join(place))
    return training_session


def touch(training_session: TrainingSession, now: datetime) -> TrainingSession:
    """Mark a change shown in the session's calendar event (its next SEQUENCE)."""
    _changed(training_session, now)
    db.session.flush()
    return training_session


def _changed(training_session: TrainingSession, now: datetime) -> None:
    training_session.ical_sequence += 1
    training_session.updated_at = now


def _tell_receivers(
    event_type: EventType, training_session: TrainingSession, now: datetime
) -> None:
    # Flushes first: a new session's id is in the event.
    db.session.flush()
    webhook_events.record(
        event_type, webhook_events.about_session(training_session), now
    )


def cancel_session(
    training_session: TrainingSession, reason: str, now: datetime
) -> TrainingSession:
    """Cancel a booked session, keeping its calendar identity for the CANCEL."""
    training_session.move_to(SessionStatus.CANCELLED)
    training_session.cancelled_at = now
    training_session.cancel_reason = reason
    _changed(training_session, now)
    _tell_receivers(EventType.SESSION_CANCELLED, training_session, now)
    logger.info("Session %s cancelled", training_session.id)
    return training_session


def hand_back_session(
    training_session: TrainingSession, reason: str, now: datetime
) -> TrainingSession:
    """Cancel a booked session its trainer gave back; its calendar event waits
    for the next trainer booked at the same time (book_session's `continuing`)."""
    cancel_session(training_session, reason, now)
    training_session.handed_back_at = now
    training_session.awaits_trainer = True
    db.session.flush()
    return training_session


def awaited_session_of(request_id: int) -> TrainingSession | None:
    """The request's handed-back session whose event still waits for a trainer."""
    return db.session.scalar(
        select(TrainingSession).where(
            TrainingSession.request_id == request_id,
            TrainingSession.awaits_trainer,
        )
    )


def stop_awaiting(training_session: TrainingSession, now: datetime) -> None:
    """No trainer will carry on this handed-back session's event: it ends (the
    caller sends its CANCEL to the group)."""
    training_session.awaits_trainer = False
    _changed(training_session, now)
    db.session.flush()


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


def get_session_for(user: User, session_id: int) -> TrainingSession:
    """A session its trainer, its group's organisers or the office may see. Raises NotFound."""
    # Joined, not a query each: the page, its calendar file and its emails
    # all show the group, topic and trainer.
    training_session = db.session.scalar(
        select(TrainingSession)
        .options(
            joinedload(TrainingSession.group),
            joinedload(TrainingSession.topic),
            joinedload(TrainingSession.trainer),
        )
        .where(TrainingSession.id == session_id, TrainingSession.visible_to(user))
    )
    if training_session is None:
        raise NotFound()
    return training_session


class ShownPlace(NamedTuple):
    """A place beside a session's lead as pages show it."""

    place: int
    trainer_id: int | None  # None while open
    trainer_name: str | None
    is_shadowing: bool
    # Their contacts, on the session's own page only.
    trainer_email: str | None = None
    trainer_phone: str | None = None


@dataclass(frozen=True)
class ShownSession:
    """A session as its page shows it, read as rows rather than entities."""

    # Its columns, with what the group asked for (expected_attendance,
    # accessibility_needs, notes), topic_name, group_name and the trainer's
    # trainer_name, trainer_email and trainer_phone.
    session: Row
    # The same row when attendance is recorded (headcount, people_count, rating,
    # rating_comment, went_well, follow_up_requested, rated_at, reported_at and
    # `named`, the roster's size), else None.
    attendance: Row | None
    # The places beside the lead, by place.
    places: list["ShownPlace"]
    # The group's organisers, by name: person_name, person_email, person_phone.
    organisers: list[Row]
    is_organiser: bool  # whether the viewer organises the session's group


def session_as_shown(user: User, session_id: int) -> ShownSession:
    """The session `user` may see (as get_session_for) as its page shows it.

    Raises NotFound otherwise.
    """
    # Core rows on the session's connection: the ORM's execute adds nothing
    # here but its own cost.
    found = (
        db.session.connection()
        .execute(
            _shown(user.is_office), {"session_id": session_id, "viewer_id": user.id}
        )
        .all()
    )
    if not found:
        raise NotFound()
    details = found[0]
    return ShownSession(
        session=details,
        attendance=details if details.headcount is not None else None,
        places=[
            ShownPlace(
                row.place,
                row.person_id,
                row.person_name,
                row.is_shadowing,
                row.person_email,
                row.person_phone,
            )
            for row in found
            if row.place is not None
        ],
        organisers=[row for row in found if row.is_organiser],
        is_organiser=details.viewer_organises,
    )


@built_once
def _shown(is_office: bool) -> Select:
    # One statement. The page shows the session's attendance, so its columns
    # come joined (headcount is NOT NULL: None means none yet). The session's
    # columns come once for each place beside the lead and each organiser (a
    # handful): a row more costs less than a statement more.
    people = _people()
    return (
        select(
            TrainingSession.id,
            TrainingSession.request_id,
            TrainingSession.trainer_id,
            TrainingSession.group_id,
            TrainingSession.status,
            TrainingSession.starts_at,
            TrainingSession.ends_at,
            TrainingSession.is_online,
            TrainingSession.venue_postcode,
            TrainingSession.venue_address,
            TrainingSession.meeting_url,
            TrainingSession.cancelled_at,
            TrainingSession.cancel_reason,
            TrainingSession.handed_back_at,
            TrainingSession.booked_via,
            TrainingRequest.expected_attendance,
            TrainingRequest.accessibility_needs,
            TrainingRequest.notes,
            Topic.name.label("topic_name"),
            Group.name.label("group_name"),
            User.name.label("trainer_name"),
            User.email.label("trainer_email"),
            User.phone.label("trainer_phone"),
            Attendance.headcount,
            Attendance.people_count,
            Attendance.rating,
            Attendance.rating_comment,
            Attendance.went_well,
            Attendance.follow_up_requested,
            Attendance.rated_at,
            Attendance.reported_at,
            select(func.count())
            .where(Attendee.session_id == TrainingSession.id)
            .scalar_subquery()
            .label("named"),
            # Whether the viewer organises its group, asked here rather than
            # of their groups, which the signed-in account comes without.
            exists()
            .where(
                group_organisers.c.group_id == TrainingSession.group_id,
                group_organisers.c.user_id == bindparam("viewer_id"),
            )
            .label("viewer_organises"),
            people.c.is_organiser,
            people.c.person_name,
            people.c.person_email,
            people.c.person_phone,
            people.c.place,
            people.c.person_id,
            people.c.is_shadowing,
        )
        .join(TrainingSession.training_request)
        .join(TrainingSession.topic)
        .join(TrainingSession.group)
        .join(TrainingSession.trainer)
        .outerjoin(Attendance, Attendance.session_id == TrainingSession.id)
        .outerjoin(people, true())
        .where(
            TrainingSession.id == bindparam("session_id"),
            TrainingSession.visible_to(AnyViewer(is_office)),
        )
        .order_by(people.c.is_organiser, people.c.place, people.c.person_name)
    )


def _people() -> Subquery:
    # The session's places beside the lead (by place; open ones with no one)
    # and its group's organisers (by name), with their contacts: the people
    # who run the session reach each other, as they reach the lead.
    return union_all(
        select(
            literal(False).label("is_organiser"),
            User.name.label("person_name"),
            User.email.label("person_email"),
            User.phone.label("person_phone"),
            SessionPlace.place,
            SessionPlace.trainer_id.label("person_id"),
            SessionPlace.is_shadowing,
        )
        .select_from(SessionPlace)
        .outerjoin(User, User.id == SessionPlace.trainer_id)
        .where(SessionPlace.session_id == bindparam("session_id")),
        select(literal(True), User.name, User.email, User.phone, null(), null(), null())
        .join(group_organisers, group_organisers.c.user_id == User.id)
        .where(
            group_organisers.c.group_id
            == select(TrainingSession.group_id)
            .where(TrainingSession.id == bindparam("session_id"))
            .scalar_subquery()
        ),
    ).subquery("people")


def places_as_shown(session_id: int) -> list[ShownPlace]:
    """The session's places beside its lead as pages show them, by place."""
    return [
        ShownPlace(*row)
        for row in db.session.execute(_places_shown(), {"session_id": session_id})
    ]


@built_once
def _places_shown() -> Select:
    return (
        select(
            SessionPlace.place,
            SessionPlace.trainer_id,
            User.name.label("trainer_name"),
            SessionPlace.is_shadowing,
        )
        .outerjoin(User, User.id == SessionPlace.trainer_id)
        .where(SessionPlace.session_id == bindparam("session_id"))
        .order_by(SessionPlace.place)
    )
