"""Offers and booking: who is offered a request, and the first acceptance wins.

Every function flushes and leaves the commit to the caller. Races are settled by
the database, never by memory: every booking passes the booking gate (booking.py),
which locks the trainer's profile row and then the request's before anything is
checked, so the request's state read after it is the one the booking changes; a
partial unique index (one booked session per request) and an exclusion
constraint (no trainer in two sessions at once) back it up.
"""

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from trainers import mail
from trainers.auth.models import User
from trainers.calendar import services as calendar
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.matching import booking
from trainers.matching.booking import TrainerNotFree
from trainers.matching.candidates import (
    CandidateList,
    find_candidates,
    request_venue,
    score_trainer,
)
from trainers.matching.facts import (
    load_load_facts,
    load_trainer_facts,
    network_recent_average,
)
from trainers.matching.locks import lock_request
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.rules import Rule
from trainers.network.models import Group, Topic
from trainers.requests.models import (
    OPEN_STATUSES,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
    matching_slot,
)
from trainers.sessions import services as sessions
from trainers.sessions.models import TrainingSession
from trainers.statements import AnyViewer, built_once
from trainers.timeutil import format_datetime

logger = logging.getLogger(__name__)

# Marks an offer the office took back on purpose: that trainer is not asked again.
WITHDRAWN_BY_OFFICE = "Withdrawn by the national office"


class OfferUnavailable(DomainError):
    """The offer can no longer be answered; the message says why, kindly."""


class OfferAlreadyTaken(OfferUnavailable):
    """Another trainer accepted first (or the request closed meanwhile)."""

    def __init__(self):
        super().__init__(
            "Another trainer has already taken this session. Thank you for offering "
            "your time: there will be others."
        )


def pending_offers(training_request: TrainingRequest) -> list[Offer]:
    """The request's offers still waiting for an answer, with their trainers."""
    return list(
        db.session.scalars(
            select(Offer)
            .options(joinedload(Offer.trainer))
            .where(
                Offer.request_id == training_request.id,
                Offer.status == OfferStatus.PENDING,
            )
        )
    )


def offer_request(
    training_request: TrainingRequest,
    now: datetime,
    by: User | None = None,
    skip_statuses: tuple[str, ...] = (
        OfferStatus.PENDING,
        OfferStatus.ACCEPTED,
        OfferStatus.DECLINED,
        OfferStatus.EXPIRED,
    ),
) -> list[Offer]:
    """Offer an open request to the best candidates until OFFERS_AT_ONCE are pending.

    Trainers whose earlier offer for it is in `skip_statuses` are not asked
    again. With nobody pending and nobody left, the request becomes unfilled.
    """
    lock_request(training_request)
    if training_request.status not in OPEN_STATUSES:
        return []
    pending = pending_offers(training_request)
    wanted = current_app.config["OFFERS_AT_ONCE"] - len(pending)
    asked = set(
        db.session.scalars(
            select(Offer.trainer_id).where(
                Offer.request_id == training_request.id,
                Offer.status.in_(skip_statuses)
                | (Offer.response_note == WITHDRAWN_BY_OFFICE),
            )
        )
    )
    made = []
    if wanted > 0:
        candidates = find_candidates(training_request, now, exclude_trainer_ids=asked)
        for candidate in candidates.candidates[:wanted]:
            made.append(
                _make_offer(
                    training_request,
                    candidate.trainer_id,
                    candidate.slot,
                    candidate.score,
                    candidate.reasons,
                    now,
                )
            )
    if made or pending:
        training_request.move_to(RequestStatus.OFFERED, now)
        if made:
            names = ", ".join(offer.trainer.name for offer in made)
            training_request.note("offered", f"Offered to {names}", by, now)
    else:
        was = training_request.status
        training_request.move_to(RequestStatus.UNFILLED, now)
        if was != RequestStatus.UNFILLED:
            training_request.note(
                "unfilled",
                "No qualified trainer is free and near enough; the national office "
                "will step in.",
                by,
                now,
            )
            logger.warning("Request %s is unfilled", training_request.id)
            _tell_unfilled(training_request)
    db.session.flush()
    return made


