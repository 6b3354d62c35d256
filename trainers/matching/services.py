"""The office's hand in matching: every trainer who could take a request, with
reasons; offering it to a chosen trainer or booking one directly (through the
booking gate, like any acceptance); withdrawing an offer; asking again; and
every offer a request has had.

Every function flushes and leaves the commit to the caller.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from trainers import mail
from trainers.auth.models import User
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
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
from trainers.matching.offers import (
    WITHDRAWN_BY_OFFICE,
    book_request,
    make_offer,
    offer_request,
    pending_offers,
)
from trainers.matching.rules import Rule
from trainers.requests.models import (
    OPEN_STATUSES,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
)
from trainers.sessions.models import BookedVia, TrainingSession


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
    offer = make_offer(training_request, trainer_id, slot, score, reasons, now)
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
    training_session = book_request(
        training_request, slot, trainer_id, now, BookedVia.OFFICE
    )
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
