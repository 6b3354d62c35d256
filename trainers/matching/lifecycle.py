"""A request's life across features: submitted and offered, edited and offered
again, and a booked session rescheduled, handed back or cancelled.

Each function is the one service a view calls; it flushes and the view commits,
so a failure anywhere leaves nothing half done.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from trainers import mail
from trainers.auth.models import User
from trainers.calendar import services as calendar
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.matching import booking, places
from trainers.matching.booking import Verdict, session_venue
from trainers.matching.locks import lock_request
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.notice import check_notice, flag, tell_office
from trainers.matching.offers import (
    end_wait_unless_at,
    offer_request,
    withdraw_pending_offers,
)
from trainers.requests import services as requests
from trainers.requests.details import Particulars
from trainers.requests.models import (
    RequestSlot,
    RequestStatus,
    TrainingRequest,
)
from trainers.sessions import services as sessions
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import format_datetime

logger = logging.getLogger(__name__)


def submit_request(
    group, topic, slots, written: Particulars, *, by: User, now: datetime, **options
) -> TrainingRequest:
    """Create a request and offer it at once to the best candidates."""
    training_request = requests.create_request(
        group, topic, slots, written, by=by, now=now, **options
    )
    offer_request(training_request, now)
    return training_request


def change_request(
    training_request: TrainingRequest,
    topic,
    slots,
    written: Particulars,
    *,
    by: User,
    now: datetime,
    **options,
) -> list[str]:
    """Edit an open request; waiting offers are withdrawn and it is offered afresh.

    Everyone may be asked again: the times or place changed since they answered.
    A time settled on earlier no longer binds matching. `options` are
    update_request's warnings.
    """
    lock_request(training_request)
    changes = requests.update_request(
        training_request, topic, slots, written, by=by, now=now, **options
    )
    if changes:
        withdraw_pending_offers(training_request, now, tell_trainers=True)
        for slot in training_request.slots:
            slot.is_settled = False
        end_wait_unless_at(training_request, slots, now)
        training_request.move_to(RequestStatus.SUBMITTED, now)
        db.session.flush()
        offer_request(
            training_request,
            now,
            skip_statuses=(OfferStatus.PENDING, OfferStatus.ACCEPTED),
        )
    return changes


def cancel_training_request(
    training_request: TrainingRequest,
    reason: str,
    by: User,
    now: datetime,
    confirmed: bool = False,
) -> TrainingRequest:
    """Cancel a request: waiting offers are withdrawn and a booked session cancelled,
    everyone involved told. Inside the notice window it needs `confirmed`."""
    lock_request(training_request)
    training_session = sessions.booked_session_of(training_request.id)
    is_short = training_session is not None and check_notice(
        now, confirmed, training_session.starts_at
    )
    requests.cancel_request(training_request, reason, by, now)
    withdraw_pending_offers(training_request, now, tell_trainers=True)
    if training_session is not None:
        sessions.cancel_session(training_session, training_request.cancel_reason, now)
        calendar.send_invites(training_session, "session_cancelled", by=by)
    end_wait_unless_at(training_request, [], now)
    if is_short:
        flag(training_request, "flagged", "Cancelled inside the notice window", by, now)
    return training_request


@dataclass(frozen=True)
class TimeChoice:
    """A time a booked session could move to, and whether its trainer can do it."""

    slot_id: int | None  # one of the request's proposed times, or None: a new one
    starts_at: datetime
    ends_at: datetime
    verdict: Verdict


def reschedule_choices(
    training_request: TrainingRequest,
    training_session: TrainingSession,
    now: datetime,
    new_time: tuple[datetime, datetime] | None = None,
) -> list[TimeChoice]:
    """The request's other proposed times still to come (and `new_time`, if
    given), each with whether the booked trainer can do it, and why not."""
    times = [
        (slot.id, slot.starts_at, slot.ends_at)
        for slot in training_request.slots
        if slot.starts_at > now
        and (slot.starts_at, slot.ends_at)
        != (training_session.starts_at, training_session.ends_at)
    ]
    if new_time is not None:
        times.append((None, *new_time))
    verdicts = booking.judge_times(
        training_request,
        training_session.trainer_id,
        [(starts_at, ends_at) for _, starts_at, ends_at in times],
        venue=session_venue(training_session),
        moving_session_id=training_session.id,
    )
    return [
        TimeChoice(slot_id, starts_at, ends_at, verdict)
        for (slot_id, starts_at, ends_at), verdict in zip(times, verdicts, strict=True)
    ]


def _trainer_verdict(
    training_request: TrainingRequest,
    training_session: TrainingSession,
    starts_at: datetime,
    ends_at: datetime,
) -> Verdict:
    trainer_id = training_session.trainer_id
    return booking.judge(
        training_request,
        [trainer_id],
        starts_at,
        ends_at,
        venue=session_venue(training_session),
        moving_session_id=training_session.id,
    )[trainer_id]


class TrainerCannotMakeIt(DomainError):
    """The booked trainer can't do the new time: moving there releases them,
    which the person must confirm, knowing it."""

    def __init__(self, verdict: Verdict, starts_at: datetime):
        super().__init__(
            f"{verdict.name} can't do {format_datetime(starts_at)} "
            f"({verdict.reasons}): they will be released and we will look for "
            "another trainer. Tick the box to go ahead, or choose another time.",
            field="release",
        )
        self.verdict = verdict


@dataclass(frozen=True)
class Rescheduled:
    """How a reschedule ended: the trainer kept, or released and the request
    offered to others (or unfilled)."""

    training_session: TrainingSession
    kept_trainer: bool
    trainer_name: str
    request_status: str
    offers_made: int


def reschedule(
    training_request: TrainingRequest,
    starts_at: datetime,
    ends_at: datetime,
    by: User,
    now: datetime,
    *,
    reason: str = "",
    confirmed: bool = False,
    release: bool = False,
) -> Rescheduled:
    """Move a booked request to new times (one of its proposed times or a new one).

    The trainer keeps it if they can do the new time, through the booking gate.
    If not, it raises TrainerCannotMakeIt unless `release` confirms that they
    are released: the session is cancelled and matching re-opens for the new
    time. The new time becomes the one the group settled on; no proposed time
    is removed. Inside the notice window it needs `confirmed`.
    """
    training_session = _held_booked_session(training_request, now)
    if starts_at <= now:
        raise DomainError("Choose a time in the future.", field="slot")
    if (starts_at, ends_at) == (training_session.starts_at, training_session.ends_at):
        raise DomainError("That is the time it is already booked for.", field="slot")
    reason = reason.strip()
    is_short = check_notice(now, confirmed, training_session.starts_at, starts_at)
    verdict = _trainer_verdict(training_request, training_session, starts_at, ends_at)
    if not verdict.is_free and not release:
        raise TrainerCannotMakeIt(verdict, starts_at)
    _settle(training_request, starts_at, ends_at)
    moved = f"Moved from {format_datetime(training_session.starts_at)} to "
    moved += format_datetime(starts_at)
    why = f": {reason}" if reason else ""
    if verdict.is_free:
        sessions.move_session(training_session, starts_at, ends_at, now)
        training_request.note("rescheduled", moved + why, by, now, is_short)
        places.drop_not_free(training_request, training_session, by, now)
        calendar.send_invites(training_session, "session_moved", by=by, reason=reason)
        made = []
    else:
        made = _release_trainer(
            training_request, training_session, verdict, moved + why, by, now, is_short
        )
    if is_short:
        tell_office(training_request, f"Rescheduled at short notice: {moved}")
    return Rescheduled(
        training_session,
        kept_trainer=verdict.is_free,
        trainer_name=verdict.name,
        request_status=training_request.status,
        offers_made=len(made),
    )


def _held_booked_session(
    training_request: TrainingRequest, now: datetime
) -> TrainingSession:
    """The request's booked session, held at the booking gate with its trainer
    and co-trainers, and read again. Raises DomainError when there is
    none, or when it changed meanwhile."""
    training_session = sessions.booked_session_of(training_request.id)
    if training_session is None:
        raise DomainError(
            "Only a booked session can be rescheduled; edit the request instead."
        )
    booking.hold(training_request, training_session.trainer_ids(), now)
    db.session.refresh(training_session)
    if (
        training_request.status != RequestStatus.BOOKED
        or training_session.status != SessionStatus.BOOKED
    ):
        raise DomainError(
            "This session changed while you were choosing. Reload the page to see "
            "it as it is now."
        )
    return training_session


def _release_trainer(
    training_request: TrainingRequest,
    training_session: TrainingSession,
    verdict: Verdict,
    moved: str,
    by: User,
    now: datetime,
    is_short: bool,
) -> list[Offer]:
    """The trainer can't do the new time: their session is cancelled, and
    matching re-opens with everyone asked again. Returns the offers made."""
    sessions.cancel_session(training_session, moved, now)
    training_request.move_to(RequestStatus.SUBMITTED, now)
    training_request.note(
        "rescheduled",
        f"{moved}. {verdict.name} can't do it ({verdict.reasons}), so was "
        "released and matching re-opened",
        by,
        now,
        is_short,
    )
    db.session.flush()
    made = offer_request(training_request, now, skip_statuses=())
    # After matching, so the group is told what it found.
    calendar.send_invites(training_session, "session_cancelled", by=by)
    return made


def _settle(training_request: TrainingRequest, starts_at: datetime, ends_at) -> None:
    """Make this time the request's settled one, adding it if it was not proposed."""
    settled = None
    for slot in training_request.slots:
        slot.is_settled = False
        if (slot.starts_at, slot.ends_at) == (starts_at, ends_at):
            settled = slot
    # Unset before set: one settled time per request, checked row by row.
    db.session.flush()
    if settled is None:
        settled = RequestSlot(starts_at=starts_at, ends_at=ends_at)
        training_request.slots.append(settled)
    settled.is_settled = True
    db.session.flush()


