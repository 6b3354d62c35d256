"""The open board: the open requests a trainer could take, as the matcher would
judge them, and taking one.

Nothing here restates a matching rule: each proposed time is judged by
matching.rules.broken_rules on the facts matching.facts loads, and a listing's
reasons are matching.candidates.score_trainer's. Taking a time goes through the
same path as accepting an offer (matching.answers.take_time), so the booking
gate decides. Before booking the board shows no group's name, notes, access
needs, address or organisers: only the district, topic, times and numbers.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, exists, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from trainers.auth.models import User
from trainers.errors import NotFound
from trainers.extensions import db
from trainers.matching import answers
from trainers.matching.candidates import request_venue, score_trainer, slot_facts
from trainers.matching.facts import (
    KM_PER_DEGREE,
    LoadFacts,
    load_load_facts,
    load_trainer_facts,
    network_recent_average,
    sessions_of,
    travel_settings,
)
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.offers import WITHDRAWN_BY_OFFICE
from trainers.matching.rules import TrainerFacts, broken_rules
from trainers.network.models import Topic
from trainers.profiles.models import TrainerProfile, TrainerTopic
from trainers.requests.models import (
    OPEN_STATUSES,
    RequestSlot,
    TrainingRequest,
    matching_slot,
)
from trainers.sessions.models import TrainingSession

logger = logging.getLogger(__name__)

# The distance filter's choice for online requests only.
ONLINE = "online"


@dataclass(frozen=True)
class BoardTime:
    """A proposed time the trainer is free for."""

    slot_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class BoardRequest:
    """One open request on a trainer's board: only what may be shown before booking."""

    request_id: int
    topic_id: int
    topic_name: str
    # Where, no nearer than the postcode district; None when online.
    district: str | None
    region: str
    is_online: bool
    expected_attendance: int
    created_at: datetime
    km: float | None
    reasons: list[str]
    times: list[BoardTime]
    # The trainer's own offer of it: still waiting, or let lapse.
    offer_id: int | None
    offer_status: str | None


def not_turned_down_by(trainer_id: int) -> ColumnElement[bool]:
    """SQL: a request the trainer has not declined or already taken, nor been
    taken off by the office. The board's one statement of whose requests stay
    off a trainer's board; an offer they let lapse does not keep it off."""
    return ~exists().where(
        Offer.request_id == TrainingRequest.id,
        Offer.trainer_id == trainer_id,
        or_(
            Offer.status.in_((OfferStatus.DECLINED, OfferStatus.ACCEPTED)),
            Offer.response_note == WITHDRAWN_BY_OFFICE,
        ),
    )


def open_requests(
    trainer: User,
    now: datetime,
    *,
    topic_id: int | None = None,
    within: str | None = None,
    made_after: datetime | None = None,
) -> list[BoardRequest]:
    """The open requests the trainer could take at one or more proposed times
    still to come, soonest first, each with the matcher's reasons; optionally
    only on `topic_id`, `within` so many km (or ONLINE), or made after
    `made_after`. Reads only."""
    profile = trainer.trainer_profile
    if profile is None:
        return []
    found = _open_for(profile, now, topic_id, made_after)
    if not found:
        return []
    by_topic: dict[int, list[TrainingRequest]] = defaultdict(list)
    for training_request in found:
        by_topic[training_request.topic_id].append(training_request)
    free: dict[int, list[RequestSlot]] = {}
    facts: dict[int, TrainerFacts] = {}
    settings = travel_settings()
    for topic, requests in by_topic.items():
        slots = [s for r in requests for s in _times_to_come(r, now)]
        # One trainer's sessions over the whole span are few: one short range
        # reads them faster than a range around each of hundreds of times.
        loaded, _ = load_trainer_facts(
            [trainer.id],
            topic,
            min(s.starts_at for s in slots),
            max(s.ends_at for s in slots),
        )
        if trainer.id not in loaded:
            return []
        facts[topic] = loaded[trainer.id]
        for training_request in requests:
            venue = request_venue(training_request)
            free[training_request.id] = [
                slot
                for slot in _times_to_come(training_request, now)
                if not broken_rules(facts[topic], slot_facts(slot, venue), settings)
            ]
    takeable = [r for r in found if free[r.id]]
    return _listed(trainer, takeable, free, facts, now, within)


def _open_for(
    profile: TrainerProfile,
    now: datetime,
    topic_id: int | None,
    made_after: datetime | None,
) -> list[TrainingRequest]:
    """Open requests on a topic the trainer teaches (at any level: the rules
    judge that), with a proposed time still to come, online or not too far
    north or south to reach, and not turned down."""
    trainer_id = profile.user_id
    to_come = exists().where(
        RequestSlot.request_id == TrainingRequest.id,
        RequestSlot.starts_at > now,
        matching_slot(),
    )
    teaches = exists().where(
        TrainerTopic.trainer_id == trainer_id,
        TrainerTopic.topic_id == TrainingRequest.topic_id,
    )
    query = (
        select(TrainingRequest)
        .options(
            selectinload(TrainingRequest.slots),
            joinedload(TrainingRequest.topic),
            joinedload(TrainingRequest.group),
        )
        .where(
            TrainingRequest.status.in_(OPEN_STATUSES),
            to_come,
            teaches,
            not_turned_down_by(trainer_id),
            TrainingRequest.is_online | _not_too_far(profile),
        )
    )
    if topic_id is not None:
        query = query.where(TrainingRequest.topic_id == topic_id)
    if made_after is not None:
        query = query.where(TrainingRequest.created_at > made_after)
    return list(db.session.scalars(query).unique())


