"""Who came to a session, the roster of people who agreed to be named, the
organiser's rating and the trainer's report.

Every function flushes and leaves the commit to the caller. Each change to who
came takes the request's lock first (as every change to a request does), so a
double submit or two people recording at once queue up, and the second sees
what the first did.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Row, func, select

from trainers import audit
from trainers.attendance import roster_csv
from trainers.attendance.models import Attendance, Attendee
from trainers.attendance.roster_csv import InvalidPerson, RosterRow, person_key
from trainers.auth.models import User
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.matching.locks import lock_request
from trainers.requests.models import RequestStatus
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.sessions.services import get_session_for
from trainers.timeutil import format_datetime
from trainers.webhooks import events as webhook_events
from trainers.webhooks.models import EventType

logger = logging.getLogger(__name__)

MAX_HEADCOUNT = 500  # also the most people a roster holds
MAX_COMMENT = 2000
MAX_REPORT = 4000
RATINGS = range(1, 6)
HEADCOUNT_MESSAGE = f"Enter how many people came, from 0 to {MAX_HEADCOUNT}."
RATING_MESSAGE = "Choose a rating from 1 to 5."
NO_CONSENT = (
    "Only name someone who agreed that we may contact them. Without their "
    "consent, count them in the headcount instead."
)


@dataclass(frozen=True)
class Outcome:
    """What a session's page shows of its attendance: no names, only counts."""

    attendance: Attendance | Row | None  # a row where the session page read it
    named: int
    # Why attendance cannot be recorded now; None when it can.
    problem: str | None
    may_rate: bool
    may_report: bool


def may_see_roster(user: User, training_session: TrainingSession) -> bool:
    """The roster's audience: the session's trainer, its group's organisers, the office.

    Said here and not inherited from who may see the session: names reveal
    political opinion, and shadowing trainers, for one, must never read them.
    """
    return (
        user.is_office
        or training_session.trainer_id == user.id
        or training_session.group in user.groups
    )


def may_rate(user: User, training_session: TrainingSession | Row) -> bool:
    """Only the group's organisers rate a session, never the one who trained it.
    The session may be a row with its group_id and trainer_id."""
    return training_session.trainer_id != user.id and any(
        group.id == training_session.group_id for group in user.groups
    )


def may_report(user: User, training_session: TrainingSession | Row) -> bool:
    """Only the session's trainer writes its report."""
    return training_session.trainer_id == user.id


def session_for_roster(user: User, session_id: int) -> TrainingSession:
    """A session whose attendance and roster `user` may see and change. Raises NotFound."""
    training_session = get_session_for(user, session_id)
    if not may_see_roster(user, training_session):
        raise NotFound()
    return training_session


def recording_problem(
    training_session: TrainingSession | Row, now: datetime
) -> str | None:
    """Why attendance cannot be recorded for the session now, or None when it can.
    The session may be a row with its status and starts_at."""
    if training_session.status == SessionStatus.CANCELLED:
        return "This session was cancelled, so there is no attendance to record."
    if training_session.starts_at > now:
        return (
            "You can record attendance once the session has started, on "
            f"{format_datetime(training_session.starts_at)}."
        )
    return None


def attendance_of(session_id: int) -> Attendance | None:
    """The session's recorded attendance, if any."""
    return db.session.get(Attendance, session_id)


def outcome(
    training_session: Row,
    attendance: Attendance | Row | None,
    named: int,
    viewer: User,
    now: datetime,
) -> Outcome:
    """The session's attendance in figures, whether it can be recorded now, and
    whether `viewer` may rate it or report on it, from the session's page's rows."""
    return Outcome(
        attendance=attendance,
        named=named,
        problem=recording_problem(training_session, now),
        may_rate=may_rate(viewer, training_session),
        may_report=may_report(viewer, training_session),
    )


def record_attendance(
    training_session: TrainingSession, headcount: int | None, by: User, now: datetime
) -> Attendance:
    """Record or correct the headcount; the first recording makes the session and
    its request delivered. Sending the same headcount again changes nothing.

    Raises DomainError for a bad headcount or a session not open to recording.
    """
    if headcount is None or not 0 <= headcount <= MAX_HEADCOUNT:
        raise DomainError(HEADCOUNT_MESSAGE, field="headcount")
    attendance, is_first = _open_attendance(training_session, by, now)
    if is_first or attendance.headcount != headcount:
        before = attendance.headcount
        _recount(attendance, now, headcount=headcount)
        if is_first:
            _record_first(training_session, attendance, by, now)
        else:
            training_session.training_request.note(
                "attendance updated",
                f"Headcount {before} → {headcount}; {attendance.people_count} people "
                "counted.",
                by,
                now,
            )
        logger.info(
            "Session %s: headcount %s by user %s", training_session.id, headcount, by.id
        )
    return attendance


