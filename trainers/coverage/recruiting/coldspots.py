"""Cold spots: open demand that no qualified trainer can reach, and the postcode
districts where recruiting one trainer would reach the most of it.

Demand is every request still open (submitted, offered or unfilled) made in the
filters' date range, for active groups. An in-person request is reachable when an
active trainer qualified in its topic lives within their travel radius of the
group's district; an online request when any active trainer is qualified in its
topic at all. Facts come in three bulk queries; reach is worked out on k-d trees
of unit vectors (scipy), never with a query or a Python loop per pair.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import numpy as np
from flask import current_app
from scipy.spatial import cKDTree
from sqlalchemy import func, select

from trainers.auth.models import User
from trainers.coverage.filters import CoverageFilters
from trainers.coverage.scope import requests_in_range
from trainers.extensions import db
from trainers.geo import EARTH_RADIUS_KM, REGIONS, Place, all_districts, distance_km
from trainers.matching.facts import one_of
from trainers.network.models import Group, Topic
from trainers.profiles.models import TrainerProfile, TrainerTopic
from trainers.requests.models import OPEN_STATUSES, TrainingRequest
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import to_local

SUGGESTIONS = 10


@dataclass(frozen=True)
class ColdTopic:
    """A topic a cold-spot group waits for that nobody qualified can reach."""

    topic_id: int
    name: str
    unserved_requests: int
    online_requests: int  # of those, online: no trainer is qualified anywhere


@dataclass(frozen=True)
class ColdGroup:
    """A group with open requests no qualified trainer can reach."""

    group_id: int
    name: str
    region: str
    district: str
    latitude: float
    longitude: float
    topics: tuple[ColdTopic, ...]
    waiting_since: datetime  # when its oldest unreachable request was made
    waiting_days: int
    last_trained_at: datetime | None  # its last delivered session

    @property
    def unserved_requests(self) -> int:
        return sum(topic.unserved_requests for topic in self.topics)

    @property
    def in_person_requests(self) -> int:
        """Unreachable requests at a venue: the ones a nearby recruit would serve."""
        return sum(t.unserved_requests - t.online_requests for t in self.topics)

    @property
    def is_never_trained(self) -> bool:
        return self.last_trained_at is None


@dataclass(frozen=True)
class RegionRow:
    """One nation or region's open demand and how much of it nobody can reach."""

    region: str
    demand_requests: int
    unserved_requests: int
    cold_groups: int

    @property
    def share(self) -> float | None:
        """Unreachable requests as a share of the region's open demand."""
        if not self.demand_requests:
            return None
        return self.unserved_requests / self.demand_requests


@dataclass(frozen=True)
class GroupInReach:
    group: ColdGroup
    km: float


@dataclass(frozen=True)
class RecruitDistrict:
    """A postcode district where one new trainer would reach these cold-spot groups
    (those that earlier suggestions did not already reach)."""

    rank: int
    place: Place
    groups: tuple[GroupInReach, ...]

    @property
    def unserved_requests(self) -> int:
        return sum(entry.group.in_person_requests for entry in self.groups)


@dataclass(frozen=True)
class ColdSpotReport:
    filters: CoverageFilters
    radius_km: float
    demand_requests: int
    groups: tuple[ColdGroup, ...]  # ranked
    regions: tuple[RegionRow, ...]  # ranked
    districts: tuple[RecruitDistrict, ...]  # in the order to recruit

    @property
    def unserved_requests(self) -> int:
        return sum(group.unserved_requests for group in self.groups)

    @property
    def online_only_groups(self) -> int:
        """Cold-spot groups waiting only for online sessions: recruiting anywhere
        in their topics serves them, so no district is suggested for them."""
        return sum(1 for group in self.groups if not group.in_person_requests)


