"""The coverage dashboard's figures for one set of filters.

Every figure is counted in SQL by a handful of grouped queries, each run once and
returning at most a few rows per region, topic and month, so a page costs the same
number of statements however large the network grows.
"""

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.sql import Select

from trainers.attendance.models import Attendance
from trainers.auth.models import User
from trainers.coverage import summary
from trainers.coverage.filters import CoverageFilters
from trainers.extensions import db
from trainers.geo import REGIONS
from trainers.network.models import Group, Topic
from trainers.profiles.models import TrainerProfile, TrainerTopic
from trainers.requests.models import RequestStatus, TrainingRequest
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import local_to_utc

# Sessions that take a trainer's time: what the monthly cap limits.
TAKING_TIME = (SessionStatus.BOOKED, SessionStatus.DELIVERED)
# A request whose matching is over, one way or the other.
DECIDED = (RequestStatus.BOOKED, RequestStatus.DELIVERED, RequestStatus.UNFILLED)
RECENT_DAYS, YEAR_DAYS = 90, 365
# What the session cells count, in their query's order.
_SESSION_COUNTS = ("sessions", "people")


class Recency(StrEnum):
    """When a group was last trained, as the map colours it."""

    WITHIN_90_DAYS = "within 90 days"
    WITHIN_A_YEAR = "within a year"
    OVER_A_YEAR = "over a year ago"
    NEVER = "never"


def recency(last_trained_at: datetime | None, now: datetime) -> Recency:
    """The map's bucket for a group last trained then (None: never)."""
    if last_trained_at is None:
        return Recency.NEVER
    if last_trained_at >= now - timedelta(days=RECENT_DAYS):
        return Recency.WITHIN_90_DAYS
    if last_trained_at >= now - timedelta(days=YEAR_DAYS):
        return Recency.WITHIN_A_YEAR
    return Recency.OVER_A_YEAR


@dataclass(frozen=True)
class Month:
    """A London calendar month the range touches, and how much of it."""

    first_day: date
    # The UTC instant the month's part of the range opens.
    starts_at: datetime
    # The share of the month's days inside the range (capacity is pro rata).
    fraction: float

    @property
    def label(self) -> str:
        return f"{self.first_day:%b %Y}"


def months_in(filters: CoverageFilters) -> list[Month]:
    """The London months from the range's first day to its last, in order."""
    months = []
    first = filters.first_day.replace(day=1)
    while first <= filters.last_day:
        following = (first + timedelta(days=32)).replace(day=1)
        inside = (
            min(following - timedelta(days=1), filters.last_day)
            - max(first, filters.first_day)
        ).days + 1
        months.append(
            Month(
                first_day=first,
                starts_at=max(filters.starts_at, local_to_utc(first, time(0))),
                fraction=inside / (following - first).days,
            )
        )
        first = following
    return months


class GroupCoverage(NamedTuple):
    """An active group, where it is, and when it was last trained."""

    # A tuple, not a dataclass: a page makes one for each of thousands of groups.
    id: int
    name: str
    region: str
    district: str
    latitude: float
    longitude: float
    last_trained_at: datetime | None
    sessions_in_range: int
    topic_ids: frozenset[int]  # of its sessions in the range
    recency: Recency


@dataclass(frozen=True)
class AreaRow:
    """One line of the by-region or by-topic table."""

    name: str
    groups: int | None  # by region only: a group has a region, not a topic
    groups_served: int
    sessions_delivered: int
    people_trained: int
    requests_made: int
    requests_unfilled: int

    @property
    def served_share(self) -> float | None:
        return self.groups_served / self.groups if self.groups else None


@dataclass(frozen=True)
class MonthRow:
    """One line of the by-month table."""

    month: Month
    requests_made: int
    sessions_delivered: int
    people_trained: int


@dataclass(frozen=True)
class Spread:
    """The middle and the 90th percentile of some durations, in hours."""

    count: int
    median: float
    p90: float


@dataclass(frozen=True)
class LoadSpread:
    """How trainers' sessions in the range compare with their caps and each other."""

    trainers: int
    sessions: int
    capacity: float
    quartiles: tuple[float, float, float]
    idle_share: float | None
    busiest_tenth_trainers: int
    busiest_tenth_share: float | None

    @property
    def utilisation(self) -> float | None:
        return self.sessions / self.capacity if self.capacity else None


