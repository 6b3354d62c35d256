"""Timed work on sessions: reminders before, attendance follow-ups after.

Everything is read from the session as it is when the job runs, so a session
cancelled or moved since is never reminded about at its old time.
"""

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from trainers import mail
from trainers.calendar import services as calendar
from trainers.claims import claim
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.sessions.models import SessionStatus, TrainingSession

logger = logging.getLogger(__name__)

BOOKED = TrainingSession.status == SessionStatus.BOOKED


def send_reminders(now: datetime) -> str:
    """Remind everyone on a session at REMINDER_HOURS_BEFORE, with the same calendar
    event (its UID and SEQUENCE); each reminder once. Commits."""
    first_hours, second_hours = current_app.config["REMINDER_HOURS_BEFORE"]
    sent = 0
    # The later reminder first: a session booked at short notice gets one, not two.
    for column, hours, skipped in (
        (
            TrainingSession.second_reminder_at,
            second_hours,
            TrainingSession.first_reminder_at,
        ),
        (TrainingSession.first_reminder_at, first_hours, None),
    ):
        # Checked again in the claim: the session may move while the job runs.
        due = (
            BOOKED,
            TrainingSession.starts_at > now,
            TrainingSession.starts_at <= now + timedelta(hours=hours),
        )
        for session_id in db.session.scalars(
            select(TrainingSession.id).where(column.is_(None), *due)
        ).all():
            if not claim(TrainingSession, session_id, column, now, *due):
                continue
            if skipped is not None:
                claim(TrainingSession, session_id, skipped, now)
            training_session = db.session.get(TrainingSession, session_id)
            db.session.refresh(training_session)
            calendar.send_invites(training_session, "session_reminder", now=now)
            db.session.commit()
            sent += 1
    return f"{sent} reminders sent"


def nudge_meeting_links(now: datetime) -> str:
    """Ask the organisers of an online session with no meeting link, once, when it
    is MEETING_LINK_NUDGE_HOURS away. Commits."""
    hours = current_app.config["MEETING_LINK_NUDGE_HOURS"]
    due = (
        BOOKED,
        TrainingSession.is_online,
        TrainingSession.meeting_url.is_(None),
        TrainingSession.starts_at > now,
        TrainingSession.starts_at <= now + timedelta(hours=hours),
    )
    column = TrainingSession.meeting_link_nudged_at
    nudged = 0
    for session_id in db.session.scalars(
        select(TrainingSession.id).where(column.is_(None), *due)
    ).all():
        # Checked again in the claim: a link may be added while the job runs.
        if not claim(TrainingSession, session_id, column, now, *due):
            continue
        training_session = db.session.get(TrainingSession, session_id)
        link = absolute_url("sessions.change_details", session_id=session_id)
        for person in calendar.organisers(training_session):
            mail.send_email(
                person.email,
                "meeting_link_needed",
                person=person,
                training_session=training_session,
                link=link,
            )
        db.session.commit()
        nudged += 1
    return f"{nudged} online sessions without a link nudged"


def follow_up(now: datetime) -> str:
    """Ask trainer and organisers to record attendance after a session, then ask
    again; after ATTENDANCE_UNKNOWN_DAYS mark it unknown and stop. Commits."""
    config = current_app.config
    first_hours, second_hours = config["FOLLOW_UP_HOURS_AFTER"]
    unknown_after = timedelta(days=config["ATTENDANCE_UNKNOWN_DAYS"])
    gap = timedelta(hours=second_hours - first_hours)
    still_chased = (BOOKED, TrainingSession.attendance_unknown_at.is_(None))
    # Latest step first, and "again" only a gap after the first ask, so a
    # scheduler back from a long stop never sends two asks in a row.
    steps = (
        ("marked unknown", TrainingSession.attendance_unknown_at, unknown_after, ()),
        (
            "asked again",
            TrainingSession.second_follow_up_at,
            timedelta(hours=second_hours),
            (TrainingSession.first_follow_up_at <= now - gap,),
        ),
        ("asked", TrainingSession.first_follow_up_at, timedelta(hours=first_hours), ()),
    )
    counts = dict.fromkeys((name for name, *_ in steps), 0)
    for name, column, after, extra in steps:
        due = db.session.scalars(
            select(TrainingSession.id).where(
                *still_chased,
                column.is_(None),
                TrainingSession.ends_at <= now - after,
                *extra,
            )
        ).all()
        for session_id in due:
            if not claim(
                TrainingSession,
                session_id,
                column,
                now,
                *still_chased,
                TrainingSession.ends_at <= now - after,
                *extra,
            ):
                continue
            training_session = db.session.get(TrainingSession, session_id)
            if name == "marked unknown":
                logger.warning(
                    "Session %s: attendance unknown, no longer chased", session_id
                )
            else:
                _ask_for_attendance(training_session, again=name == "asked again")
            db.session.commit()
            counts[name] += 1
    return ", ".join(f"{n} {name}" for name, n in counts.items())


def _ask_for_attendance(training_session: TrainingSession, again: bool) -> None:
    link = absolute_url("attendance.show", session_id=training_session.id)
    # Only those who may record it are asked: not shadowing trainers.
    recorders = [
        person
        for person in calendar.participants(training_session)
        if person.id == training_session.trainer_id
        or training_session.group in person.groups
    ]
    for person in recorders:
        mail.send_email(
            person.email,
            "attendance_request",
            person=person,
            training_session=training_session,
            again=again,
            link=link,
        )
