"""A trainer's offer: its page, and answering it (accept, at its time or another
proposed one, or decline); and `take_time`, the one path by which a trainer
books themselves, accepting an offer or taking a request from the open board.

Every function flushes and leaves the commit to the caller. Races are settled by
the database, never by memory: every booking passes the booking gate (booking.py),
which locks the trainer's profile row and then the request's before anything is
checked, so the request's state read after it is the one the booking changes; a
partial unique index (one booked session per request) and an exclusion
constraint (no trainer in two sessions at once) back it up.
"""

import logging
from datetime import datetime

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import aliased, joinedload

from trainers.auth.models import User
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.matching import booking, places
from trainers.matching.booking import TrainerNotFree
from trainers.matching.locks import lock_request
from trainers.matching.models import LEAD, Offer, OfferStatus
from trainers.matching.offers import book_request, offer_again
from trainers.network.models import Group, Topic
from trainers.requests.models import (
    OPEN_STATUSES,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
    matching_slot,
)
from trainers.sessions import services as sessions
from trainers.sessions.models import BookedVia, TrainingSession
from trainers.statements import AnyViewer, built_once
from trainers.timeutil import format_datetime

logger = logging.getLogger(__name__)


class OfferUnavailable(DomainError):
    """The offer can no longer be answered; the message says why, kindly."""


class OfferAlreadyTaken(OfferUnavailable):
    """Another trainer accepted first (or the request closed meanwhile)."""

    def __init__(self):
        super().__init__(
            "Another trainer has already taken this session. Thank you for offering "
            "your time: there will be others."
        )


def get_offer_for(trainer: User, offer_id: int) -> Offer:
    """An offer made to this trainer (the office may see any). Raises NotFound."""
    offer = db.session.scalar(_offer_with_request(offer_id, trainer))
    if offer is None:
        raise NotFound()
    return offer


def _offer_with_request(offer_id: int, viewer: User) -> Select:
    # With the slot, group and topic that answering an offer reads and mails,
    # rather than a query for each.
    return (
        select(Offer)
        .options(
            joinedload(Offer.slot),
            joinedload(Offer.training_request).joinedload(TrainingRequest.group),
            joinedload(Offer.training_request).joinedload(TrainingRequest.topic),
        )
        .where(Offer.id == offer_id, Offer.visible_to(viewer))
    )


def offer_as_shown(trainer: User, offer_id: int, now: datetime) -> Row:
    """The offer made to this trainer (the office may see any) as its page shows
    it, read as a row rather than entities: its id, trainer_id, place, status,
    created_at and reasons, slot_starts_at and slot_ends_at, topic_name and
    group_name, the request's is_online, venue_postcode, expected_attendance,
    accessibility_needs and notes, and `other_times`: how many other times
    still to come it could be taken at. Raises NotFound otherwise."""
    # A Core row on the session's connection: the ORM's execute adds nothing
    # here but its own cost.
    found = (
        db.session.connection()
        .execute(
            _offer_shown(trainer.is_office),
            {"offer_id": offer_id, "now": now, "viewer_id": trainer.id},
        )
        .one_or_none()
    )
    if found is None:
        raise NotFound()
    return found


@built_once
def _offer_shown(is_office: bool) -> Select:
    other = aliased(RequestSlot)
    return (
        select(
            Offer.id,
            Offer.trainer_id,
            Offer.place,
            Offer.status,
            Offer.created_at,
            Offer.reasons,
            select(func.count(other.id))
            .where(
                other.request_id == Offer.request_id,
                other.id != Offer.slot_id,
                other.starts_at > bindparam("now"),
                matching_slot(other),
            )
            .scalar_subquery()
            .label("other_times"),
            RequestSlot.starts_at.label("slot_starts_at"),
            RequestSlot.ends_at.label("slot_ends_at"),
            Topic.name.label("topic_name"),
            Group.name.label("group_name"),
            TrainingRequest.is_online,
            TrainingRequest.venue_postcode,
            TrainingRequest.expected_attendance,
            TrainingRequest.accessibility_needs,
            TrainingRequest.notes,
        )
        .join(Offer.slot)
        .join(Offer.training_request)
        .join(TrainingRequest.topic)
        .join(TrainingRequest.group)
        .where(
            Offer.id == bindparam("offer_id"), Offer.visible_to(AnyViewer(is_office))
        )
    )


def _ensure_bookable(training_request: TrainingRequest, statuses) -> None:
    """Raises unless the request, held, is in one of `statuses`: cancelled
    meanwhile, or taken by someone else."""
    if training_request.status in statuses:
        return
    if training_request.status == RequestStatus.CANCELLED:
        raise OfferUnavailable(
            "The group has just cancelled this request. Thank you for offering "
            "your time."
        )
    raise OfferAlreadyTaken()