def _tell_unfilled(training_request: TrainingRequest) -> None:
    """The group's organisers and the office learn nobody could take it, and what
    might change that."""
    office = db.session.scalars(select(User).where(User.is_office, User.is_active))
    link = absolute_url("requests.show", request_id=training_request.id)
    for person in {
        p.id: p for p in [*training_request.group.organisers, *office]
    }.values():
        mail.send_email(
            person.email,
            "request_unfilled",
            person=person,
            training_request=training_request,
            link=link,
        )


def _make_offer(
    training_request: TrainingRequest,
    trainer_id: int,
    slot: RequestSlot,
    score: float,
    reasons: list[str],
    now: datetime,
) -> Offer:
    offer = Offer(
        request_id=training_request.id,
        slot_id=slot.id,
        trainer_id=trainer_id,
        status=OfferStatus.PENDING,
        score=score,
        reasons=reasons,
        created_at=now,
    )
    db.session.add(offer)
    db.session.flush()
    mail.send_email(
        offer.trainer.email,
        "offer",
        offer=offer,
        training_request=training_request,
        slot=slot,
        expires_at=answer_by(now),
        link=absolute_url("matching.offer", offer_id=offer.id),
    )
    logger.info(
        "Offer %s: request %s slot %s to trainer %s (score %s)",
        offer.id,
        training_request.id,
        slot.id,
        trainer_id,
        score,
    )
    return offer


def offer_lifetime() -> timedelta:
    """How long an offer waits for an answer before it expires."""
    return timedelta(hours=current_app.config["OFFER_EXPIRY_HOURS"])


def answer_by(made_at: datetime) -> datetime:
    """When an offer made at `made_at` expires unanswered."""
    return made_at + offer_lifetime()


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
    it, read as a row rather than entities: its id, trainer_id, status,
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
    training_request = offer.training_request
    slot = offer.slot if slot_id is None else _other_time(training_request, slot_id)
    if slot.starts_at <= now:
        raise OfferUnavailable("This session's time has already passed.")
    try:
        booking.admit(training_request, trainer.id, slot.starts_at, slot.ends_at, now)
    except TrainerNotFree as error:
        raise DomainError(
            f"You can no longer take this session: {error.verdict.reasons}. Update "
            "your profile, or decline the offer so it can go to someone else."
        ) from None
    # Holding the request now: the trainer may have answered meanwhile.
    db.session.refresh(offer)
    _ensure_pending(offer)
    _ensure_bookable(training_request, (RequestStatus.OFFERED,))
    offer.answer(OfferStatus.ACCEPTED, now)
    detail = f"{trainer.name} accepted and is booked"
    if slot.id != offer.slot_id:
        offer.slot_id = slot.id
        detail += f" for {format_datetime(slot.starts_at)}, another proposed time"
    training_session = _book(training_request, slot, trainer.id, now)
    training_request.note("booked", detail, trainer, now)
    db.session.flush()
    return training_session


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


def _other_time(training_request: TrainingRequest, slot_id: int) -> RequestSlot:
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
        OfferStatus.DECLINED: "You declined this offer, so it has gone to other trainers.",
        OfferStatus.EXPIRED: "This offer expired before it was answered, so it has gone "
        "to other trainers.",
    }
    raise OfferUnavailable(messages[offer.status])


def _book(
    training_request: TrainingRequest, slot: RequestSlot, trainer_id: int, now: datetime
) -> TrainingSession:
    """Book the held request (booking.admit) at `slot` with the trainer: it moves
    to booked, the other offers are withdrawn and everyone is told."""
    continuing = end_wait_unless_at(
        training_request, [(slot.starts_at, slot.ends_at)], now
    )
    training_request.move_to(RequestStatus.BOOKED, now)
    training_session = sessions.book_session(
        training_request,
        trainer_id,
        slot.starts_at,
        slot.ends_at,
        now,
        continuing=continuing,
    )
    withdraw_pending_offers(training_request, now, tell_trainers=True)
    _tell_booked(training_session)
    return training_session


def end_wait_unless_at(
    training_request: TrainingRequest,
    times: list[tuple[datetime, datetime]],
    now: datetime,
) -> TrainingSession | None:
    """A handed-back session's event waits in the group's calendars for the next
    trainer: returned while its time is one of `times` (a booking then carries it
    on), else cancelled there."""
    awaited = sessions.awaited_session_of(training_request.id)
    if awaited is None or (awaited.starts_at, awaited.ends_at) in times:
        return awaited
    sessions.stop_awaiting(awaited, now)
    calendar.send_invites(
        awaited, "session_cancelled", people=calendar.organisers(awaited)
    )
    return None


