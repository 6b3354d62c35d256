"""A request's life across features: submitted and offered, edited and offered
again, and a booked session rescheduled, dropped or cancelled.

Each function is the one service a view calls; it flushes and the view commits,
so a failure anywhere leaves nothing half done.
"""

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from trainers import mail
from trainers.auth.models import User
from trainers.calendar import services as calendar
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.matching.candidates import request_venue, slot_facts
from trainers.matching.facts import load_trainer_facts, travel_settings
from trainers.matching.models import OfferStatus
from trainers.matching.rules import Venue, broken_rules
from trainers.matching.services import (
    lock_request,
    offer_request,
    record,
    withdraw_pending_offers,
)
from trainers.network.models import Topic
from trainers.profiles.models import TrainerTopic
from trainers.requests import services as requests
from trainers.requests.models import RequestSlot, RequestStatus, TrainingRequest
from trainers.sessions import services as sessions
from trainers.sessions.models import SessionShadow, SessionStatus, TrainingSession
from trainers.timeutil import format_datetime

logger = logging.getLogger(__name__)


class NeedsConfirmation(DomainError):
    """A change inside the notice window: the person must confirm it first."""

    def __init__(self, starts_at: datetime):
        hours = current_app.config["NOTICE_WINDOW_HOURS"]
        super().__init__(
            f"This session starts within {hours} hours. Tick the box to confirm the "
            "change; the national office will be told.",
            field="confirm",
        )
        self.starts_at = starts_at


def submit_request(
    group, topic, slots, *, by: User, now: datetime, **details
) -> TrainingRequest:
    """Create a request and offer it at once to the best candidates."""
    training_request = requests.create_request(
        group, topic, slots, by=by, now=now, **details
    )
    offer_request(training_request, now)
    return training_request


def change_request(
    training_request: TrainingRequest,
    topic,
    slots,
    *,
    by: User,
    now: datetime,
    **details,
) -> list[str]:
    """Edit an open request; waiting offers are withdrawn and it is offered afresh.

    Everyone may be asked again: the times or place changed since they answered.
    """
    lock_request(training_request)
    changes = requests.update_request(
        training_request, topic, slots, by=by, now=now, **details
    )
    if changes:
        withdraw_pending_offers(training_request, now, tell_trainers=True)
        training_request.status = RequestStatus.SUBMITTED
        training_request.status_changed_at = now
        db.session.flush()
        offer_request(
            training_request,
            now,
            skip_statuses=(OfferStatus.PENDING, OfferStatus.ACCEPTED),
        )
    return changes


def _within_notice(
    training_session: TrainingSession | None, now: datetime, *others
) -> bool:
    window = timedelta(hours=current_app.config["NOTICE_WINDOW_HOURS"])
    starts = [
        s for s in (training_session and training_session.starts_at, *others) if s
    ]
    return any(start - now < window for start in starts)


def _check_notice(is_short: bool, confirmed: bool, starts_at: datetime) -> None:
    if is_short and not confirmed:
        raise NeedsConfirmation(starts_at)


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
    is_short = training_session is not None and _within_notice(training_session, now)
    if training_session is not None:
        _check_notice(is_short, confirmed, training_session.starts_at)
    requests.cancel_request(training_request, reason, by, now)
    withdraw_pending_offers(training_request, now, tell_trainers=True)
    if training_session is not None:
        sessions.cancel_session(training_session, training_request.cancel_reason, now)
        _tell_people(training_session, "session_cancelled", by=by)
    if is_short:
        _flag(training_request, "Cancelled inside the notice window", by, now)
    return training_request


