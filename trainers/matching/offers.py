"""A request's offers: made to the best candidates until enough are waiting,
expired unanswered and made again, and closed when the request is booked.

Every function flushes and leaves the commit to the caller.
"""

import logging
from collections.abc import Collection
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from trainers import mail
from trainers.auth.models import User
from trainers.calendar import services as calendar
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.matching.candidates import find_candidates
from trainers.matching.locks import lock_request
from trainers.matching.models import LEAD, Offer, OfferStatus
from trainers.requests.models import (
    OPEN_STATUSES,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
)
from trainers.sessions import services as sessions
from trainers.sessions.models import BookedVia, SessionStatus, TrainingSession
from trainers.webhooks import events as webhook_events
from trainers.webhooks.models import EventType

logger = logging.getLogger(__name__)

# Marks an offer the office took back on purpose: that trainer is not asked again.
WITHDRAWN_BY_OFFICE = "Withdrawn by the national office"


def pending_offers(
    training_request: TrainingRequest, places: Collection[int] | None = (LEAD,)
) -> list[Offer]:
    """The request's offers still waiting for an answer, with their trainers:
    for the lead's place, or for `places` (None: any)."""
    query = (
        select(Offer)
        .options(joinedload(Offer.trainer))
        .where(
            Offer.request_id == training_request.id,
            Offer.status == OfferStatus.PENDING,
        )
    )
    if places is not None:
        query = query.where(Offer.place.in_(places))
    return list(db.session.scalars(query.order_by(Offer.id)))


