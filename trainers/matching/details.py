"""Changing a booked session's place and particulars: a new room, a meeting link,
more people, new access needs or notes, without cancelling and starting again."""

import logging
from datetime import datetime

from trainers.auth.models import User
from trainers.calendar import services as calendar
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.matching import booking, places
from trainers.matching.booking import session_venue
from trainers.matching.notice import check_notice, tell_office
from trainers.requests import services as requests
from trainers.requests.details import Particulars
from trainers.sessions import services as sessions
from trainers.sessions.models import SessionStatus, TrainingSession, place_of

logger = logging.getLogger(__name__)


def change_details(
    training_session: TrainingSession,
    written: Particulars,
    by: User,
    now: datetime,
    *,
    confirmed: bool = False,
) -> list[str]:
    """The group's organisers or the office change a booked session still to come.

    The request keeps what the group now asks for and the session follows it;
    a new venue must be within the trainer's reach (through the booking gate),
    and shadowing trainers who can't get there come off it. Everyone on it gets
    the updated invite and what changed. Inside the notice window it needs
    `confirmed` and the office is told. Returns the changes (none: []).
    """
    training_request = training_session.training_request
    booking.hold(training_request, training_session.trainer_ids(), now)
    db.session.refresh(training_session)
    if training_session.status != SessionStatus.BOOKED or (
        training_session.starts_at <= now
    ):
        raise DomainError(
            "Only a booked session still to come can be changed. Record attendance "
            "or rate it from its page instead."
        )
    changes = requests.change_booked_request(training_request, written, by=by, now=now)
    if not changes:
        return []
    is_short = check_notice(now, confirmed, training_session.starts_at)
    place = place_of(training_request)
    moves = place["venue_latitude"] != training_session.venue_latitude or (
        place["venue_longitude"] != training_session.venue_longitude
    )
    sessions.change_place(training_session, now, **place)
    if moves:
        _ensure_trainer_reaches(training_request, training_session)
        places.drop_not_free(training_request, training_session, by, now)
    summary = "; ".join(changes)
    if is_short:
        training_request.note(
            "changed",
            f"Changed inside the notice window: {summary}",
            by,
            now,
            is_flagged=True,
        )
        tell_office(training_request, f"Changed at short notice: {summary}")
    calendar.send_invites(training_session, "session_changed", by=by, changes=changes)
    logger.info(
        "Session %s changed by user %s: %s", training_session.id, by.id, summary
    )
    return changes


def _ensure_trainer_reaches(training_request, training_session) -> None:
    trainer_id = training_session.trainer_id
    verdict = booking.judge(
        training_request,
        [trainer_id],
        training_session.starts_at,
        training_session.ends_at,
        venue=session_venue(training_session),
        moving_session_id=training_session.id,
        rules=booking.PLACE,
    )[trainer_id]
    if not verdict.is_free:
        raise DomainError(
            f"{verdict.name} can't run it there ({verdict.reasons}). Choose a venue "
            "within their reach, or cancel the request and ask again for the new "
            "place.",
            field="venue_postcode",
        )