@dataclass(frozen=True)
class Figure:
    """A headline number, how it reads, and how it was counted."""

    key: str
    label: str
    value: float | int | None
    text: str
    how_counted: str


@dataclass(frozen=True)
class _Cell:
    region: str
    topic_id: int
    month: int
    counts: tuple[int, ...]  # in the order of the names its query counts


def topic_names() -> dict[int, str]:
    """Every topic, active or not (old sessions keep their topic), by name."""
    rows = db.session.execute(select(Topic.id, Topic.name).order_by(Topic.name))
    return dict(rows.all())


class CoverageReport:
    """The dashboard's figures and tables for one set of filters at one moment.

    Each query runs on first use and only once, so an export runs only the
    queries its table needs, and the page never more than the fixed set.
    """

    def __init__(
        self, filters: CoverageFilters, now: datetime, topic_names: dict[int, str]
    ):
        self.filters = filters
        self.now = now
        self.topic_names = topic_names
        self.months = months_in(filters)

    # -- queries ---------------------------------------------------------------

    @cached_property
    def groups(self) -> list[GroupCoverage]:
        """Every active group (in the region) with its last delivered session
        (on the topic, ever) and its delivered sessions in the range."""
        delivered = and_(
            TrainingSession.group_id == Group.id,
            TrainingSession.status == SessionStatus.DELIVERED,
            *self._topic_clause(),
        )
        last = select(func.max(TrainingSession.starts_at)).where(delivered)
        # The topic of each session in the range, in one string: their number
        # is the group's sessions, and the distinct ones are the topics it was
        # served on, with no second scan of the range's sessions.
        topics = select(
            func.aggregate_strings(cast(TrainingSession.topic_id, String), ",")
        ).where(delivered, *self._range_clause())
        query = (
            select(
                Group.id,
                Group.name,
                Group.region,
                Group.postcode_district,
                Group.latitude,
                Group.longitude,
                last.scalar_subquery(),
                topics.scalar_subquery(),
            )
            .where(Group.is_active, *self._region_clause())
            .order_by(Group.region, Group.name, Group.id)
        )
        now = self.now
        groups = []
        for *group, last_trained_at, topics in db.session.execute(query).tuples():
            each = topics.split(",") if topics else ()
            groups.append(
                GroupCoverage(
                    *group,
                    last_trained_at,
                    len(each),
                    frozenset(map(int, set(each))),
                    recency(last_trained_at, now),
                )
            )
        return groups

    @cached_property
    def _summarised(self) -> dict[date, int]:
        """The range's months the kept monthly counts answer (first day: index):
        each the range covers from its first day to its last, or up to now, as
        nothing is made, nor delivered, later than now."""
        last = len(self.months) - 1
        covered = {}
        for n, month in enumerate(self.months):
            from_first_day = n > 0 or self.filters.first_day == month.first_day
            to_last_day = (
                n < last or month.fraction == 1 or self.filters.ends_before >= self.now
            )
            if from_first_day and to_last_day:
                covered[month.first_day] = n
        return covered

    @cached_property
    def _kept_cells(self) -> list[tuple]:
        """The kept counts of the summarised months: (region, topic, month
        index, *COUNTS) rows."""
        if not self._summarised:
            return []
        query = summary.monthly_counts(
            list(self._summarised), self.filters.region, self.filters.topic_id
        )
        return [
            (region, topic_id, self._summarised[month], *map(int, counts))
            for month, region, topic_id, *counts in db.session.execute(query)
        ]

    @cached_property
    def _counted_months(self) -> list[int]:
        """The range's months counted from the sessions and requests themselves."""
        return [
            n
            for n, month in enumerate(self.months)
            if month.first_day not in self._summarised
        ]

    @cached_property
    def _session_cells(self) -> list[_Cell]:
        """Delivered sessions in the range and the people they trained, by region,
        topic and month."""

        def counted(month: int, opens: datetime, closes: datetime):
            return (
                select(
                    Group.region,
                    TrainingSession.topic_id,
                    literal(month).label("month"),
                    func.count().label("sessions"),
                    func.coalesce(func.sum(Attendance.people_count), 0).label("people"),
                )
                .join(Group, Group.id == TrainingSession.group_id)
                .outerjoin(Attendance, Attendance.session_id == TrainingSession.id)
                .where(
                    TrainingSession.status == SessionStatus.DELIVERED,
                    TrainingSession.starts_at >= opens,
                    TrainingSession.starts_at < closes,
                    *self._region_clause(),
                    *self._topic_clause(),
                )
                .group_by(Group.region, TrainingSession.topic_id)
            )

        kept = [_Cell(*row[:3], row[3:5]) for row in self._kept_cells]
        return kept + self._count(counted)

    @cached_property
    def _request_cells(self) -> list[_Cell]:
        """Requests made in the range, by region, topic, month and present state."""

        def counted(month: int, opens: datetime, closes: datetime):
            by_state = [
                func.sum(
                    case((TrainingRequest.status == status.value, 1), else_=0)
                ).label(status)
                for status in RequestStatus
            ]
            return (
                select(
                    Group.region,
                    TrainingRequest.topic_id,
                    literal(month).label("month"),
                    *by_state,
                )
                .join(Group, Group.id == TrainingRequest.group_id)
                .where(
                    TrainingRequest.created_at >= opens,
                    TrainingRequest.created_at < closes,
                    *self._request_scope(),
                )
                .group_by(Group.region, TrainingRequest.topic_id)
            )

        kept = [_Cell(*row[:3], row[5:]) for row in self._kept_cells]
        return kept + self._count(counted)

    @cached_property
    def _served_by_topic(self) -> dict[int, int]:
        """Active groups with a delivered session on each topic in the range."""
        served = Counter()
        for group in self.groups:
            served.update(group.topic_ids)
        return served

    @cached_property
    def booking_delay(self) -> Spread | None:
        """Median and 90th percentile of the whole hours from a request (made in
        the range) to its first booking; None when none was booked."""
        # Each request keeps the whole hours to its first booking, so this is
        # one scan of the requests made in the range, with no look-up of their
        # sessions and no arithmetic on their times.
        hours = TrainingRequest.hours_to_booking
        query = select(hours, func.count()).where(
            hours.is_not(None), *self._request_clause()
        )
        if self.filters.region:
            query = query.join(Group, Group.id == TrainingRequest.group_id)
        # Whole hours make a short histogram, so percentiles need no sort of
        # every request and no rows beyond a few hundred.
        histogram = db.session.execute(query.group_by(hours).order_by(hours)).all()
        count = sum(n for _, n in histogram)
        if not count:
            return None
        value_at = _ranked(histogram)
        return Spread(
            count=count,
            median=_percentile(value_at, count, 0.5),
            p90=_percentile(value_at, count, 0.9),
        )

    @cached_property
    def load(self) -> LoadSpread:
        """Active trainers (based in the region; qualified in the topic) and their
        booked or delivered sessions starting in the range (on the topic)."""
        sessions = select(func.count()).where(
            TrainingSession.trainer_id == TrainerProfile.user_id,
            TrainingSession.status.in_(TAKING_TIME),
            *self._range_clause(),
            *self._topic_clause(),
        )
        trainers = select(
            TrainerProfile.monthly_cap.label("cap"),
            sessions.scalar_subquery().label("sessions"),
        ).join(User, User.id == TrainerProfile.user_id)
        trainers = trainers.where(User.is_active)
        if self.filters.region:
            trainers = trainers.where(TrainerProfile.region == self.filters.region)
        if self.filters.topic_id:
            trainers = trainers.where(
                exists().where(
                    TrainerTopic.trainer_id == TrainerProfile.user_id,
                    TrainerTopic.topic_id == self.filters.topic_id,
                    TrainerTopic.level == "qualified",
                )
            )
        inner = trainers.subquery()
        query = (
            select(inner.c.sessions, func.count(), func.sum(inner.c.cap))
            .group_by(inner.c.sessions)
            .order_by(inner.c.sessions)
        )
        histogram = [tuple(row) for row in db.session.execute(query)]
        return _load_spread(histogram, sum(m.fraction for m in self.months))

    def delivered_sessions(self) -> list[tuple]:
        """Delivered sessions in the range, oldest first: start, group, region,
        topic, trainer, people trained, rating. No attendee is ever named."""
        query = (
            select(
                TrainingSession.starts_at,
                Group.name,
                Group.region,
                Topic.name,
                User.name,
                Attendance.people_count,
                Attendance.rating,
            )
            .join(Group, Group.id == TrainingSession.group_id)
            .join(Topic, Topic.id == TrainingSession.topic_id)
            .join(User, User.id == TrainingSession.trainer_id)
            .outerjoin(Attendance, Attendance.session_id == TrainingSession.id)
            .where(
                TrainingSession.status == SessionStatus.DELIVERED,
                *self._range_clause(),
                *self._region_clause(),
                *self._topic_clause(),
            )
            .order_by(TrainingSession.starts_at, TrainingSession.id)
        )
        return list(db.session.execute(query).tuples())

    # -- tables ----------------------------------------------------------------

    @cached_property
    def regions(self) -> list[AreaRow]:
        """One row per nation or region (just the chosen one, if filtered)."""
        groups = Counter(group.region for group in self.groups)
        served = Counter(g.region for g in self.groups if g.sessions_in_range)
        sessions = self._session_sums["region"]
        requests = self._request_sums["region"]
        return [
            AreaRow(
                name=region,
                groups=groups[region],
                groups_served=served[region],
                sessions_delivered=sessions[region]["sessions"],
                people_trained=sessions[region]["people"],
                requests_made=sum(requests[region].values()),
                requests_unfilled=requests[region][RequestStatus.UNFILLED],
            )
            for region in ((self.filters.region,) if self.filters.region else REGIONS)
        ]

    @cached_property
    def topics(self) -> list[AreaRow]:
        """One row per topic (just the chosen one, if filtered), by name."""
        sessions = self._session_sums["topic"]
        requests = self._request_sums["topic"]
        chosen = self.filters.topic_id
        return [
            AreaRow(
                name=name,
                groups=None,
                groups_served=self._served_by_topic.get(topic_id, 0),
                sessions_delivered=sessions[topic_id]["sessions"],
                people_trained=sessions[topic_id]["people"],
                requests_made=sum(requests[topic_id].values()),
                requests_unfilled=requests[topic_id][RequestStatus.UNFILLED],
            )
            for topic_id, name in self.topic_names.items()
            if chosen in (None, topic_id)
        ]

    @cached_property
    def by_month(self) -> list[MonthRow]:
        """Requested against delivered, one row per London month of the range."""
        sessions = self._session_sums["month"]
        requests = self._request_sums["month"]
        return [
            MonthRow(
                month=month,
                requests_made=sum(requests[n].values()),
                sessions_delivered=sessions[n]["sessions"],
                people_trained=sessions[n]["people"],
            )
            for n, month in enumerate(self.months)
        ]

    @cached_property
    def requests_by_state(self) -> list[tuple[RequestStatus, int]]:
        """Requests made in the range, by the state they are in now."""
        totals = self._request_sums["all"][None]
        return [(status, totals[status]) for status in RequestStatus]

    @cached_property
    def map_counts(self) -> list[tuple[str, dict[Recency, int]]]:
        """Groups per map bucket, for each region shown and in all."""
        counts = {region: Counter() for region in (r.name for r in self.regions)}
        for group in self.groups:
            counts[group.region][group.recency] += 1
        rows = [(region, dict(counter)) for region, counter in counts.items()]
        if len(rows) > 1:
            rows.append(("All", dict(sum(counts.values(), Counter()))))
        return rows

    @cached_property
    def figures(self) -> list[Figure]:
        """The headline numbers, each with how it was counted."""
        groups = len(self.groups)
        served = sum(1 for group in self.groups if group.sessions_in_range)
        delivered = self._session_sums["all"][None]
        sessions, people = delivered["sessions"], delivered["people"]
        states = dict(self.requests_by_state)
        decided = sum(states[status] for status in DECIDED)
        unfilled = states[RequestStatus.UNFILLED]
        delay, load = self.booking_delay, self.load
        low, middle, high = load.quartiles
        return [
            Figure(
                "groups_served",
                "Groups served",
                served,
                f"{served:,} of {groups:,}",
                "Active groups (in the region) with at least one delivered session "
                "(on the topic) starting in the range, out of all active groups (in "
                "the region).",
            ),
            Figure(
                "served_share",
                "Share of groups served",
                _ratio(served, groups),
                _percent(_ratio(served, groups)),
                "Groups served divided by active groups.",
            ),
            Figure(
                "sessions_delivered",
                "Sessions delivered",
                sessions,
                f"{sessions:,}",
                "Sessions marked delivered (attendance recorded) that start in the "
                "range, at groups in the region, on the topic.",
            ),
            Figure(
                "people_trained",
                "People trained",
                people,
                f"{people:,}",
                "The sum, over those sessions, of the people counted at each: the "
                "larger of the headcount and the named roster.",
            ),
            Figure(
                "requests_made",
                "Requests made",
                sum(states.values()),
                f"{sum(states.values()):,}",
                "Requests created in the range by groups in the region, on the "
                "topic, whatever state they are in now.",
            ),
            Figure(
                "booking_median_days",
                "Time to booking, median",
                _days(delay.median) if delay else None,
                _duration(delay.median) if delay else "none booked",
                "For requests made in the range that were ever booked: from the "
                "request to its first booking (a trainer accepting, or the office "
                "assigning), in whole hours. Half took less, half more. Requests "
                "made late in the range may not be booked yet, and are left out "
                "until they are.",
            ),
            Figure(
                "booking_p90_days",
                "Time to booking, 90th percentile",
                _days(delay.p90) if delay else None,
                _duration(delay.p90) if delay else "none booked",
                "Nine in ten of those bookings came at least this quickly. Both "
                "percentiles interpolate between the nearest two requests (as "
                "PostgreSQL's percentile_cont does).",
            ),
            Figure(
                "unfilled_rate",
                "Unfilled rate",
                _ratio(unfilled, decided),
                _percent(_ratio(unfilled, decided)) + f" ({unfilled:,} of {decided:,})",
                "Of the requests made in the range whose matching is over (booked, "
                "delivered or unfilled now; cancelled and still-open ones left "
                "out), the share left unfilled: nobody could take them.",
            ),
            Figure(
                "utilisation",
                "Trainer utilisation",
                load.utilisation,
                _percent(load.utilisation)
                + f" ({load.sessions:,} of {load.capacity:,.0f} sessions)",
                "Booked and delivered sessions starting in the range, taught by "
                "active trainers (based in the region; qualified in the topic, "
                "counting only that topic's sessions), against the sum of their "
                "monthly caps times the months in the range (a part month counts "
                "pro rata by days).",
            ),
            Figure(
                "load_quartiles",
                "Sessions per trainer (quartiles)",
                middle,
                f"{low:g} / {middle:g} / {high:g}",
                "Among those trainers, idle ones included: the lower quartile, "
                "median and upper quartile of their sessions in the range.",
            ),
            Figure(
                "idle_share",
                "Trainers with no session",
                load.idle_share,
                _percent(load.idle_share) + f" of {load.trainers:,}",
                "Those trainers with no booked or delivered session in the range.",
            ),
            Figure(
                "busiest_tenth_share",
                "Share taught by the busiest 10%",
                load.busiest_tenth_share,
                _percent(load.busiest_tenth_share),
                f"The share of those sessions taught by the busiest tenth of "
                f"trainers ({load.busiest_tenth_trainers:,}, rounded up). An even "
                "spread would give 10%.",
            ),
        ]

    # -- helpers ---------------------------------------------------------------

    def _range_clause(self) -> list[ColumnElement[bool]]:
        return [
            TrainingSession.starts_at >= self.filters.starts_at,
            TrainingSession.starts_at < self.filters.ends_before,
        ]

    def _region_clause(self) -> list[ColumnElement[bool]]:
        return [Group.region == self.filters.region] if self.filters.region else []

    def _topic_clause(self) -> list[ColumnElement[bool]]:
        topic_id = self.filters.topic_id
        return [TrainingSession.topic_id == topic_id] if topic_id else []

    def _request_clause(self) -> list[ColumnElement[bool]]:
        return [
            TrainingRequest.created_at >= self.filters.starts_at,
            TrainingRequest.created_at < self.filters.ends_before,
            *self._request_scope(),
        ]

    def _request_scope(self) -> list[ColumnElement[bool]]:
        topic_id = self.filters.topic_id
        return [
            *self._region_clause(),
            *([TrainingRequest.topic_id == topic_id] if topic_id else []),
        ]

    def _count(
        self, counted: Callable[[int, datetime, datetime], Select]
    ) -> list[_Cell]:
        """Cells that `counted(month, opens, closes)` counts between two instants,
        for each month the kept counts do not answer (at most the range's first
        and last): one range scan each, glued by UNION ALL."""
        edges = [m.starts_at for m in self.months] + [self.filters.ends_before]
        scans = [counted(n, edges[n], edges[n + 1]) for n in self._counted_months]
        if not scans:
            return []
        query = scans[0] if len(scans) == 1 else union_all(*scans)
        return self._cells(query)

    @cached_property
    def _session_sums(self) -> dict[str, dict]:
        return _rollup(self._session_cells, _SESSION_COUNTS)

    @cached_property
    def _request_sums(self) -> dict[str, dict]:
        return _rollup(self._request_cells, tuple(RequestStatus))

    @staticmethod
    def _cells(query: Select) -> list[_Cell]:
        return [
            _Cell(*row[:3], tuple(int(n or 0) for n in row[3:]))
            for row in db.session.execute(query)
        ]


