"""Planning every open request at once, next to greedy first-come matching.

The world
    Open requests (submitted, offered or unfilled) with at least one future slot;
    every active trainer qualified for one of their topics; the trainers' rule
    facts loaded once (`load_trainer_facts`) over the span of all those slots, so
    the monthly cap and travel between sessions see every booking that matters.

Edges
    For each topic, numpy keeps the (request, trainer) pairs within the trainer's
    radius (great-circle distance matrix; every pair for an online request),
    then the slots that lie inside one of the trainer's weekly windows in a month
    where they have room under their cap. These are necessary conditions only:
    every slot that passes them goes through `broken_rules`, which decides. A
    pair with at least one free slot is an edge whose cost is the trainer's km to
    the venue (0 online; the venue is the same for every slot). A trainer who
    declined the request, or already has an offer for it waiting, gets no edge.

The optimal plan
    A min-weight full bipartite matching (SciPy's sparse Jonker-Volgenant,
    `min_weight_full_bipartite_matching`) between requests and columns. A
    trainer has one column per place left under their cap in each calendar
    month (cap minus sessions already booked that month), and an edge joins a
    request to a trainer's columns for each month holding one of its free
    slots, so caps hold by construction. Each request also has an "uncovered"
    column of its own, so a full matching always exists. Costs:
        covered: km        uncovered: COVER + SERVE * tier
    with tier 2 for a group never trained (no delivered session), 1 for one not
    trained in the last 365 days, 0 otherwise; SERVE exceeds any total km and
    COVER exceeds every SERVE penalty plus km. The matching therefore maximises
    requests covered, then never or not recently trained groups served, then
    minimises km, in that order. Greedy's plan is one of the matchings it
    chooses among, so before repair it is never worse than greedy.

Repair
    The matching cannot see that two requests given to one trainer may clash
    (overlap, allowing for travel between venues). For each trainer given
    several requests, a small search picks one slot per request so that every
    one passes `broken_rules` with the trainer's other plan sessions added to
    their bookings and month counts. When no choice works, one clashing edge is
    removed (of a request with another trainer to go to if possible, then the
    farthest) and only its connected component of the graph is solved again,
    until no clash is left. Each round removes edges, so it ends. Clashes are
    few (two requests the same evening, or within travel of each other), so
    the plan gives up little of the matching's optimum.

Greedy
    Requests in the order they were made; each takes the nearest trainer (then
    their earliest slot) who passes every rule given what greedy has already
    handed out.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from datetime import time as clock
from typing import NamedTuple

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import (
    connected_components,
    min_weight_full_bipartite_matching,
)
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from trainers.auth.models import User
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.geo import EARTH_RADIUS_KM
from trainers.matching.facts import load_trainer_facts, travel_settings
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.rules import (
    Booking,
    SlotFacts,
    TrainerFacts,
    TravelSettings,
    Venue,
    broken_rules,
    local_month,
)
from trainers.matching.services import offer_to_trainer
from trainers.network.models import Group, Topic
from trainers.profiles.models import TrainerTopic
from trainers.requests.models import (
    OPEN_STATUSES,
    RequestSlot,
    TrainingRequest,
    matching_slot,
)
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import to_local

logger = logging.getLogger(__name__)

RECENT_DAYS = 365
NEVER_TRAINED, NOT_RECENTLY_TRAINED = 2, 1
# Offers that keep a trainer out of a request's plan: they said no, or one waits.
BLOCKING_OFFERS = (OfferStatus.DECLINED, OfferStatus.PENDING)
# Slot choices tried for one trainer before their clash is settled by dropping
# an edge: plenty for a month's handful of sessions, and a bound on bad cases.
SEARCH_BUDGET = 2000


class Assignment(NamedTuple):
    request_id: int
    trainer_id: int
    slot_id: int
    km: float


@dataclass
class Plan:
    """Trainers given to open requests, and the figures to judge the plan by.

    `unserved_groups` counts the groups with an open request that were never
    trained or not in the last 365 days; `unserved_groups_covered` how many of
    them the plan serves.
    """

    method: str
    assignments: list[Assignment]
    requests_considered: int
    unserved_groups: int
    unserved_groups_covered: int
    seconds: float

    @property
    def requests_covered(self) -> int:
        return len(self.assignments)

    @property
    def total_km(self) -> float:
        return round(sum(a.km for a in self.assignments), 1)


@dataclass(frozen=True)
class PlanRow:
    """One assignment with the names the office reads."""

    request_id: int
    group_name: str
    topic_name: str
    starts_at: datetime
    is_online: bool
    trainer_name: str
    km: float


@dataclass
class Skipped:
    assignment: Assignment
    message: str


@dataclass
class AppliedPlan:
    offers: list[Offer] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class _Slot:
    id: int
    facts: SlotFacts
    month: tuple[int, int]


@dataclass
class _Request:
    id: int
    group_id: int
    topic_id: int
    tier: int
    venue: Venue
    slots: list[_Slot] = field(default_factory=list)


@dataclass
class _Edge:
    km: float
    slots: list[int]  # free slots (indices into the request's), earliest first


class _World:
    """Open requests, trainers' facts and the edges between them, loaded once."""

    def __init__(self, now: datetime, trainer_ids: Collection[int] | None):
        started = time.perf_counter()
        self.settings: TravelSettings = travel_settings()
        self.requests = _open_requests(now)
        self.unserved_groups = len({r.group_id for r in self.requests if r.tier})
        self.trainer_ids, self.facts, by_topic = _trainer_facts(
            self.requests, trainer_ids
        )
        self.edges: list[dict[int, _Edge]] = _edges(
            self.requests, self.trainer_ids, self.facts, by_topic, self.settings
        )
        self.load_seconds = time.perf_counter() - started

    def plan(
        self, method: str, chosen: dict[int, tuple[int, int]], started: float
    ) -> Plan:
        """A Plan from request index -> (trainer index, slot index)."""
        assignments = [
            Assignment(
                self.requests[i].id,
                self.trainer_ids[t],
                self.requests[i].slots[k].id,
                self.edges[i][t].km,
            )
            for i, (t, k) in sorted(chosen.items())
        ]
        return Plan(
            method=method,
            assignments=assignments,
            requests_considered=len(self.requests),
            unserved_groups=self.unserved_groups,
            unserved_groups_covered=len(
                {self.requests[i].group_id for i in chosen if self.requests[i].tier}
            ),
            seconds=self.load_seconds + time.perf_counter() - started,
        )

    def fits(self, t: int, slot: SlotFacts, taken: list[SlotFacts]) -> bool:
        """Whether trainer `t` may take `slot`, one of an edge's free slots, with
        `taken` also booked for them."""
        return not taken or not broken_rules(
            _with_plan(self.facts[t], taken), slot, self.settings
        )