def _not_too_far(profile: TrainerProfile) -> ColumnElement[bool]:
    """SQL: the venue lies within the trainer's radius north or south of home,
    with a margin. Only to read fewer requests: a degree of latitude is the
    same length everywhere, so this never drops one the reach rule would keep."""
    if profile.latitude is None:
        return false()
    degrees = (profile.travel_radius_km * 1.02 + 2) / KM_PER_DEGREE
    return TrainingRequest.venue_latitude.between(
        profile.latitude - degrees, profile.latitude + degrees
    )


def _times_to_come(training_request: TrainingRequest, now: datetime):
    return [s for s in training_request.matching_slots if s.starts_at > now]


def _listed(
    trainer: User,
    takeable: list[TrainingRequest],
    free: dict[int, list[RequestSlot]],
    facts: dict[int, TrainerFacts],
    now: datetime,
    within: str | None,
) -> list[BoardRequest]:
    """The board's lines, with the reasons matching would give, filtered by distance."""
    if not takeable:
        return []
    offers = _own_offers(trainer.id, [r.id for r in takeable])
    average = network_recent_average(now)
    loads = _loads_by_group(trainer.id, {r.group_id for r in takeable}, now)
    board = []
    for r in takeable:
        _, reasons, km = score_trainer(
            facts[r.topic_id], loads[r.group_id], request_venue(r), average
        )
        if not _within(km, r.is_online, within):
            continue
        offer_id, offer_status = offers.get(r.id, (None, None))
        board.append(
            BoardRequest(
                request_id=r.id,
                topic_id=r.topic_id,
                topic_name=r.topic.name,
                district=None
                if r.is_online
                else (r.venue_district or r.group.postcode_district),
                region=r.group.region,
                is_online=r.is_online,
                expected_attendance=r.expected_attendance,
                created_at=r.created_at,
                km=km,
                reasons=reasons,
                times=[BoardTime(s.id, s.starts_at, s.ends_at) for s in free[r.id]],
                offer_id=offer_id,
                offer_status=offer_status,
            )
        )
    board.sort(key=lambda line: (line.times[0].starts_at, line.request_id))
    return board


def _loads_by_group(
    trainer_id: int, group_ids: set[int], now: datetime
) -> dict[int, LoadFacts]:
    """The trainer's load facts as matching reads them for a request of each
    group: read once, with their sessions with each group counted at once."""
    load = load_load_facts([trainer_id], None, now)[trainer_id]
    with_group = dict(
        db.session.execute(
            select(TrainingSession.group_id, func.count())
            .where(*sessions_of([trainer_id]), TrainingSession.group_id.in_(group_ids))
            .group_by(TrainingSession.group_id)
        ).all()
    )
    return {
        group_id: replace(load, sessions_with_group=with_group.get(group_id, 0))
        for group_id in group_ids
    }


def _within(km: float | None, is_online: bool, within: str | None) -> bool:
    """Whether a request passes the distance filter: none, ONLINE, or km."""
    if not within:
        return True
    if within == ONLINE:
        return is_online
    return not is_online and km is not None and km <= int(within)


def _own_offers(trainer_id: int, request_ids: list[int]) -> dict[int, tuple]:
    """The trainer's latest waiting or lapsed offer of each request, by request."""
    rows = db.session.execute(
        select(Offer.request_id, Offer.id, Offer.status)
        .where(
            Offer.trainer_id == trainer_id,
            Offer.request_id.in_(request_ids),
            Offer.status.in_((OfferStatus.PENDING, OfferStatus.EXPIRED)),
        )
        .order_by(Offer.id)
    )
    return {request_id: (offer_id, status) for request_id, offer_id, status in rows}


def take_from_board(
    trainer: User, request_id: int, slot_id: int, now: datetime
) -> TrainingSession:
    """Book the trainer into the request at one of its proposed times, through
    the same path as accepting an offer (first wins). Raises NotFound (no such
    request, or one kept off their board) and whatever answers.take_time raises.
    Flushes; the caller commits."""
    training_request = db.session.scalar(
        select(TrainingRequest).where(
            TrainingRequest.id == request_id, not_turned_down_by(trainer.id)
        )
    )
    if training_request is None or trainer.trainer_profile is None:
        raise NotFound()
    slot = answers.proposed_time(training_request, slot_id)
    return answers.take_time(training_request, trainer, slot, now)


def teaches_topics(trainer: User) -> list[tuple[int, str]]:
    """The topics the trainer is qualified in, by name: the board's topic filter."""
    rows = db.session.execute(
        select(Topic.id, Topic.name)
        .join(TrainerTopic, TrainerTopic.topic_id == Topic.id)
        .where(TrainerTopic.trainer_id == trainer.id, TrainerTopic.level == "qualified")
        .order_by(Topic.name)
    )
    return [(topic_id, name) for topic_id, name in rows]
