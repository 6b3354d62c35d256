"""The places on a booked session beside its lead: taken by co-trainers and
shadowing trainers through the booking gate, left, and offered again; and
trainers who shadowed enough sessions, qualifying.

Every function flushes and leaves the commit to the caller.
"""

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from trainers.auth.models import User
from trainers.calendar import services as calendar
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.matching import booking
from trainers.matching.booking import TrainerNotFree, session_venue
from trainers.matching.locks import lock_request
from trainers.matching.models import OfferStatus
from trainers.matching.offers import (
    offer_places,
    pending_offers,
    withdraw_pending_offers,
)
from trainers.network.models import MAX_TRAINERS, Topic
from trainers.profiles.models import TrainerTopic
from trainers.requests.models import TrainingRequest
from trainers.sessions import services as sessions
from trainers.sessions.models import SessionPlace, SessionStatus, TrainingSession

logger = logging.getLogger(__name__)


def level_in(trainer_id: int, topic_id: int) -> str | None:
    """The trainer's level in the topic: qualified, shadowing, or None."""
    return db.session.scalar(
        select(TrainerTopic.level).where(
            TrainerTopic.trainer_id == trainer_id, TrainerTopic.topic_id == topic_id
        )
    )


def rules_for(is_shadowing: bool, teaches: bool) -> frozenset | None:
    """The hard rules a trainer in a place keeps: every one for a co-trainer
    teaching in it (but being qualified, for one shadowing the topic), only
    being free for one the office adds to watch."""
    if not teaches:
        return booking.SHADOWING
    return booking.SHADOWING_CO_TRAINER if is_shadowing else None


def fill(
    training_session: TrainingSession,
    place: SessionPlace,
    trainer: User,
    is_shadowing: bool,
    detail: str,
    by: User | None,
    now: datetime,
) -> SessionPlace:
    """Put the trainer, held and judged at the gate, in the open place: their
    other waiting offers for the session end, the others waiting for that
    place are told it is taken, and everyone on it gets the event with them."""
    place.trainer_id, place.is_shadowing, place.filled_at = (
        trainer.id,
        is_shadowing,
        now,
    )
    db.session.flush()
    training_request = training_session.training_request
    withdraw_pending_offers(
        training_request, now, tell_trainers=True, places=[place.place]
    )
    # One trainer holds one place of a session: their offers of others end.
    for offer in pending_offers(training_request, places=None):
        if offer.trainer_id == trainer.id and not offer.is_for_lead:
            offer.answer(OfferStatus.WITHDRAWN, now)
    training_request.note("place taken", detail, by, now)
    db.session.refresh(place)
    sessions.touch(training_session, now)
    calendar.send_invites(
        training_session,
        "trainers_changed",
        joined=trainer,
        place=place,
        left=None,
        why="",
    )
    logger.info(
        "Session %s place %s taken by trainer %s",
        training_session.id,
        place.place,
        trainer.id,
    )
    return place


def add_shadow(
    training_session: TrainingSession, trainer_id: int, by: User, now: datetime
) -> SessionPlace:
    """The office adds a trainer shadowing the topic, through the booking gate
    (they must be free then): in an open place where the request allows
    shadowing, else in a place of their own beyond those the session needs."""
    if level_in(trainer_id, training_session.topic_id) != "shadowing":
        raise DomainError(
            "Only a trainer shadowing this topic can be added.", field="trainer_id"
        )
    _ensure_open_to(training_session, trainer_id, now)
    training_request = training_session.training_request
    takes_open = training_request.allows_shadowing and training_session.open_places
    try:
        booking.admit(
            training_request,
            trainer_id,
            training_session.starts_at,
            training_session.ends_at,
            now,
            venue=session_venue(training_session),
            rules=rules_for(True, teaches=bool(takes_open)),
        )
    except TrainerNotFree as error:
        raise DomainError(
            f"{error.verdict.name} cannot join: {error.verdict.reasons}.",
            field="trainer_id",
        ) from None
    # Held now: the session may have moved, ended or taken them meanwhile.
    db.session.refresh(training_session)
    _ensure_open_to(training_session, trainer_id, now)
    place = next(iter(training_session.open_places), None) if takes_open else None
    if place is None:
        number = max((p.place for p in training_session.places), default=1) + 1
        place = SessionPlace(place=number, is_needed=False)
        training_session.places.append(place)
    trainer = db.session.get(User, trainer_id)
    return fill(
        training_session, place, trainer, True, f"{trainer.name} will shadow", by, now
    )


def _ensure_open_to(
    training_session: TrainingSession, trainer_id: int, now: datetime
) -> None:
    if (
        training_session.status != SessionStatus.BOOKED
        or training_session.ends_at <= now
    ):
        raise DomainError("Only a session still to come can take another trainer.")
    if trainer_id in training_session.trainer_ids():
        raise DomainError(
            "That trainer is already on this session.", field="trainer_id"
        )


def leave(
    training_session: TrainingSession,
    place: SessionPlace,
    why: str,
    by: User | None,
    now: datetime,
    offer_again: bool = True,
) -> None:
    """Take a trainer out of their place on a session that goes on: they get a
    CANCEL of its event saying `why`, everyone left on it the event without
    them; a place the session needs opens (and, unless not `offer_again`, is
    offered again), one beyond them goes."""
    leaver = place.trainer
    if place.is_needed:
        place.trainer_id = place.filled_at = None
        place.is_shadowing = False
    else:
        training_session.places.remove(place)
    db.session.flush()
    db.session.refresh(training_session)
    sessions.touch(training_session, now)
    if leaver.is_active:
        calendar.send_invites(
            training_session, "place_left", people=[leaver], removed=True, why=why
        )
    calendar.send_invites(
        training_session,
        "trainers_changed",
        joined=None,
        place=None,
        left=leaver,
        why=why,
    )
    training_session.training_request.note(
        "place left", f"{leaver.name} is no longer on it: {why}", by, now
    )
    logger.info("Trainer %s left session %s", leaver.id, training_session.id)
    if offer_again and place.is_needed:
        offer_places(training_session, now)