def plan_open_requests(
    now: datetime, trainer_ids: Collection[int] | None = None
) -> Plan:
    """The optimal plan for every open request (only `trainer_ids`, if given).

    Reads only; nothing is offered until `apply_plan`.
    """
    return _optimal(_World(now, trainer_ids))


def greedy_plan(now: datetime, trainer_ids: Collection[int] | None = None) -> Plan:
    """What first-come matching would do with every open request. Reads only."""
    return _greedy(_World(now, trainer_ids))


def compare_plans(
    now: datetime, trainer_ids: Collection[int] | None = None
) -> tuple[Plan, Plan]:
    """The optimal plan and the greedy one from one load of the data. Reads only.

    Each plan's `seconds` counts the shared load and its own solving.
    """
    world = _World(now, trainer_ids)
    return _optimal(world), _greedy(world)


def apply_plan(plan: Plan, by: User, now: datetime) -> AppliedPlan:
    """Offer each planned slot to its trainer (`offer_to_trainer`, rules rechecked).

    An assignment that can no longer be offered (request closed, slot passed,
    trainer no longer free) is skipped with the reason. Flushes; the caller commits.
    """
    ids = {a.request_id for a in plan.assignments}
    requests = {
        r.id: r
        for r in db.session.scalars(
            select(TrainingRequest)
            .options(selectinload(TrainingRequest.slots))
            .where(TrainingRequest.id.in_(ids))
        )
    }
    result = AppliedPlan()
    for assignment in plan.assignments:
        try:
            offer = _offer(requests[assignment.request_id], assignment, by, now)
        except DomainError as error:
            result.skipped.append(Skipped(assignment, error.message))
            logger.info(
                "Plan: request %s not offered to trainer %s: %s",
                assignment.request_id,
                assignment.trainer_id,
                error.message,
            )
        else:
            result.offers.append(offer)
    logger.info(
        "Plan applied by user %s: %s offers made, %s skipped",
        by.id,
        len(result.offers),
        len(result.skipped),
    )
    return result