def hand_back(
    training_session: TrainingSession,
    trainer: User,
    reason: str,
    now: datetime,
    *,
    confirmed: bool = False,
    by: User | None = None,
) -> TrainingSession:
    """A trainer gives a booked session back (`by` the office on their behalf):
    they get a CANCEL, the group is told at once and keeps the event in its
    calendars, matching re-opens for the same time, and the next trainer booked
    then gets an invite for the same event. Co-trainers stay on it, keeping
    the event as the group does. Inside the notice window it needs
    `confirmed`. Raises NotFound when it is not their session."""
    by = by or trainer
    if training_session.trainer_id != trainer.id:
        raise NotFound()
    training_request = lock_request(training_session.training_request)
    db.session.refresh(training_session)
    if training_session.status != SessionStatus.BOOKED:
        raise DomainError(
            f"This session is {training_session.status}; there is nothing to hand back."
        )
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why you can no longer do it.", field="reason")
    check_notice(now, confirmed, training_session.starts_at)
    sessions.hand_back_session(
        training_session, f"{trainer.name} handed it back: {reason}", now
    )
    calendar.send_invites(
        training_session,
        "session_cancelled",
        people=[trainer] if trainer.is_active else [],
        by=by,
    )
    _settle(training_request, training_session.starts_at, training_session.ends_at)
    training_request.move_to(RequestStatus.SUBMITTED, now)
    flag(
        training_request,
        "handed back",
        f"{trainer.name} handed back the session on "
        f"{format_datetime(training_session.starts_at)}: {reason}",
        by,
        now,
    )
    db.session.flush()
    made = offer_request(training_request, now)
    _tell_group_handed_back(training_session, trainer, reason, len(made))
    logger.info("Session %s handed back by trainer %s", training_session.id, trainer.id)
    return training_session


def _tell_group_handed_back(
    training_session: TrainingSession, trainer: User, reason: str, offers: int
) -> None:
    link = absolute_url("requests.show", request_id=training_session.request_id)
    for person in calendar.organisers(training_session):
        mail.send_email(
            person.email,
            "session_handed_back",
            person=person,
            training_session=training_session,
            trainer=trainer,
            reason=reason,
            offers=offers,
            link=link,
        )