def show_roster(training_session: TrainingSession, viewer: User) -> list[Attendee]:
    """The roster for `viewer` to read, first added first; the audit log notes
    each time it shows anyone's name."""
    people = list(
        db.session.scalars(
            select(Attendee)
            .where(Attendee.session_id == training_session.id)
            .order_by(Attendee.id)
        )
    )
    named = sum(person.anonymised_at is None for person in people)
    if named:
        audit.record(
            viewer.id,
            "roster viewed",
            session_id=training_session.id,
            detail=f"{named} named",
        )
    return people


def add_attendee(
    training_session: TrainingSession,
    name: str | None,
    email: str | None,
    *,
    consent: bool,
    is_walk_in: bool,
    by: User,
    now: datetime,
) -> Attendee:
    """Name one person on the roster, only with their consent. Someone added after
    attendance was first recorded is a walk-in.

    Raises InvalidPerson (every problem, by field) or DomainError.
    """
    errors = []
    try:
        person = roster_csv.clean_person(name, email)
    except InvalidPerson as error:
        errors += [_sentence(each) for each in error.errors]
    if not consent:
        errors.append(DomainError(NO_CONSENT, field="consent"))
    if errors:
        raise InvalidPerson(errors)
    attendance, is_first = _open_attendance(training_session, by, now)
    if person_key(person.name, person.email) in _roster_keys(training_session.id):
        raise _sentence(
            DomainError(
                roster_csv.duplicate_message(person),
                field="email" if person.email else "name",
            )
        )
    (attendee,) = _add_people(
        attendance, [person], is_walk_in=is_walk_in or not is_first, by=by, now=now
    )
    if is_first:
        _record_first(training_session, attendance, by, now)
    audit.record(by.id, "roster person added", session_id=training_session.id)
    return attendee


def upload_roster(
    training_session: TrainingSession, data: bytes, by: User, now: datetime
) -> list[Attendee]:
    """Add everyone in a CSV file (name,email,consent) to the roster, or nobody.

    Raises RosterFileError listing every bad row, or DomainError.
    """
    attendance, is_first = _open_attendance(training_session, by, now)
    config = current_app.config
    people = roster_csv.parse_roster(
        data,
        max_rows=config["ROSTER_UPLOAD_MAX_ROWS"],
        max_bytes=config["ROSTER_UPLOAD_MAX_BYTES"],
        on_roster=_roster_keys(training_session.id),
    )
    added = _add_people(attendance, people, is_walk_in=not is_first, by=by, now=now)
    if is_first:
        _record_first(training_session, attendance, by, now)
    audit.record(
        by.id,
        "roster uploaded",
        session_id=training_session.id,
        detail=f"{len(added)} added",
    )
    return added


def remove_attendee(
    training_session: TrainingSession, attendee_id: int, by: User, now: datetime
) -> None:
    """Take a person off the roster. Raises NotFound if they are not on it."""
    lock_request(training_session.training_request)
    attendee = db.session.scalar(
        select(Attendee).where(
            Attendee.id == attendee_id, Attendee.session_id == training_session.id
        )
    )
    if attendee is None:
        raise NotFound()
    db.session.delete(attendee)
    _recount(db.session.get(Attendance, training_session.id), now)
    audit.record(
        by.id,
        "roster person removed",
        session_id=training_session.id,
        detail=f"attendee {attendee_id}",
    )
    logger.info("Session %s: attendee %s removed", training_session.id, attendee_id)


def rate_session(
    training_session: TrainingSession,
    by: User,
    rating: int | None,
    comment: str | None,
    now: datetime,
) -> Attendance:
    """The organiser's rating (1 to 5) and comment on a delivered session; a second
    rating replaces the first. Raises NotFound or DomainError."""
    if not may_rate(by, training_session):
        raise NotFound()
    attendance = _delivered(training_session, "rate")
    if rating not in RATINGS:
        raise DomainError(RATING_MESSAGE, field="rating")
    attendance.rating = rating
    attendance.rating_comment = _text(comment, MAX_COMMENT, "comment")
    attendance.rated_by_id, attendance.rated_at = by.id, now
    db.session.flush()
    logger.info("Session %s rated %s by user %s", training_session.id, rating, by.id)
    return attendance