def accept_offer(
    offer_id: int, trainer: User, now: datetime, slot_id: int | None = None
) -> TrainingSession:
    """Book the session for the trainer who accepts first, at the offered time or
    (`slot_id`) another of the request's proposed times they can do.

    Raises NotFound (not their offer), OfferUnavailable (answered, expired or
    withdrawn, or the time has passed), OfferAlreadyTaken (someone was quicker)
    or DomainError (not free then, or not one of the times). Withdraws the other
    pending offers and tells their trainers.
    """
    offer = db.session.scalar(_offer_with_request(offer_id, trainer))
    # Only the trainer it was made to answers it, not the office who may see it.
    if offer is None or offer.trainer_id != trainer.id:
        raise NotFound()
    _ensure_pending(offer)
    if not offer.is_for_lead:
        if slot_id is not None and slot_id != offer.slot_id:
            raise DomainError(
                "A co-trainer place is at the session's time only.", field="slot_id"
            )
        return take_place(offer, trainer, now)
    training_request = offer.training_request
    slot = offer.slot if slot_id is None else proposed_time(training_request, slot_id)
    return take_time(training_request, trainer, slot, now, offer=offer)


def take_place(offer: Offer, trainer: User, now: datetime) -> TrainingSession:
    """Put the trainer who accepts first in the place beside the lead their
    offer is for, at the session's time, through the booking gate. Raises
    OfferUnavailable (answered, the session changed or passed, or they are on
    it already), OfferAlreadyTaken (someone was quicker) or DomainError (not
    free then)."""
    training_request = offer.training_request
    booking.hold(training_request, [trainer.id], now)
    db.session.refresh(offer)
    _ensure_pending(offer)
    training_session = sessions.booked_session_of(training_request.id)
    if training_session is None or training_session.starts_at <= now:
        raise OfferUnavailable(
            "This session is no longer booked to come. Thank you for offering "
            "your time."
        )
    db.session.refresh(training_session)
    if (training_session.starts_at, training_session.ends_at) != (
        offer.slot.starts_at,
        offer.slot.ends_at,
    ):
        raise OfferUnavailable(
            "This session has moved since the offer was made, so it was "
            "withdrawn. Thank you for offering your time."
        )
    if trainer.id in training_session.trainer_ids():
        raise OfferUnavailable("You are already training on this session.")
    place = next((p for p in training_session.places if p.place == offer.place), None)
    if place is None or not place.is_open:
        raise OfferAlreadyTaken()
    level = places.level_in(trainer.id, training_request.topic_id)
    is_shadowing = level == "shadowing" and training_request.allows_shadowing
    verdict = booking.judge(
        training_request,
        [trainer.id],
        training_session.starts_at,
        training_session.ends_at,
        venue=booking.session_venue(training_session),
        rules=places.rules_for(is_shadowing, teaches=True),
    )[trainer.id]
    if not verdict.is_free:
        raise DomainError(
            f"You can no longer take this session: {verdict.reasons}. Update your "
            "profile, or decline the offer so it can go to someone else."
        )
    offer.answer(OfferStatus.ACCEPTED, now)
    role = "shadowing trainer" if is_shadowing else "co-trainer"
    places.fill(
        training_session,
        place,
        trainer,
        is_shadowing,
        f"{trainer.name} accepted place {place.place} as {role}",
        trainer,
        now,
    )
    return training_session


def take_time(
    training_request: TrainingRequest,
    trainer: User,
    slot: RequestSlot,
    now: datetime,
    offer: Offer | None = None,
) -> TrainingSession:
    """Book the trainer who asks first at one of the request's proposed times:
    accepting their `offer`, or (without one) taking it from the open board.

    The one way a trainer books themselves: through the booking gate, then,
    with the request held, only if it is still open to them. Raises
    OfferUnavailable (the time passed, the request cancelled or its times
    changed), OfferAlreadyTaken (someone was quicker) or DomainError (not free
    then). Withdraws the other pending offers and tells their trainers.
    """
    if slot.starts_at <= now:
        raise OfferUnavailable("This session's time has already passed.")
    try:
        booking.admit(training_request, trainer.id, slot.starts_at, slot.ends_at, now)
    except TrainerNotFree as error:
        then = (
            "Update your profile, or decline the offer so it can go to someone else."
            if offer
            else "Update your profile if that is not right."
        )
        raise DomainError(
            f"You can no longer take this session: {error.verdict.reasons}. {then}"
        ) from None
    # Holding the request now: the trainer may have answered meanwhile, someone
    # else taken it, or the group changed its times.
    if offer is not None:
        db.session.refresh(offer)
        _ensure_pending(offer)
        _ensure_bookable(training_request, (RequestStatus.OFFERED,))
        via, detail = BookedVia.OFFER, f"{trainer.name} accepted and is booked"
    else:
        _ensure_bookable(training_request, OPEN_STATUSES)
        offer = _board_offer(training_request, trainer, slot, now)
        via = BookedVia.BOARD
        detail = f"{trainer.name} took it from the open board and is booked"
    if slot not in training_request.matching_slots:
        raise OfferUnavailable(
            "The group has just changed the times it proposed. Thank you for "
            "offering your time: have another look."
        )
    offer.answer(OfferStatus.ACCEPTED, now)
    if slot.id != offer.slot_id:
        offer.slot_id = slot.id
        detail += f" for {format_datetime(slot.starts_at)}, another proposed time"
    training_session = book_request(training_request, slot, trainer.id, now, via)
    training_request.note("booked", detail, trainer, now)
    db.session.flush()
    logger.info(
        "Request %s taken by trainer %s via %s", training_request.id, trainer.id, via
    )
    return training_session