def withdraw_pending_offers(
    training_request: TrainingRequest, now: datetime, tell_trainers: bool
) -> list[Offer]:
    """Withdraw every offer of the request still waiting, optionally telling each trainer."""
    withdrawn = pending_offers(training_request)
    for offer in withdrawn:
        offer.answer(OfferStatus.WITHDRAWN, now)
        if tell_trainers:
            mail.send_email(
                offer.trainer.email,
                "offer_withdrawn",
                offer=offer,
                training_request=training_request,
            )
        logger.info("Offer %s withdrawn", offer.id)
    db.session.flush()
    return withdrawn


def _tell_booked(training_session: TrainingSession) -> None:
    calendar.send_invites(training_session, "session_booked")


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
    offer_request(training_request, now)
    logger.info("Offer %s declined by trainer %s", offer.id, trainer.id)
    return offer


def expire_offers(now: datetime) -> int:
    """Expire offers unanswered for OFFER_EXPIRY_HOURS and ask the next candidates.

    Idempotent: an offer already expired is never touched again. Returns how
    many offers expired.
    """
    cutoff = now - offer_lifetime()
    due = (Offer.status == OfferStatus.PENDING, Offer.created_at <= cutoff)
    request_ids = db.session.scalars(
        select(Offer.request_id).where(*due).distinct().order_by(Offer.request_id)
    ).all()
    by_request: dict[int, list[Offer]] = {}
    for request_id in request_ids:
        training_request = lock_request(db.session.get(TrainingRequest, request_id))
        offers = db.session.scalars(
            select(Offer)
            .where(Offer.request_id == request_id, *due)
            .execution_options(populate_existing=True)
        ).all()
        if not offers:
            continue  # another run expired them first
        for offer in offers:
            offer.answer(OfferStatus.EXPIRED, now)
        by_request[request_id] = offers
        names = ", ".join(offer.trainer.name for offer in offers)
        training_request.note("expired", f"No answer from {names}", None, now)
        db.session.flush()
        offer_request(training_request, now)
    expired = sum(len(offers) for offers in by_request.values())
    if expired:
        logger.info("%s offers expired", expired)
    return expired


def candidates_for(training_request: TrainingRequest, now: datetime) -> CandidateList:
    """Every trainer who could take the request now, with reasons, for the office."""
    return find_candidates(training_request, now, explain=True)


def offer_to_trainer(
    training_request: TrainingRequest,
    trainer_id: int,
    slot_id: int,
    by: User,
    now: datetime,
) -> Offer:
    """The office offers a request's slot to a chosen trainer; every rule still applies."""
    lock_request(training_request)
    if training_request.status not in OPEN_STATUSES:
        raise DomainError(
            f"This request is {training_request.status}; it cannot be offered."
        )
    slot = _slot_of(training_request, slot_id, now)
    if db.session.scalar(
        select(Offer.id).where(
            Offer.request_id == training_request.id,
            Offer.trainer_id == trainer_id,
            Offer.status == OfferStatus.PENDING,
        )
    ):
        raise DomainError("That trainer already has an offer for this request waiting.")
    verdict = booking.judge(
        training_request, [trainer_id], slot.starts_at, slot.ends_at
    )[trainer_id]
    if not verdict.is_free:
        raise DomainError(f"That trainer cannot take this slot: {verdict.reasons}.")
    facts, names = load_trainer_facts(
        [trainer_id], training_request.topic_id, slot.starts_at, slot.ends_at
    )
    load = load_load_facts([trainer_id], training_request.group_id, now)[trainer_id]
    score, reasons, _ = score_trainer(
        facts[trainer_id],
        load,
        request_venue(training_request),
        network_recent_average(now),
    )
    offer = _make_offer(training_request, trainer_id, slot, score, reasons, now)
    training_request.move_to(RequestStatus.OFFERED, now)
    training_request.note(
        "offered",
        f"Offered to {names[trainer_id]} by the office",
        by,
        now,
    )
    db.session.flush()
    return offer