def _rollup(cells: list[_Cell], names: Sequence[str]) -> dict[str, dict]:
    """The cells' counts (named `names`, in order) summed by region, topic, month
    and in all (key None), in one pass: {"region": {"Wales": {"sessions": 3, ...},
    ...}, ...}."""
    # Summed as plain lists and named once at the end: a page rolls up
    # thousands of cells, and Counter arithmetic per cell cost more than its query.
    rolled: dict[str, dict] = {"region": {}, "topic": {}, "month": {}, "all": {}}
    for cell in cells:
        keys = (cell.region, cell.topic_id, cell.month, None)
        for totals, key in zip(rolled.values(), keys, strict=True):
            found = totals.get(key)
            if found is None:
                totals[key] = list(cell.counts)
            else:
                for n, count in enumerate(cell.counts):
                    found[n] += count
    return {
        by: _Zeros(
            (key, Counter(dict(zip(names, sums, strict=True))))
            for key, sums in totals.items()
        )
        for by, totals in rolled.items()
    }


class _Zeros(dict):
    """Missing keys read as an empty Counter, so absent cells count as zero."""

    def __missing__(self, key):
        return Counter()


def _ranked(histogram: Sequence[Sequence]) -> Callable[[int], float]:
    """From (value, how many, ...) rows, smallest value first, the function
    giving the k-th smallest value (from 0)."""

    def value_at(k: int) -> float:
        seen = 0
        for value, count, *_ in histogram:
            seen += count
            if k < seen:
                return value
        raise IndexError(k)

    return value_at