def _board_offer(
    training_request: TrainingRequest, trainer: User, slot: RequestSlot, now: datetime
) -> Offer:
    """The trainer's own offer of the request, still waiting, or a new one: a
    booking from the board is an accepted offer too, so matching never asks
    them again should it reopen."""
    own = db.session.scalar(
        select(Offer).where(
            Offer.request_id == training_request.id,
            Offer.trainer_id == trainer.id,
            Offer.place == LEAD,
            Offer.status == OfferStatus.PENDING,
        )
    )
    if own is not None:
        return own
    made = Offer(
        request_id=training_request.id,
        slot_id=slot.id,
        trainer_id=trainer.id,
        reasons=["taken from the open board"],
        created_at=now,
    )
    db.session.add(made)
    return made


def other_times(
    offer_id: int, trainer: User, now: datetime
) -> tuple[Offer, list[tuple[RequestSlot, booking.Verdict]]]:
    """The trainer's pending offer and the request's other times still to come
    that it could be taken at instead, each with whether they can do it.
    Raises NotFound (not their offer) or OfferUnavailable (answered)."""
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.trainer_id != trainer.id:
        raise NotFound()
    _ensure_pending(offer)
    training_request = offer.training_request
    slots = [
        slot
        for slot in training_request.matching_slots
        if slot.id != offer.slot_id and slot.starts_at > now
    ]
    verdicts = booking.judge_times(
        training_request, trainer.id, [(s.starts_at, s.ends_at) for s in slots]
    )
    return offer, list(zip(slots, verdicts, strict=True))


def proposed_time(training_request: TrainingRequest, slot_id: int) -> RequestSlot:
    """One of the times matching may offer the request at. Raises DomainError."""
    slot = next((s for s in training_request.matching_slots if s.id == slot_id), None)
    if slot is None:
        raise DomainError(
            "Choose one of the request's proposed times.", field="slot_id"
        )
    return slot


def _ensure_pending(offer: Offer) -> None:
    if offer.status == OfferStatus.PENDING:
        return
    if offer.status == OfferStatus.WITHDRAWN:
        status = offer.training_request.status
        if status in (RequestStatus.BOOKED, RequestStatus.DELIVERED):
            raise OfferAlreadyTaken()
        if status == RequestStatus.CANCELLED:
            raise OfferUnavailable(
                "The group cancelled this request, so the offer was withdrawn. Thank "
                "you for offering your time."
            )
        raise OfferUnavailable(
            "The national office withdrew this offer, or the request changed since "
            "it was made. Thank you for offering your time."
        )
    messages = {
        OfferStatus.ACCEPTED: "You have already accepted this offer: the session is yours.",
        OfferStatus.DECLINED: "You declined this offer, so it can no longer be "
        "accepted.",
        OfferStatus.EXPIRED: "This offer expired before it was answered, so it can no "
        "longer be accepted.",
    }
    raise OfferUnavailable(messages[offer.status])


def decline_offer(offer_id: int, trainer: User, reason: str, now: datetime) -> Offer:
    """Decline an offer; when nobody is left waiting, the next candidates are asked."""
    offer = get_offer_for(trainer, offer_id)
    if offer.trainer_id != trainer.id:
        raise NotFound()
    lock_request(offer.training_request)
    db.session.refresh(offer)
    _ensure_pending(offer)
    offer.answer(OfferStatus.DECLINED, now)
    offer.response_note = reason.strip()[:500] or None
    training_request = offer.training_request
    detail = f"{trainer.name} declined" + (
        f": {offer.response_note}" if offer.response_note else ""
    )
    training_request.note("declined", detail, trainer, now)
    db.session.flush()
    offer_again(training_request, [offer], now)
    logger.info("Offer %s declined by trainer %s", offer.id, trainer.id)
    return offer