def assign_trainer(
    training_request: TrainingRequest,
    trainer_id: int,
    slot_id: int,
    by: User,
    now: datetime,
    cap_override_reason: str = "",
) -> TrainingSession:
    """The office books a trainer directly. Every rule applies; only the monthly cap
    may be overridden, and only with a reason."""
    slot = _slot_of(training_request, slot_id, now)
    _ensure_assignable(training_request)
    try:
        verdict = booking.admit(
            training_request,
            trainer_id,
            slot.starts_at,
            slot.ends_at,
            now,
            may_pass_cap=True,
        )
    except TrainerNotFree as error:
        hard = [b for b in error.verdict.broken if b.rule != Rule.CAP]
        raise DomainError(
            "That trainer cannot take this slot: " + "; ".join(hard) + "."
        ) from None
    _ensure_assignable(training_request)
    reason = cap_override_reason.strip()
    if verdict.broken and not reason:
        raise DomainError(
            f"That trainer is {verdict.broken[0]}. To book them anyway, give a reason "
            "for going over their cap.",
            field="cap_override_reason",
        )
    # A trainer who was offered it accepts their own offer, rather than being told
    # it was taken by someone else.
    own = next(
        (o for o in pending_offers(training_request) if o.trainer_id == trainer_id),
        None,
    )
    if own is None:
        own = Offer(
            request_id=training_request.id,
            trainer_id=trainer_id,
            slot_id=slot.id,
            reasons=["assigned by the national office"],
            created_at=now,
        )
        db.session.add(own)
    own.slot_id = slot.id
    own.answer(OfferStatus.ACCEPTED, now)
    db.session.flush()
    training_session = _book(training_request, slot, trainer_id, now)
    detail = f"{verdict.name} assigned by the office"
    if verdict.broken:
        detail += f" over their monthly cap: {reason}"
    training_request.note("booked", detail, by, now, is_flagged=bool(verdict.broken))
    db.session.flush()
    return training_session


def _ensure_assignable(training_request: TrainingRequest) -> None:
    if training_request.status not in OPEN_STATUSES:
        raise DomainError(
            f"This request is already {training_request.status}; reschedule or "
            "cancel it from its page instead."
        )


def withdraw_offer(offer_id: int, by: User, now: datetime) -> Offer:
    """The office withdraws a waiting offer; the trainer is told. With none left
    waiting, the request goes back to submitted for the office to act on."""
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound()
    lock_request(offer.training_request)
    db.session.refresh(offer)
    if offer.status != OfferStatus.PENDING:
        raise DomainError(f"That offer is already {offer.status}.")
    offer.answer(OfferStatus.WITHDRAWN, now)
    offer.response_note = WITHDRAWN_BY_OFFICE
    training_request = offer.training_request
    mail.send_email(
        offer.trainer.email,
        "offer_withdrawn",
        offer=offer,
        training_request=training_request,
    )
    training_request.note(
        "withdrawn",
        f"Offer to {offer.trainer.name} withdrawn",
        by,
        now,
    )
    db.session.flush()
    if (
        not pending_offers(training_request)
        and training_request.status == RequestStatus.OFFERED
    ):
        training_request.move_to(RequestStatus.SUBMITTED, now)
    db.session.flush()
    return offer


def reopen_matching(
    training_request: TrainingRequest, by: User, now: datetime
) -> list[Offer]:
    """The office asks again: trainers whose offers expired may be asked once more."""
    if training_request.status not in OPEN_STATUSES:
        raise DomainError(
            f"This request is {training_request.status}; there is nothing to match."
        )
    training_request.note("reopened", "Matching re-opened", by, now)
    return offer_request(
        training_request,
        now,
        by,
        skip_statuses=(OfferStatus.PENDING, OfferStatus.ACCEPTED, OfferStatus.DECLINED),
    )


def _slot_of(
    training_request: TrainingRequest, slot_id: int, now: datetime
) -> RequestSlot:
    """One of the request's proposed slots still to come. Raises DomainError."""
    slot = next((s for s in training_request.slots if s.id == slot_id), None)
    if slot is None:
        raise DomainError(
            "Choose one of the request's proposed times.", field="slot_id"
        )
    if slot.starts_at <= now:
        raise DomainError("That time has already started or passed.", field="slot_id")
    return slot


def offers_of(training_request: TrainingRequest) -> list[Offer]:
    """Every offer made for the request, newest first, with trainers loaded."""
    return list(
        db.session.scalars(
            select(Offer)
            .options(selectinload(Offer.trainer), selectinload(Offer.slot))
            .where(Offer.request_id == training_request.id)
            .order_by(Offer.created_at.desc(), Offer.id.desc())
        )
    )