def _percentile(value_at: Callable[[int], float], count: int, share: float) -> float:
    """The `share` percentile of `count` sorted values, `value_at(k)` the k-th
    (from 0), interpolating linearly between the two nearest (as PostgreSQL's
    percentile_cont)."""
    position = share * (count - 1)
    low = math.floor(position)
    high = min(low + 1, count - 1)
    return value_at(low) + (position - low) * (value_at(high) - value_at(low))


def _load_spread(histogram: list[tuple[int, int, int]], months: float) -> LoadSpread:
    """Figures from (sessions, trainers with that many, their caps' sum) rows,
    fewest sessions first."""
    trainers = sum(count for _, count, _ in histogram)
    sessions = sum(load * count for load, count, _ in histogram)
    capacity = sum(caps or 0 for _, _, caps in histogram) * months

    value_at = _ranked(histogram)
    quartiles = (
        tuple(_percentile(value_at, trainers, q) for q in (0.25, 0.5, 0.75))
        if trainers
        else (0, 0, 0)
    )
    busiest = math.ceil(trainers / 10)
    left, busiest_sessions = busiest, 0
    for load, count, _ in reversed(histogram):
        taken = min(left, count)
        busiest_sessions += taken * load
        left -= taken
    idle = sum(count for load, count, _ in histogram if load == 0)
    return LoadSpread(
        trainers=trainers,
        sessions=sessions,
        capacity=capacity,
        quartiles=quartiles,
        idle_share=_ratio(idle, trainers),
        busiest_tenth_trainers=busiest,
        busiest_tenth_share=_ratio(busiest_sessions, sessions),
    )


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def _days(hours: float) -> float:
    return round(hours / 24, 2)


def _duration(hours: float) -> str:
    """'5 hours', '3.5 days': easy to read at a glance."""
    if hours < 48:
        return f"{hours:.1f} hours" if hours < 10 else f"{hours:.0f} hours"
    return f"{hours / 24:.1f} days"