def drop_out(
    training_session: TrainingSession, trainer: User, reason: str, now: datetime
) -> None:
    """A co-trainer gives their place back: only it reopens, and it is offered
    again. Raises NotFound when they hold none, DomainError without a reason."""
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why you can no longer do it.", field="reason")
    booking.hold(training_session.training_request, [trainer.id], now)
    db.session.refresh(training_session)
    place = held_by(training_session, trainer.id)
    if place is None or training_session.status != SessionStatus.BOOKED:
        raise NotFound()
    leave(
        training_session, place, f"{trainer.name} dropped out: {reason}", trainer, now
    )


def held_by(training_session: TrainingSession, trainer_id: int) -> SessionPlace | None:
    """The place the trainer holds on the session beside its lead, if any."""
    return next(
        (p for p in training_session.co_trainers if p.trainer_id == trainer_id), None
    )


def drop_not_free(
    training_request: TrainingRequest,
    training_session: TrainingSession,
    by: User,
    now: datetime,
) -> None:
    """Trainers beside the lead who can't be on the session as it now is
    (moved, or at a new venue) leave their places; offers of places made for
    it as it was are withdrawn, and the open places offered afresh. The caller
    holds them (booking.hold) with its lead."""
    for place in list(training_session.co_trainers):
        verdict = booking.judge(
            training_request,
            [place.trainer_id],
            training_session.starts_at,
            training_session.ends_at,
            venue=session_venue(training_session),
            moving_session_id=training_session.id,
            rules=rules_for(place.is_shadowing, teaches=place.is_needed),
        )[place.trainer_id]
        if not verdict.is_free:
            leave(
                training_session,
                place,
                f"the session changed and no longer fits ({verdict.reasons})",
                by,
                now,
                offer_again=False,
            )
    withdraw_pending_offers(
        training_request,
        now,
        tell_trainers=True,
        places=[p.place for p in training_session.places],
    )
    offer_places(training_session, now)


def set_trainers(
    training_request: TrainingRequest,
    override: int | None,
    allows_shadowing: bool,
    by: User,
    now: datetime,
) -> None:
    """The office's say on a request's trainers: how many (None: the topic's
    rule) and whether a trainer shadowing the topic may take a co-trainer
    place. Its booked session gains open places, offered at once, or loses
    open ones. Raises DomainError for a number out of range, or fewer than
    the trainers already on it."""
    if override is not None and not 1 <= override <= MAX_TRAINERS:
        raise DomainError(
            f"Choose from 1 to {MAX_TRAINERS} trainers.", field="trainers_override"
        )
    lock_request(training_request)
    training_request.trainers_override = override
    training_request.allows_shadowing = allows_shadowing
    needed = training_request.places_needed
    training_session = sessions.booked_session_of(training_request.id)
    if training_session is not None:
        _resize(training_session, needed, now)
    shadowing = "; shadowing trainers may take a place" if allows_shadowing else ""
    training_request.note(
        "trainers",
        f"Needs {needed} trainer{'' if needed == 1 else 's'}{shadowing}",
        by,
        now,
    )
    db.session.flush()
    if training_session is not None:
        offer_places(training_session, now)


def _resize(training_session: TrainingSession, needed: int, now: datetime) -> None:
    """Give the session as many places it needs beside its lead as `needed`
    says, adding open ones or taking away open ones (and their offers)."""
    kept = [p for p in training_session.places if p.is_needed]
    wanted = needed - 1
    if len(kept) < wanted:
        number = max((p.place for p in training_session.places), default=1)
        for extra in range(wanted - len(kept)):
            training_session.places.append(SessionPlace(place=number + 1 + extra))
        return
    surplus = len(kept) - wanted
    going = [p for p in reversed(kept) if p.is_open][:surplus]
    if len(going) < surplus:
        raise DomainError(
            "Trainers already hold the places that would go: ask one to give "
            "theirs back first.",
            field="trainers_override",
        )
    withdraw_pending_offers(
        training_session.training_request,
        now,
        tell_trainers=True,
        places=[p.place for p in going],
    )
    for place in going:
        training_session.places.remove(place)
    db.session.flush()


def shadow_choices(training_session: TrainingSession) -> list[User]:
    """Active trainers shadowing the session's topic who are not on it yet."""
    on_it = set(training_session.trainer_ids())
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


def ready_to_qualify(now: datetime) -> list[tuple[User, Topic, int]]:
    """Shadowing trainers who have shadowed enough past sessions of a topic."""
    needed = current_app.config["SHADOWED_SESSIONS_TO_QUALIFY"]
    shadowed = func.count(SessionPlace.session_id)
    rows = db.session.execute(
        select(User, Topic, shadowed)
        .join(SessionPlace, SessionPlace.trainer_id == User.id)
        .join(TrainingSession, TrainingSession.id == SessionPlace.session_id)
        .join(Topic, Topic.id == TrainingSession.topic_id)
        .join(
            TrainerTopic,
            (TrainerTopic.trainer_id == User.id) & (TrainerTopic.topic_id == Topic.id),
        )
        .where(
            SessionPlace.is_shadowing,
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