def reschedule(
    training_request: TrainingRequest,
    starts_at: datetime,
    ends_at: datetime,
    by: User,
    now: datetime,
    confirmed: bool = False,
) -> TrainingSession | None:
    """Move a booked request to new times (one of its slots or a new one).

    The same trainer keeps it if they are still free then, and the session is
    updated; otherwise it is cancelled and matching re-opens for the new time.
    Returns the moved session, or None when matching re-opened.
    """
    lock_request(training_request)
    if training_request.status != RequestStatus.BOOKED:
        raise DomainError(
            "Only a booked session can be rescheduled; edit the request instead."
        )
    training_session = sessions.booked_session_of(training_request.id)
    if starts_at <= now:
        raise DomainError("Choose a time in the future.", field="slot")
    if (starts_at, ends_at) == (training_session.starts_at, training_session.ends_at):
        raise DomainError("That is the time it is already booked for.", field="slot")
    is_short = _within_notice(training_session, now, starts_at)
    _check_notice(is_short, confirmed, training_session.starts_at)
    _replace_slots(training_request, starts_at, ends_at)
    slot = training_request.slots[0]
    facts, _ = load_trainer_facts(
        [training_session.trainer_id],
        training_request.topic_id,
        starts_at,
        ends_at,
        ignore_session_id=training_session.id,
    )
    broken = broken_rules(
        facts[training_session.trainer_id],
        slot_facts(slot, request_venue(training_request)),
        travel_settings(),
        ignore_session_id=training_session.id,
    )
    when = format_datetime(starts_at)
    if not broken:
        sessions.move_session(training_session, starts_at, ends_at, now)
        record(
            training_request,
            "rescheduled",
            f"Moved to {when}",
            by,
            now,
            is_flagged=is_short,
        )
        _tell_people(training_session, "session_moved", by=by)
        if is_short:
            _tell_office(training_request, f"Rescheduled at short notice to {when}")
        return training_session
    trainer = training_session.trainer
    sessions.cancel_session(training_session, f"Rescheduled to {when}", now)
    _tell_people(training_session, "session_cancelled", by=by)
    training_request.status = RequestStatus.SUBMITTED
    training_request.status_changed_at = now
    record(
        training_request,
        "rescheduled",
        f"Moved to {when}; {trainer.name} cannot make it ({'; '.join(broken)}), so "
        "matching re-opened",
        by,
        now,
        is_flagged=is_short,
    )
    db.session.flush()
    offer_request(training_request, now, skip_statuses=(OfferStatus.PENDING,))
    if is_short:
        _tell_office(training_request, f"Rescheduled at short notice to {when}")
    return None


def _replace_slots(
    training_request: TrainingRequest, starts_at: datetime, ends_at: datetime
) -> None:
    for slot in list(training_request.slots):
        if (slot.starts_at, slot.ends_at) != (starts_at, ends_at):
            training_request.slots.remove(slot)
    if not training_request.slots:
        training_request.slots.append(RequestSlot(starts_at=starts_at, ends_at=ends_at))
    db.session.flush()


def drop_out(
    training_session: TrainingSession,
    trainer: User,
    reason: str,
    now: datetime,
    confirmed: bool = False,
) -> TrainingSession:
    """A trainer gives up a booked session: it is cancelled, matching re-opens
    without them, and the office is alerted."""
    if training_session.trainer_id != trainer.id:
        raise NotFound()
    lock_request(training_session.training_request)
    db.session.refresh(training_session)
    if training_session.status != SessionStatus.BOOKED:
        raise DomainError(
            f"This session is {training_session.status}; there is nothing to drop."
        )
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why you can no longer do it.", field="reason")
    is_short = _within_notice(training_session, now)
    _check_notice(is_short, confirmed, training_session.starts_at)
    training_request = training_session.training_request
    sessions.cancel_session(
        training_session, f"{trainer.name} dropped out: {reason}", now
    )
    training_request.status = RequestStatus.SUBMITTED
    training_request.status_changed_at = now
    record(
        training_request,
        "dropped out",
        f"{trainer.name}: {reason}",
        trainer,
        now,
        is_flagged=True,
    )
    db.session.flush()
    _tell_people(training_session, "session_cancelled", by=trainer)
    _tell_office(training_request, f"{trainer.name} dropped out: {reason}")
    offer_request(training_request, now)
    return training_session