def report_session(
    training_session: TrainingSession,
    by: User,
    went_well: str | None,
    follow_up_requested: str | None,
    now: datetime,
) -> Attendance:
    """The trainer's report on a delivered session; a second report replaces the
    first. Raises NotFound or DomainError."""
    if not may_report(by, training_session):
        raise NotFound()
    attendance = _delivered(training_session, "report on")
    went_well = _text(went_well, MAX_REPORT, "went_well")
    follow_up_requested = _text(follow_up_requested, MAX_REPORT, "follow_up_requested")
    if not (went_well or follow_up_requested):
        raise DomainError(
            "Write what went well, or what the group asked for next.",
            field="went_well",
        )
    attendance.went_well = went_well
    attendance.follow_up_requested = follow_up_requested
    attendance.reported_by_id, attendance.reported_at = by.id, now
    db.session.flush()
    logger.info("Session %s reported on by user %s", training_session.id, by.id)
    return attendance


def _open_attendance(
    training_session: TrainingSession, by: User, now: datetime
) -> tuple[Attendance, bool]:
    """The session's attendance under the request's lock, made (and the session
    and request delivered) if this is the first recording; and whether it is."""
    lock_request(training_session.training_request)
    db.session.refresh(training_session)
    problem = recording_problem(training_session, now)
    if problem:
        raise DomainError(problem)
    attendance = db.session.get(Attendance, training_session.id, populate_existing=True)
    if attendance is not None:
        return attendance, False
    attendance = Attendance(
        session_id=training_session.id,
        headcount=0,
        people_count=0,
        recorded_by_id=by.id,
        recorded_at=now,
        updated_at=now,
    )
    db.session.add(attendance)
    training_session.move_to(SessionStatus.DELIVERED)
    training_request = training_session.training_request
    if training_request.status == RequestStatus.BOOKED:
        training_request.move_to(RequestStatus.DELIVERED, now)
    db.session.flush()
    webhook_events.record(
        EventType.ATTENDANCE_RECORDED,
        webhook_events.about_session(training_session),
        now,
    )
    logger.info("Session %s delivered: attendance recorded", training_session.id)
    return attendance, True


def _record_first(
    training_session: TrainingSession, attendance: Attendance, by: User, now: datetime
) -> None:
    training_session.training_request.note(
        "attendance recorded",
        f"Delivered; {attendance.people_count} "
        f"{'person' if attendance.people_count == 1 else 'people'} counted.",
        by,
        now,
    )


def _add_people(
    attendance: Attendance,
    people: list[RosterRow],
    *,
    is_walk_in: bool,
    by: User,
    now: datetime,
) -> list[Attendee]:
    on_roster = _roster_size(attendance.session_id)
    if on_roster + len(people) > MAX_HEADCOUNT:
        raise DomainError(
            f"A roster holds at most {MAX_HEADCOUNT} people; this one has {on_roster}."
        )
    added = [
        Attendee(
            session_id=attendance.session_id,
            name=person.name,
            email=person.email,
            consent_given_at=now,
            is_walk_in=is_walk_in,
            added_by_id=by.id,
            added_at=now,
        )
        for person in people
    ]
    db.session.add_all(added)
    _recount(attendance, now)
    logger.info("Session %s: %d named on the roster", attendance.session_id, len(added))
    return added


def _recount(
    attendance: Attendance, now: datetime, headcount: int | None = None
) -> None:
    """Attendance counts the larger of the headcount and the roster."""
    # Counting flushes the roster's changes; the headcount changes only after,
    # together with people_count, which the database keeps at or above it.
    roster = _roster_size(attendance.session_id)
    if headcount is not None:
        attendance.headcount = headcount
    attendance.people_count = max(attendance.headcount, roster)
    attendance.updated_at = now
    db.session.flush()


def _roster_size(session_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(Attendee.session_id == session_id)
    )


def _roster_keys(session_id: int) -> frozenset[str]:
    rows = db.session.execute(
        select(Attendee.name, Attendee.email).where(
            Attendee.session_id == session_id, Attendee.anonymised_at.is_(None)
        )
    )
    return frozenset(person_key(name, email) for name, email in rows) - {None}


def _delivered(training_session: TrainingSession, doing: str) -> Attendance:
    attendance = attendance_of(training_session.id)
    if training_session.status != SessionStatus.DELIVERED or attendance is None:
        raise DomainError(f"You can {doing} a session once its attendance is recorded.")
    return attendance


def _text(value: str | None, limit: int, field: str) -> str:
    """Free text, trimmed; refused when too long or holding control characters."""
    value = (value or "").strip()
    if len(value) > limit:
        raise DomainError(
            f"Keep it to {limit} characters; this has {len(value)}.", field=field
        )
    if roster_csv.has_control_characters(value, allowed="\n\r\t"):
        raise DomainError("This has characters that cannot be stored.", field=field)
    return value


def _sentence(error: DomainError) -> DomainError:
    """A row message ("no name given") as a form message ("No name given.")."""
    message = error.message[:1].upper() + error.message[1:] + "."
    return DomainError(message, field=error.field)