def _offer(
    training_request: TrainingRequest, assignment: Assignment, by: User, now: datetime
) -> Offer:
    slot = next((s for s in training_request.slots if s.id == assignment.slot_id), None)
    if slot is None:
        raise DomainError("This time is no longer one the group proposes.")
    if slot.starts_at <= now:
        raise DomainError("This slot's time has already passed.")
    return offer_to_trainer(
        training_request, assignment.trainer_id, assignment.slot_id, by, now
    )


def plan_rows(plan: Plan) -> list[PlanRow]:
    """The plan's assignments with group, topic and trainer names, soonest first.

    An assignment whose slot the group has since removed is left out.
    """
    details = {
        row[0]: row[1:]
        for row in db.session.execute(
            select(
                RequestSlot.id,
                TrainingRequest.id,
                Group.name,
                Topic.name,
                RequestSlot.starts_at,
                TrainingRequest.is_online,
            )
            .join(TrainingRequest, TrainingRequest.id == RequestSlot.request_id)
            .join(Group, Group.id == TrainingRequest.group_id)
            .join(Topic, Topic.id == TrainingRequest.topic_id)
            .where(RequestSlot.id.in_([a.slot_id for a in plan.assignments]))
        )
    }
    names = dict(
        db.session.execute(
            select(User.id, User.name).where(
                User.id.in_({a.trainer_id for a in plan.assignments})
            )
        ).all()
    )
    rows = [
        PlanRow(*details[a.slot_id], names[a.trainer_id], a.km)
        for a in plan.assignments
        if a.slot_id in details
    ]
    return sorted(rows, key=lambda row: (row.starts_at, row.request_id))


def _open_requests(now: datetime) -> list[_Request]:
    requests: dict[int, _Request] = {}
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
            request = requests[request_id] = _Request(
                request_id, group_id, topic_id, 0, venue
            )
        request.slots.append(
            _Slot(
                slot_id,
                SlotFacts(starts_at, ends_at, request.venue),
                local_month(starts_at),
            )
        )
    last_trained = dict(
        db.session.execute(
            select(TrainingSession.group_id, func.max(TrainingSession.starts_at))
            .where(
                TrainingSession.status == SessionStatus.DELIVERED,
                TrainingSession.group_id.in_({r.group_id for r in requests.values()}),
            )
            .group_by(TrainingSession.group_id)
        ).all()
    )
    recent = now - timedelta(days=RECENT_DAYS)
    for request in requests.values():
        trained_at = last_trained.get(request.group_id)
        if trained_at is None:
            request.tier = NEVER_TRAINED
        elif trained_at < recent:
            request.tier = NOT_RECENTLY_TRAINED
    return list(requests.values())


def _trainer_facts(
    requests: list[_Request], only: Collection[int] | None
) -> tuple[list[int], list[TrainerFacts], dict[int, list[int]]]:
    """Trainer ids, their facts (same order) and, per topic, who is qualified."""
    topic_ids = {r.topic_id for r in requests}
    if not topic_ids:
        return [], [], {}
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
    return ids, facts, by_topic