def count_pending_offers(request_id: int) -> int:
    """How many trainers the request's lead place is offered to now, waiting
    for their answer."""
    return db.session.scalar(
        select(func.count())
        .select_from(Offer)
        .where(
            Offer.request_id == request_id,
            Offer.status == OfferStatus.PENDING,
            Offer.place == LEAD,
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
    asked = _asked_before(training_request, skip_statuses)
    made = []
    if wanted > 0:
        made = _offer_to_best(training_request, wanted, asked, now)
    if made or pending:
        training_request.move_to(RequestStatus.OFFERED, now)
        if made:
            names = ", ".join(offer.trainer.name for offer in made)
            training_request.note("offered", f"Offered to {names}", by, now)
    else:
        _unfilled(training_request, by, now)
    db.session.flush()
    return made


def _asked_before(
    training_request: TrainingRequest, skip_statuses: tuple[str, ...]
) -> set[int]:
    """Trainers not to ask again: their offer for it is in `skip_statuses`, or
    the office withdrew it."""
    return set(
        db.session.scalars(
            select(Offer.trainer_id).where(
                Offer.request_id == training_request.id,
                Offer.place == LEAD,
                Offer.status.in_(skip_statuses)
                | (Offer.response_note == WITHDRAWN_BY_OFFICE),
            )
        )
    )


def _offer_to_best(
    training_request: TrainingRequest, wanted: int, asked: set[int], now: datetime
) -> list[Offer]:
    """Offers to the `wanted` best candidates not `asked` before, best first."""
    candidates = find_candidates(training_request, now, exclude_trainer_ids=asked)
    return [
        make_offer(
            training_request,
            candidate.trainer_id,
            candidate.slot,
            candidate.score,
            candidate.reasons,
            now,
        )
        for candidate in candidates.candidates[:wanted]
    ]


def _unfilled(
    training_request: TrainingRequest, by: User | None, now: datetime
) -> None:
    """Nobody is waiting and nobody is left: the request is unfilled, and when it
    was not already, its group and the office are told."""
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
        webhook_events.record(
            EventType.REQUEST_UNFILLED,
            webhook_events.about_request(training_request),
            now,
        )
        _tell_unfilled(training_request)


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


def make_offer(
    training_request: TrainingRequest,
    trainer_id: int,
    slot: RequestSlot,
    score: float,
    reasons: list[str],
    now: datetime,
    place: int = LEAD,
) -> Offer:
    """Offer the request's slot (and `place`, by default the lead's) to the
    trainer, who is emailed. Flushes."""
    offer = Offer(
        request_id=training_request.id,
        slot_id=slot.id,
        trainer_id=trainer_id,
        place=place,
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
        "Offer %s: request %s slot %s place %s to trainer %s (score %s)",
        offer.id,
        training_request.id,
        slot.id,
        place,
        trainer_id,
        score,
    )
    return offer


def offer_places(training_session: TrainingSession, now: datetime) -> list[Offer]:
    """Offer each open place of a booked session still to come, at its time
    only, until OFFERS_AT_ONCE wait for it: to the best trainers qualified in
    the topic (or shadowing it, where the office allows) who are not on the
    session, who have not answered for that place before, and not waiting on
    another."""
    training_request = lock_request(training_session.training_request)
    db.session.refresh(training_session)
    open_places = [p.place for p in training_session.open_places]
    if (
        not open_places
        or training_session.status != SessionStatus.BOOKED
        or training_session.starts_at <= now
    ):
        return []
    slot = session_slot(training_session)
    if slot is None:
        return []
    asked = db.session.execute(
        select(Offer.place, Offer.trainer_id, Offer.status, Offer.response_note).where(
            Offer.request_id == training_request.id, Offer.place.in_(open_places)
        )
    ).all()
    busy = {*training_session.trainer_ids()}
    busy |= {r.trainer_id for r in asked if r.status == OfferStatus.PENDING}
    # Not asked again for a place: those who answered for it, or whose offer
    # the office took back; others withdrawn (the place taken, since given
    # back, or the session moved) may be.
    before = {
        (r.place, r.trainer_id)
        for r in asked
        if r.status != OfferStatus.WITHDRAWN or r.response_note == WITHDRAWN_BY_OFFICE
    }
    candidates = find_candidates(
        training_request,
        now,
        exclude_trainer_ids=busy,
        slots=[slot],
        shadowing_ok=training_request.allows_shadowing,
    ).candidates
    waiting = {
        place: sum(
            1 for r in asked if r.place == place and r.status == OfferStatus.PENDING
        )
        for place in open_places
    }
    room = {p: current_app.config["OFFERS_AT_ONCE"] - waiting[p] for p in open_places}
    made = []
    # Best first, each to the place with most room that never asked them: the
    # places share the best trainers rather than the first taking them all.
    for candidate in candidates:
        fits = [
            p
            for p in open_places
            if room[p] > 0 and (p, candidate.trainer_id) not in before
        ]
        if not fits:
            continue
        place = max(fits, key=lambda p: (room[p], -p))
        room[place] -= 1
        made.append(
            make_offer(
                training_request,
                candidate.trainer_id,
                slot,
                candidate.score,
                candidate.reasons,
                now,
                place=place,
            )
        )
    if made:
        names = ", ".join(f"{o.trainer.name} (place {o.place})" for o in made)
        training_request.note(
            "offered", f"Co-trainer places offered to {names}", None, now
        )
    db.session.flush()
    return made


def session_slot(training_session: TrainingSession) -> RequestSlot | None:
    """The request's proposed time the session is booked at (a reschedule
    settles a new time as one)."""
    times = (training_session.starts_at, training_session.ends_at)
    return next(
        (
            s
            for s in training_session.training_request.slots
            if (s.starts_at, s.ends_at) == times
        ),
        None,
    )


def offer_lifetime() -> timedelta:
    """How long an offer waits for an answer before it expires."""
    return timedelta(hours=current_app.config["OFFER_EXPIRY_HOURS"])


def answer_by(made_at: datetime) -> datetime:
    """When an offer made at `made_at` expires unanswered."""
    return made_at + offer_lifetime()


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
        offer_again(training_request, offers, now)
    expired = sum(len(offers) for offers in by_request.values())
    if expired:
        logger.info("%s offers expired", expired)
    return expired


def offer_again(
    training_request: TrainingRequest, answered: list[Offer], now: datetime
) -> None:
    """After offers end unaccepted, ask the next candidates: for the lead's
    place, or the booked session's open places."""
    if any(offer.is_for_lead for offer in answered):
        offer_request(training_request, now)
    if not all(offer.is_for_lead for offer in answered):
        booked = sessions.booked_session_of(training_request.id)
        if booked is not None:
            offer_places(booked, now)


def book_request(
    training_request: TrainingRequest,
    slot: RequestSlot,
    trainer_id: int,
    now: datetime,
    via: BookedVia,
) -> TrainingSession:
    """Book the held request (booking.admit) at `slot` with the trainer, as
    `via` says: it moves to booked, the other offers are withdrawn and
    everyone is told."""
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
        via=via,
    )
    withdraw_pending_offers(training_request, now, tell_trainers=True)
    offer_places(training_session, now)
    webhook_events.record(
        EventType.REQUEST_BOOKED,
        {
            **webhook_events.about_request(training_request),
            "session_id": training_session.id,
        },
        now,
    )
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
        awaited,
        "session_cancelled",
        people=[*calendar.co_trainers(awaited), *calendar.organisers(awaited)],
    )
    return None


def withdraw_pending_offers(
    training_request: TrainingRequest,
    now: datetime,
    tell_trainers: bool,
    places: Collection[int] | None = None,
) -> list[Offer]:
    """Withdraw every offer of the request still waiting (or those for
    `places`), optionally telling each trainer."""
    withdrawn = pending_offers(training_request, places)
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