def add_shadow(
    training_session: TrainingSession, trainer_id: int, by: User, now: datetime
) -> SessionShadow:
    """The office adds a trainer who is shadowing the topic as second trainer."""
    if (
        training_session.status != SessionStatus.BOOKED
        or training_session.ends_at <= now
    ):
        raise DomainError("Only a session still to come can take a shadowing trainer.")
    if trainer_id == training_session.trainer_id or any(
        s.trainer_id == trainer_id for s in training_session.shadows
    ):
        raise DomainError(
            "That trainer is already on this session.", field="trainer_id"
        )
    level = db.session.scalar(
        select(TrainerTopic.level).where(
            TrainerTopic.trainer_id == trainer_id,
            TrainerTopic.topic_id == training_session.topic_id,
        )
    )
    if level != "shadowing":
        raise DomainError(
            "Only a trainer shadowing this topic can be added.", field="trainer_id"
        )
    facts, names = load_trainer_facts(
        [trainer_id],
        training_session.topic_id,
        training_session.starts_at,
        training_session.ends_at,
    )
    slot = slot_facts(training_session, _session_venue(training_session))
    clash = [
        rule
        for rule in broken_rules(facts[trainer_id], slot, travel_settings())
        if rule.startswith(("clashes", "on a day off", "account"))
    ]
    if clash:
        raise DomainError(
            f"{names[trainer_id]} cannot join: {'; '.join(clash)}.", field="trainer_id"
        )
    shadow = SessionShadow(
        session_id=training_session.id, trainer_id=trainer_id, added_at=now
    )
    db.session.add(shadow)
    db.session.flush()
    record(
        training_session.training_request,
        "shadow added",
        f"{names[trainer_id]} will shadow",
        by,
        now,
    )
    db.session.refresh(training_session)
    _tell_people(training_session, "shadow_added", by=by, only=[shadow.trainer])
    return shadow


def _session_venue(training_session: TrainingSession) -> Venue:
    return Venue(
        training_session.is_online,
        training_session.venue_latitude,
        training_session.venue_longitude,
    )


def ready_to_qualify(now: datetime) -> list[tuple[User, Topic, int]]:
    """Shadowing trainers who have shadowed enough past sessions of a topic."""
    needed = current_app.config["SHADOWED_SESSIONS_TO_QUALIFY"]
    shadowed = func.count(SessionShadow.session_id)
    rows = db.session.execute(
        select(User, Topic, shadowed)
        .join(SessionShadow, SessionShadow.trainer_id == User.id)
        .join(TrainingSession, TrainingSession.id == SessionShadow.session_id)
        .join(Topic, Topic.id == TrainingSession.topic_id)
        .join(
            TrainerTopic,
            (TrainerTopic.trainer_id == User.id) & (TrainerTopic.topic_id == Topic.id),
        )
        .where(
            TrainerTopic.level == "shadowing",
            TrainingSession.status != SessionStatus.CANCELLED,
            TrainingSession.ends_at < now,
        )
        .group_by(User.id, Topic.id)
        .having(shadowed >= needed)
        .order_by(User.name, Topic.name)
    )
    return [tuple(row) for row in rows]


def mark_qualified(trainer_id: int, topic_id: int) -> TrainerTopic:
    """The office marks a shadowing trainer qualified for a topic."""
    trainer_topic = db.session.get(TrainerTopic, (trainer_id, topic_id))
    if trainer_topic is None:
        raise NotFound()
    trainer_topic.level = "qualified"
    db.session.flush()
    logger.info("Trainer %s qualified for topic %s", trainer_id, topic_id)
    return trainer_topic


def _flag(
    training_request: TrainingRequest, detail: str, by: User, now: datetime
) -> None:
    record(training_request, "flagged", detail, by, now, is_flagged=True)
    _tell_office(training_request, detail)


def _tell_office(training_request: TrainingRequest, what: str) -> None:
    link = absolute_url("requests.show", request_id=training_request.id)
    for person in db.session.scalars(
        select(User).where(User.is_office, User.is_active)
    ):
        mail.send_email(
            person.email,
            "office_alert",
            person=person,
            training_request=training_request,
            what=what,
            link=link,
        )


def _tell_people(
    training_session: TrainingSession, template: str, by: User, only=None
) -> None:
    calendar.send_invites(training_session, template, people=only, by=by)


def shadow_choices(training_session: TrainingSession) -> list[User]:
    """Active trainers shadowing the session's topic who are not on it yet."""
    on_it = {
        training_session.trainer_id,
        *(s.trainer_id for s in training_session.shadows),
    }
    return [
        user
        for user in db.session.scalars(
            select(User)
            .join(TrainerTopic, TrainerTopic.trainer_id == User.id)
            .where(
                User.is_active,
                TrainerTopic.topic_id == training_session.topic_id,
                TrainerTopic.level == "shadowing",
            )
            .order_by(User.name)
        )
        if user.id not in on_it
    ]
