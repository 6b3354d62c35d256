"""A trainer stepping back: days off over booked sessions, and deactivation.

Neither leaves a session hanging on someone who won't come: what it affects is
shown first, and on confirmation the sessions are handed back to matching, the
shadowing ended and the offers withdrawn, everyone concerned told.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select

from trainers.auth import services as accounts
from trainers.auth.models import User
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.matching import lifecycle, places
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.services import withdraw_offer
from trainers.profiles import services as profiles
from trainers.profiles.models import DayOff, TrainerProfile
from trainers.sessions.models import SessionPlace, SessionStatus, TrainingSession
from trainers.timeutil import format_datetime, local_to_utc

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Commitments:
    """What a trainer is booked for or offered, still to come."""

    sessions: list[TrainingSession] = field(default_factory=list)  # they run
    shadowing: list[TrainingSession] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)  # waiting for an answer

    def __bool__(self) -> bool:
        return bool(self.sessions or self.shadowing or self.offers)


def commitments(
    trainer_id: int,
    now: datetime,
    first_on: date | None = None,
    last_on: date | None = None,
) -> Commitments:
    """Booked sessions still to come that the trainer runs or shadows (only those
    on the UK days from `first_on` to `last_on`, when given), soonest first, and
    their pending offers (only when no days are given)."""
    during = [
        TrainingSession.ends_at > now,
        TrainingSession.status == SessionStatus.BOOKED,
    ]
    if first_on is not None:
        during += [
            TrainingSession.ends_at > local_to_utc(first_on, time(0)),
            TrainingSession.starts_at
            < local_to_utc(last_on + timedelta(days=1), time(0)),
        ]
    beside = select(SessionPlace.session_id).where(
        SessionPlace.trainer_id == trainer_id
    )
    found = db.session.scalars(
        select(TrainingSession)
        .where(
            *during,
            or_(
                TrainingSession.trainer_id == trainer_id,
                TrainingSession.id.in_(beside),
            ),
        )
        .order_by(TrainingSession.starts_at)
    ).all()
    offers = []
    if first_on is None:
        offers = list(
            db.session.scalars(
                select(Offer)
                .where(
                    Offer.trainer_id == trainer_id,
                    Offer.status == OfferStatus.PENDING,
                )
                .order_by(Offer.created_at)
            )
        )
    return Commitments(
        sessions=[s for s in found if s.trainer_id == trainer_id],
        shadowing=[s for s in found if s.trainer_id != trainer_id],
        offers=offers,
    )


class DaysOffCoverSessions(DomainError):
    """Days off that cover booked sessions: the trainer chooses first."""

    def __init__(self, covered: Commitments):
        when = "; ".join(
            f"{s.topic.name} for {s.group.name}, {format_datetime(s.starts_at)}"
            for s in (*covered.sessions, *covered.shadowing)
        )
        super().__init__(
            f"These days cover sessions you are booked for: {when}. Hand them back "
            "(we will tell the groups and find another trainer) by ticking the box, "
            "or change your days off.",
            field="hand_back",
        )
        self.covered = covered


def add_days_off(
    profile: TrainerProfile,
    first_on: date,
    last_on: date,
    note: str,
    today: date,
    now: datetime,
    *,
    hand_back: bool = False,
    by: User,
) -> DayOff:
    """Add days off. If they cover booked sessions, raises DaysOffCoverSessions
    unless `hand_back`: then each is handed back (or its shadowing ended) first.
    Raises DomainError for days that can't be added. Flushes."""
    day_off = profiles.add_day_off(profile, first_on, last_on, note, today)
    covered = commitments(profile.user_id, now, first_on, last_on)
    if covered and not hand_back:
        raise DaysOffCoverSessions(covered)
    reason = f"days off, {profiles.days_label(day_off)}"
    _step_back(profile.user, covered, reason, by, now)
    return day_off


def deactivate(user_id: int, by: User, now: datetime, confirmed: bool) -> User:
    """Deactivate an account. A trainer's sessions still to come are handed back,
    their shadowing ended and their offers withdrawn, everyone told; unless
    `confirmed`, raises StillCommitted listing them. Raises DomainError (oneself)."""
    user = db.session.get(User, user_id)
    held = commitments(user_id, now) if user is not None else Commitments()
    if held and not confirmed:
        raise StillCommitted(held)
    if user is not None and held:
        _step_back(
            user, held, "their account was closed by the national office", by, now
        )
    return accounts.set_active(user_id, False, by)


class StillCommitted(DomainError):
    """Deactivating would leave sessions or offers hanging: confirm first."""

    def __init__(self, held: Commitments):
        super().__init__(
            "This person is still booked or offered sessions: see what deactivating "
            "them changes, and confirm.",
            field="confirm",
        )
        self.held = held


def _step_back(
    trainer: User, held: Commitments, reason: str, by: User, now: datetime
) -> None:
    for offer in held.offers:
        withdraw_offer(offer.id, by, now)
    for training_session in held.sessions:
        lifecycle.hand_back(
            training_session, trainer, reason, now, confirmed=True, by=by
        )
    for training_session in held.shadowing:
        place = places.held_by(training_session, trainer.id)
        places.leave(training_session, place, reason, by, now)
    logger.info(
        "Trainer %s stepped back (%s): %s sessions handed back, %s shadowing ended, "
        "%s offers withdrawn",
        trainer.id,
        reason,
        len(held.sessions),
        len(held.shadowing),
        len(held.offers),
    )