def cold_spots(filters: CoverageFilters, now: datetime) -> ColdSpotReport:
    """Cold-spot groups ranked, rolled up by region, and up to SUGGESTIONS districts
    to recruit in, chosen greedily. Reads only; at most three statements."""
    demand = _load_demand(filters)
    qualified = _qualified_trainers(filters.topic_id)
    reached = _reached_pairs(demand, qualified)
    unreachable: dict[int, dict[int, list[tuple[bool, datetime]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for group_id, topic_id, is_online, made in demand.requests:
        if is_online:
            can_reach = topic_id in qualified
        else:
            can_reach = (group_id, topic_id) in reached
        if not can_reach:
            unreachable[group_id][topic_id].append((is_online, made))
    groups = _rank_groups(demand, unreachable, _last_trained(list(unreachable)), now)
    radius_km = current_app.config["RECRUIT_RADIUS_KM"]
    return ColdSpotReport(
        filters=filters,
        radius_km=radius_km,
        demand_requests=len(demand.requests),
        groups=groups,
        regions=_regions(filters, demand, groups),
        districts=_recruiting(groups, radius_km),
    )


@dataclass(frozen=True)
class _Demand:
    requests: list[tuple[int, int, bool, datetime]]  # group, topic, online, made
    # name, region, postcode district, latitude, longitude
    groups: dict[int, tuple[str, str, str, float, float]]
    topics: dict[int, str]


def _load_demand(filters: CoverageFilters) -> _Demand:
    query = (
        select(
            TrainingRequest.group_id,
            TrainingRequest.topic_id,
            TrainingRequest.is_online,
            TrainingRequest.created_at,
            Group.name,
            Group.region,
            Group.postcode_district,
            Group.latitude,
            Group.longitude,
            Topic.name,
        )
        .join(Group, Group.id == TrainingRequest.group_id)
        .join(Topic, Topic.id == TrainingRequest.topic_id)
        .where(is_open_request(), *requests_in_range(filters), Group.is_active)
    )
    demand = _Demand([], {}, {})
    for group_id, topic_id, is_online, made, *group, topic_name in db.session.execute(
        query
    ):
        demand.requests.append((group_id, topic_id, is_online, made))
        demand.groups[group_id] = tuple(group)
        demand.topics[topic_id] = topic_name
    return demand


def is_open_request():
    """SQL: the request is still open. Marked rare for SQLite, which keeps no
    statistics of values: it would guess half of all requests are open and read
    every group's whole history rather than the status index (40 times slower)."""
    condition = TrainingRequest.status.in_(sorted(OPEN_STATUSES))
    if db.engine.dialect.name == "sqlite":
        return func.unlikely(condition)
    return condition


def _qualified_trainers(topic_id: int | None) -> dict[int, list[tuple]]:
    """Per topic, the (latitude, longitude, radius) of each active qualified trainer;
    latitude is None for a trainer with no home district (online only)."""
    query = (
        select(
            TrainerTopic.topic_id,
            TrainerProfile.latitude,
            TrainerProfile.longitude,
            TrainerProfile.travel_radius_km,
        )
        .join(TrainerProfile, TrainerProfile.user_id == TrainerTopic.trainer_id)
        .join(User, User.id == TrainerTopic.trainer_id)
        .where(User.is_active, TrainerTopic.level == "qualified")
    )
    if topic_id:
        query = query.where(TrainerTopic.topic_id == topic_id)
    trainers: dict[int, list[tuple]] = defaultdict(list)
    for topic, latitude, longitude, radius in db.session.execute(query):
        trainers[topic].append((latitude, longitude, radius))
    return trainers


def _reached_pairs(demand: _Demand, qualified: dict[int, list[tuple]]) -> set:
    """The (group, topic) pairs with in-person demand that a qualified trainer reaches."""
    groups_by_topic: dict[int, set[int]] = defaultdict(set)
    for group_id, topic_id, is_online, _ in demand.requests:
        if not is_online:
            groups_by_topic[topic_id].add(group_id)
    reached = set()
    for topic_id, group_set in groups_by_topic.items():
        homes = [t for t in qualified.get(topic_id, ()) if t[0] is not None]
        if not homes:
            continue
        trainers = np.array(homes, dtype=float)  # latitude, longitude, radius
        group_ids = list(group_set)
        places = np.array([demand.groups[g][3:] for g in group_ids], dtype=float)
        hits = _within_radius(
            unit_vectors(places[:, 0], places[:, 1]),
            unit_vectors(trainers[:, 0], trainers[:, 1]),
            trainers[:, 2],
        )
        reached.update((group_ids[i], topic_id) for i in np.flatnonzero(hits).tolist())
    return reached


def unit_vectors(latitudes, longitudes) -> np.ndarray:
    """Points on the unit sphere (one row of x, y, z each) for degrees of latitude
    and longitude."""
    lat = np.radians(np.asarray(latitudes, dtype=float))
    lon = np.radians(np.asarray(longitudes, dtype=float))
    cos_lat = np.cos(lat)
    return np.column_stack((cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)))


def chord(km):
    """The straight line through the Earth between two points `km` apart along its
    surface, as a fraction of the radius: what a k-d tree of unit vectors measures."""
    return 2 * np.sin(
        np.minimum(np.asarray(km, dtype=float), np.pi * EARTH_RADIUS_KM)
        / (2 * EARTH_RADIUS_KM)
    )


def _within_radius(
    targets: np.ndarray, sources: np.ndarray, radii_km: np.ndarray
) -> np.ndarray:
    """For each target, whether some source lies within that source's own radius
    along the Earth's surface (the same test as the haversine rule)."""
    limits = chord(radii_km)
    # Pairs no further apart than the widest radius, then each against its own.
    pairs = cKDTree(targets).sparse_distance_matrix(
        cKDTree(sources), limits.max(), output_type="ndarray"
    )
    found = np.zeros(len(targets), dtype=bool)
    found[pairs["i"][pairs["v"] <= limits[pairs["j"]]]] = True
    return found


def _last_trained(group_ids: list[int]) -> dict[int, datetime]:
    if not group_ids:
        return {}
    return dict(
        db.session.execute(
            select(TrainingSession.group_id, func.max(TrainingSession.starts_at))
            .where(
                one_of(TrainingSession.group_id, group_ids),
                TrainingSession.status == SessionStatus.DELIVERED,
            )
            .group_by(TrainingSession.group_id)
        ).all()
    )


def _rank_groups(
    demand: _Demand,
    unreachable: dict[int, dict[int, list[tuple[bool, datetime]]]],
    last_trained: dict[int, datetime],
    now: datetime,
) -> tuple[ColdGroup, ...]:
    """Most unreachable requests first; then groups never trained (the network has
    not reached them at all); then the longest waiting; then by name."""
    today = to_local(now).date()
    groups = []
    for group_id, by_topic in unreachable.items():
        name, region, district, latitude, longitude = demand.groups[group_id]
        topics = sorted(
            (
                ColdTopic(
                    topic_id,
                    demand.topics[topic_id],
                    len(requests),
                    sum(1 for is_online, _ in requests if is_online),
                )
                for topic_id, requests in by_topic.items()
            ),
            key=lambda topic: (-topic.unserved_requests, topic.name),
        )
        since = min(made for requests in by_topic.values() for _, made in requests)
        groups.append(
            ColdGroup(
                group_id=group_id,
                name=name,
                region=region,
                district=district,
                latitude=latitude,
                longitude=longitude,
                topics=tuple(topics),
                waiting_since=since,
                waiting_days=(today - to_local(since).date()).days,
                last_trained_at=last_trained.get(group_id),
            )
        )
    groups.sort(
        key=lambda g: (
            -g.unserved_requests,
            not g.is_never_trained,
            g.waiting_since,
            g.name,
            g.group_id,
        )
    )
    return tuple(groups)


def _regions(
    filters: CoverageFilters, demand: _Demand, groups: tuple[ColdGroup, ...]
) -> tuple[RegionRow, ...]:
    """Every region in the filters, the largest unreachable demand first."""
    demanded: dict[str, int] = defaultdict(int)
    for group_id, *_ in demand.requests:
        demanded[demand.groups[group_id][1]] += 1
    unserved: dict[str, int] = defaultdict(int)
    cold: dict[str, int] = defaultdict(int)
    for group in groups:
        unserved[group.region] += group.unserved_requests
        cold[group.region] += 1
    rows = [
        RegionRow(region, demanded[region], unserved[region], cold[region])
        for region in ((filters.region,) if filters.region else REGIONS)
    ]
    order = {region: n for n, region in enumerate(REGIONS)}
    rows.sort(
        key=lambda r: (-r.unserved_requests, -(r.share or 0), order.get(r.region, 99))
    )
    return tuple(rows)


@cache
def _districts() -> tuple[tuple[Place, ...], cKDTree]:
    """Every postcode district, by code, and a search tree of their unit vectors."""
    places = tuple(sorted(all_districts().values(), key=lambda place: place.district))
    vectors = unit_vectors(
        [place.latitude for place in places], [place.longitude for place in places]
    )
    return places, cKDTree(vectors)


def _recruiting(
    groups: tuple[ColdGroup, ...], radius_km: float
) -> tuple[RecruitDistrict, ...]:
    """Greedy: the district reaching the most cold-spot groups with in-person demand,
    then the one reaching the most of those still unreached, and so on. Ties go to
    more unreachable requests, then the district code."""
    placed = [group for group in groups if group.in_person_requests]
    if not placed:
        return ()
    places, tree = _districts()
    points = cKDTree(
        unit_vectors([g.latitude for g in placed], [g.longitude for g in placed])
    )
    pairs = tree.sparse_distance_matrix(points, chord(radius_km), output_type="ndarray")
    district_of, group_of = pairs["i"], pairs["j"]
    requests = np.array([group.in_person_requests for group in placed], float)
    unreached = np.ones(len(placed), dtype=bool)
    by_code = np.arange(len(places))
    chosen = []
    for rank in range(1, SUGGESTIONS + 1):
        open_pairs = unreached[group_of]
        gained = np.bincount(district_of[open_pairs], minlength=len(places))
        gained_requests = np.bincount(
            district_of[open_pairs],
            weights=requests[group_of[open_pairs]],
            minlength=len(places),
        )
        best = int(np.lexsort((by_code, -gained_requests, -gained))[0])
        if gained[best] == 0:
            break
        newly = group_of[open_pairs & (district_of == best)].tolist()
        unreached[newly] = False
        place = places[best]
        reached = [
            GroupInReach(
                placed[j],
                distance_km(
                    place.latitude,
                    place.longitude,
                    placed[j].latitude,
                    placed[j].longitude,
                ),
            )
            for j in newly
        ]
        reached.sort(key=lambda entry: (entry.km, entry.group.name))
        chosen.append(RecruitDistrict(rank, place, tuple(reached)))
    return tuple(chosen)