def _edges(
    requests: list[_Request],
    trainer_ids: list[int],
    facts: list[TrainerFacts],
    by_topic: dict[int, list[int]],
    settings: TravelSettings,
) -> list[dict[int, _Edge]]:
    """For each request, the trainers (by index) who may take one of its slots.

    Reach, weekly windows and room under the monthly cap are first checked in
    bulk with numpy, as necessary conditions only; `broken_rules` decides every
    slot that gets through.
    """
    edges: list[dict[int, _Edge]] = [{} for _ in requests]
    if not requests or not trainer_ids:
        return edges
    blocked = {
        tuple(row)
        for row in db.session.execute(
            select(Offer.request_id, Offer.trainer_id).where(
                Offer.request_id.in_([r.id for r in requests]),
                Offer.status.in_(BLOCKING_OFFERS),
            )
        )
    }
    home = _coordinates([(f.latitude, f.longitude) for f in facts])
    radius = np.array([f.travel_radius_km for f in facts], dtype=float)
    windows = _weekly_windows(facts)
    slot_times = _slot_times(requests)
    months = sorted({slot.month for r in requests for slot in r.slots})
    slot_months = np.zeros(slot_times.shape[:2], dtype=np.int64)
    for i, request in enumerate(requests):
        slot_months[i, : len(request.slots)] = [
            months.index(slot.month) for slot in request.slots
        ]
    has_room = np.array(
        [[f.sessions_by_month.get(m, 0) < f.monthly_cap for m in months] for f in facts]
    )
    by_request_topic: dict[int, list[int]] = defaultdict(list)
    for i, request in enumerate(requests):
        by_request_topic[request.topic_id].append(i)
    for topic_id, rows in by_request_topic.items():
        columns = np.array(by_topic.get(topic_id, []), dtype=int)
        if not columns.size:
            continue
        venues = [requests[i].venue for i in rows]
        online = np.array([v.is_online for v in venues])
        km = _km_matrix(
            _coordinates([(v.latitude, v.longitude) for v in venues]), home[columns]
        )
        # A hair of slack for rounding: `broken_rules` has the last word on reach.
        a, b = np.nonzero(online[:, None] | (km <= radius[columns][None, :] + 0.001))
        pair_rows, pair_trainers = np.array(rows)[a], columns[b]
        may_fit = (
            _inside_windows(slot_times, pair_rows, windows, pair_trainers)
            & has_room[pair_trainers[:, None], slot_months[pair_rows]]
        )
        for p in np.nonzero(may_fit.any(axis=1))[0]:
            i, t = int(pair_rows[p]), int(pair_trainers[p])
            request = requests[i]
            if (request.id, trainer_ids[t]) in blocked:
                continue
            free = [
                int(k)
                for k in np.nonzero(may_fit[p])[0]
                if not broken_rules(facts[t], request.slots[k].facts, settings)
            ]
            if free:
                distance = 0.0 if request.venue.is_online else float(km[a[p], b[p]])
                edges[i][t] = _Edge(round(distance, 1), free)
    return edges


def _microseconds(moment: clock) -> int:
    return (
        (moment.hour * 60 + moment.minute) * 60 + moment.second
    ) * 1_000_000 + moment.microsecond


def _slot_times(requests: list[_Request]) -> np.ndarray:
    """(requests, most slots, 3): local weekday, start and end of day in µs.

    The weekday is -1 for padding and for a slot that ends on another day,
    which no window holds.
    """
    most = max((len(r.slots) for r in requests), default=0)
    times = np.full((len(requests), most, 3), -1, dtype=np.int64)
    for i, request in enumerate(requests):
        for k, slot in enumerate(request.slots):
            start, end = to_local(slot.facts.starts_at), to_local(slot.facts.ends_at)
            weekday = start.weekday() if start.date() == end.date() else -1
            times[i, k] = (
                weekday,
                _microseconds(start.time()),
                _microseconds(end.time()),
            )
    return times


def _weekly_windows(facts: list[TrainerFacts]) -> np.ndarray:
    """(trainers, most windows, 3): weekday, opening and closing in µs; padding
    has weekday -2, which no slot has."""
    most = max(1, max((len(f.windows) for f in facts), default=0))
    windows = np.full((len(facts), most, 3), -2, dtype=np.int64)
    for t, trainer in enumerate(facts):
        for w, (weekday, opens, closes) in enumerate(trainer.windows):
            windows[t, w] = weekday, _microseconds(opens), _microseconds(closes)
    return windows


def _inside_windows(
    slot_times: np.ndarray, rows: np.ndarray, windows: np.ndarray, trainers: np.ndarray
) -> np.ndarray:
    """(pairs, most slots): whether the slot lies wholly inside one of the
    trainer's weekly windows, for each (request row, trainer) pair."""
    slots = slot_times[rows][:, :, None, :]  # pairs, slots, 1, 3
    held = windows[trainers][:, None, :, :]  # pairs, 1, windows, 3
    return (
        (slots[..., 0] == held[..., 0])
        & (held[..., 1] <= slots[..., 1])
        & (slots[..., 2] <= held[..., 2])
    ).any(axis=2)


def _coordinates(points: list[tuple[float | None, float | None]]) -> np.ndarray:
    """An (n, 2) array of latitudes and longitudes in radians; NaN where unknown."""
    return np.radians(
        np.array(
            [(np.nan, np.nan) if lat is None else (lat, lon) for lat, lon in points],
            dtype=float,
        ).reshape(-1, 2)
    )


