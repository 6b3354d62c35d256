"""The world a plan is solved over, loaded once.

Open requests (submitted, offered or unfilled) with at least one future slot;
every active trainer qualified for one of their topics; the trainers' rule
facts loaded once (`load_trainer_facts`) over the span of all those slots, so
the monthly cap and travel between sessions see every booking that matters.
The edges between them are edges.py's.
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select

from trainers.auth.models import User
from trainers.extensions import db
from trainers.matching.facts import load_trainer_facts
from trainers.matching.rules import (
    Booking,
    SlotFacts,
    TrainerFacts,
    TravelSettings,
    Venue,
    broken_rules,
    local_month,
)
from trainers.profiles.models import TrainerTopic
from trainers.requests.models import (
    OPEN_STATUSES,
    RequestSlot,
    TrainingRequest,
    matching_slot,
)
from trainers.sessions.models import SessionStatus, TrainingSession

RECENT_DAYS = 365
NEVER_TRAINED, NOT_RECENTLY_TRAINED = 2, 1

Chosen = dict[int, tuple[int, int]]  # request -> trainer, slot (indices)


@dataclass
class Slot:
    id: int
    facts: SlotFacts
    month: tuple[int, int]


@dataclass
class OpenRequest:
    id: int
    group_id: int
    topic_id: int
    tier: int
    venue: Venue
    slots: list[Slot] = field(default_factory=list)


@dataclass
class Edge:
    km: float
    slots: list[int]  # free slots (indices into the request's), earliest first


@dataclass
class Trainers:
    """The qualified trainers' ids, their facts (same order) and, per topic, who
    is qualified (indices into both)."""

    ids: list[int]
    facts: list[TrainerFacts]
    by_topic: dict[int, list[int]]


@dataclass
class World:
    """Open requests, trainers' facts and the edges between them, loaded once:
    `edges[i]` maps a trainer's index to the edge joining them to request `i`."""

    settings: TravelSettings
    requests: list[OpenRequest]
    trainer_ids: list[int]
    facts: list[TrainerFacts]
    # Per topic, the trainers qualified for it (indices into trainer_ids).
    by_topic: dict[int, list[int]]
    edges: list[dict[int, Edge]]
    load_seconds: float

    @property
    def unserved_groups(self) -> int:
        """Groups with an open request never trained, or not recently."""
        return len({r.group_id for r in self.requests if r.tier})

    def fits(self, t: int, slot: SlotFacts, taken: list[SlotFacts]) -> bool:
        """Whether trainer `t` may take `slot`, one of an edge's free slots, with
        `taken` also booked for them."""
        return not taken or not broken_rules(
            _with_plan(self.facts[t], taken), slot, self.settings
        )


def _with_plan(trainer: TrainerFacts, taken: list[SlotFacts]) -> TrainerFacts:
    """The trainer's facts as if the slots planned for them were booked."""
    if not taken:
        return trainer
    months = dict(trainer.sessions_by_month)
    for slot in taken:
        month = local_month(slot.starts_at)
        months[month] = months.get(month, 0) + 1
    # A booking without a session id would be taken by `broken_rules` for the
    # session being moved (ignore_session_id=None) and left out: give each one
    # an id no session has.
    planned = [
        Booking(s.starts_at, s.ends_at, s.venue, session_id=-n)
        for n, s in enumerate(taken, start=1)
    ]
    return replace(
        trainer, bookings=[*trainer.bookings, *planned], sessions_by_month=months
    )


def open_requests(now: datetime) -> list[OpenRequest]:
    """Open requests with their future slots, in the order they were made, each
    with the tier of how long its group has waited to be trained."""
    requests: dict[int, OpenRequest] = {}
    rows = db.session.execute(
        select(
            RequestSlot.id,
            RequestSlot.starts_at,
            RequestSlot.ends_at,
            TrainingRequest.id,
            TrainingRequest.group_id,
            TrainingRequest.topic_id,
            TrainingRequest.is_online,
            TrainingRequest.venue_latitude,
            TrainingRequest.venue_longitude,
        )
        .join(TrainingRequest, TrainingRequest.id == RequestSlot.request_id)
        .where(
            TrainingRequest.status.in_(OPEN_STATUSES),
            RequestSlot.starts_at > now,
            matching_slot(),
        )
        .order_by(
            TrainingRequest.created_at,
            TrainingRequest.id,
            RequestSlot.starts_at,
            RequestSlot.id,
        )
    )
    for slot_id, starts_at, ends_at, request_id, *request_columns in rows:
        request = requests.get(request_id)
        if request is None:
            group_id, topic_id, is_online, latitude, longitude = request_columns
            venue = Venue(is_online, latitude, longitude)
            request = requests[request_id] = OpenRequest(
                request_id, group_id, topic_id, 0, venue
            )
        request.slots.append(
            Slot(
                slot_id,
                SlotFacts(starts_at, ends_at, request.venue),
                local_month(starts_at),
            )
        )
    found = list(requests.values())
    _set_tiers(found, now)
    return found


def _set_tiers(requests: list[OpenRequest], now: datetime) -> None:
    """Tier 2 for a group never trained (no delivered session), 1 for one not
    trained in the last RECENT_DAYS, 0 otherwise."""
    last_trained = dict(
        db.session.execute(
            select(TrainingSession.group_id, func.max(TrainingSession.starts_at))
            .where(
                TrainingSession.status == SessionStatus.DELIVERED,
                TrainingSession.group_id.in_({r.group_id for r in requests}),
            )
            .group_by(TrainingSession.group_id)
        ).all()
    )
    recent = now - timedelta(days=RECENT_DAYS)
    for request in requests:
        trained_at = last_trained.get(request.group_id)
        if trained_at is None:
            request.tier = NEVER_TRAINED
        elif trained_at < recent:
            request.tier = NOT_RECENTLY_TRAINED


def qualified_trainers(
    requests: list[OpenRequest], only: Collection[int] | None
) -> Trainers:
    """Active trainers qualified for one of the requests' topics (only those in
    `only`, if given), with their facts over the span of every slot."""
    topic_ids = {r.topic_id for r in requests}
    if not topic_ids:
        return Trainers([], [], {})
    query = (
        select(TrainerTopic.trainer_id, TrainerTopic.topic_id)
        .join(User, User.id == TrainerTopic.trainer_id)
        .where(
            User.is_active,
            TrainerTopic.level == "qualified",
            TrainerTopic.topic_id.in_(topic_ids),
        )
    )
    if only is not None:
        query = query.where(TrainerTopic.trainer_id.in_(list(only)))
    topics_of: dict[int, list[int]] = defaultdict(list)
    for trainer_id, topic_id in db.session.execute(query):
        topics_of[trainer_id].append(topic_id)
    slots = [slot.facts for r in requests for slot in r.slots]
    loaded, _ = load_trainer_facts(
        topics_of,
        min(topic_ids),
        min(s.starts_at for s in slots),
        max(s.ends_at for s in slots),
    )
    ids = sorted(loaded)
    # The facts carry one topic's level; edges are built only from the
    # qualified rows read above, so every trainer is qualified where it counts.
    facts = [replace(loaded[t], level="qualified") for t in ids]
    by_topic: dict[int, list[int]] = defaultdict(list)
    for index, trainer_id in enumerate(ids):
        for topic_id in topics_of[trainer_id]:
            by_topic[topic_id].append(index)
    return Trainers(ids, facts, by_topic)