def _km_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle km between every point of `a` and every point of `b` (haversine)."""
    lat1, lon1 = a[:, :1], a[:, 1:]
    lat2, lon2 = b[:, 0][None, :], b[:, 1][None, :]
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


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


def _greedy(world: _World) -> Plan:
    started = time.perf_counter()
    taken: dict[int, list[SlotFacts]] = defaultdict(list)
    chosen: dict[int, tuple[int, int]] = {}
    for i, request in enumerate(world.requests):  # in the order they were made
        nearest = sorted(
            world.edges[i].items(),
            key=lambda item: (item[1].km, world.trainer_ids[item[0]]),
        )
        for t, edge in nearest:
            k = next(
                (
                    k
                    for k in edge.slots
                    if world.fits(t, request.slots[k].facts, taken[t])
                ),
                None,
            )
            if k is not None:
                chosen[i] = (t, k)
                taken[t].append(request.slots[k].facts)
                break
    plan = world.plan("greedy", chosen, started)
    _log(plan)
    return plan


def _optimal(world: _World) -> Plan:
    started = time.perf_counter()
    n = len(world.requests)
    graph = coo_array(
        (
            np.ones(sum(len(e) for e in world.edges)),
            (
                [i for i, edges in enumerate(world.edges) for _ in edges],
                [n + t for edges in world.edges for t in edges],
            ),
        ),
        shape=(n + len(world.trainer_ids),) * 2,
    )
    _, labels = connected_components(graph, directed=False)
    components: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        if world.edges[i]:
            components[int(labels[i])].append(i)
    graph = _Graph(world)
    forbidden: set[tuple[int, int]] = set()
    months: dict[int, tuple[int, tuple[int, int]]] = {}  # request -> trainer, month
    chosen: dict[int, tuple[int, int]] = {}  # request -> trainer, slot
    dirty = set(components)
    searched: dict[tuple, dict[int, int] | None] = {}
    rounds = 0
    while dirty:
        rounds += 1
        trainers: set[int] = set()
        for label in dirty:
            rows = components[label]
            for i in rows:
                months.pop(i, None)
                chosen.pop(i, None)
                trainers.update(world.edges[i])
            months.update(graph.solve(rows))
        dirty = set()
        by_trainer: dict[int, list[tuple[int, tuple[int, int]]]] = defaultdict(list)
        for i, (t, month) in months.items():
            if t in trainers:
                by_trainer[t].append((i, month))
        for t, items in by_trainer.items():
            # A trainer whose requests did not change keeps the slots found.
            known = (t, *sorted(items))
            if known not in searched:
                searched[known] = _choose_slots(world, t, items)
            slots = searched[known]
            if slots is None:
                culprit = _culprit(world, t, items, forbidden)
                forbidden.add((culprit, t))
                graph.forbid(culprit, t)
                dirty.add(int(labels[culprit]))
            else:
                chosen.update({i: (t, k) for i, k in slots.items()})
    plan = world.plan("optimal", chosen, started)
    logger.info("Plan needed %s rounds, %s edges dropped", rounds, len(forbidden))
    _log(plan)
    return plan


class _Graph:
    """The optimal plan's bipartite graph (see the top), built once as flat arrays:
    one entry per (request, trainer, month) where the trainer has a free slot."""

    def __init__(self, world: _World):
        self.world = world
        entries: list[tuple[int, int, int, float]] = []
        self.entries_of: dict[tuple[int, int], list[int]] = defaultdict(list)
        month_index: dict[tuple[int, int], int] = {}
        for i, edges in enumerate(world.edges):
            slots = world.requests[i].slots
            for t, edge in edges.items():
                for month in sorted({slots[k].month for k in edge.slots}):
                    self.entries_of[i, t].append(len(entries))
                    m = month_index.setdefault(month, len(month_index))
                    entries.append((i, t, m, edge.km))
        self.months = list(month_index)
        table = np.array(entries, dtype=float).reshape(-1, 4)
        self.request, self.trainer, self.month = table[:, :3].astype(np.int64).T
        self.km = table[:, 3]
        self.places = np.array(
            [
                world.facts[t].monthly_cap
                - world.facts[t].sessions_by_month.get(self.months[m], 0)
                for _, t, m, _ in entries
            ],
            dtype=np.int64,
        )
        self.allowed = np.ones(len(entries), dtype=bool)
        self.tier = np.array([r.tier for r in world.requests], dtype=float)
        # More than any plan's total km, so one more request served always wins.
        self.serve = 1.0 + sum(
            max((e.km for e in edges.values()), default=0.0) for edges in world.edges
        )

    def forbid(self, i: int, t: int) -> None:
        self.allowed[self.entries_of[i, t]] = False

    def solve(self, rows: list[int]) -> dict[int, tuple[int, tuple[int, int]]]:
        """The best matching of these requests to trainers' month columns: request
        index -> (trainer index, month) for those covered."""
        local = np.full(len(self.world.requests), -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        chosen = np.nonzero(self.allowed & (local[self.request] >= 0))[0]
        # Columns: one per place left under a trainer's cap in a month, no more
        # than the requests that could use them.
        key = self.trainer[chosen] * len(self.months) + self.month[chosen]
        keys, which, wanted = np.unique(key, return_inverse=True, return_counts=True)
        places = np.zeros(len(keys), dtype=np.int64)
        places[which] = self.places[chosen]
        copies = np.minimum(wanted, places)
        first = np.cumsum(copies) - copies
        columns = int(copies.sum())
        repeats = copies[which]
        ends = np.cumsum(repeats)
        nth = np.arange(ends[-1] if len(ends) else 0) - np.repeat(
            ends - repeats, repeats
        )
        cover = (2 * len(rows) + 1) * self.serve
        # Every cost is raised by 1: SciPy takes a zero as no edge, and each
        # request is matched exactly once, so the shift changes no choice.
        matrix = coo_array(
            (
                np.concatenate(
                    [
                        np.repeat(1 + self.km[chosen], repeats),
                        1 + cover + self.serve * self.tier[rows],
                    ]
                ),
                (
                    np.concatenate(
                        [
                            np.repeat(local[self.request[chosen]], repeats),
                            np.arange(len(rows)),
                        ]
                    ),
                    np.concatenate(
                        [
                            np.repeat(first[which], repeats) + nth,
                            columns + np.arange(len(rows)),
                        ]
                    ),
                ),
            ),
            shape=(len(rows), columns + len(rows)),
        ).tocsr()
        row_ind, col_ind = min_weight_full_bipartite_matching(matrix)
        covered = col_ind < columns
        matched = keys[np.searchsorted(first, col_ind[covered], side="right") - 1]
        return {
            rows[a]: (int(k // len(self.months)), self.months[k % len(self.months)])
            for a, k in zip(row_ind[covered], matched, strict=True)
        }


def _choose_slots(
    world: _World, t: int, items: list[tuple[int, tuple[int, int]]]
) -> dict[int, int] | None:
    """One slot per request given to trainer `t`, in its matched month, none
    clashing with another; None when no such choice was found."""
    options = {
        i: [k for k in world.edges[i][t].slots if world.requests[i].slots[k].month == m]
        for i, m in items
    }
    if len(options) == 1:
        return {i: ks[0] for i, ks in options.items()}
    order = sorted(
        options, key=lambda i: world.requests[i].slots[options[i][0]].facts.starts_at
    )
    chosen: dict[int, int] = {}
    taken: list[SlotFacts] = []
    budget = SEARCH_BUDGET

    def place(position: int) -> bool:
        nonlocal budget
        if position == len(order):
            return True
        i = order[position]
        for k in options[i]:
            budget -= 1
            if budget < 0:
                return False
            slot = world.requests[i].slots[k].facts
            if world.fits(t, slot, taken):
                chosen[i] = k
                taken.append(slot)
                if place(position + 1):
                    return True
                taken.pop()
        return False

    return chosen if place(0) else None


def _culprit(
    world: _World,
    t: int,
    items: list[tuple[int, tuple[int, int]]],
    forbidden: set[tuple[int, int]],
) -> int:
    """The request to take from trainer `t` so their clash ends: one that has
    another trainer to go to if possible, then the farthest."""

    def stranded(i: int) -> bool:
        return all(u == t or (i, u) in forbidden for u in world.edges[i])

    ranked = sorted(
        items,
        key=lambda item: (stranded(item[0]), -world.edges[item[0]][t].km, -item[0]),
    )
    for item in ranked:
        if _choose_slots(world, t, [x for x in items if x != item]) is not None:
            return item[0]
    return ranked[0][0]


def _log(plan: Plan) -> None:
    logger.info(
        "%s plan: %s of %s requests covered, %s of %s unserved groups, %s km, %.2f s",
        plan.method,
        plan.requests_covered,
        plan.requests_considered,
        plan.unserved_groups_covered,
        plan.unserved_groups,
        plan.total_km,
        plan.seconds,
    )
