"""Delivered sessions and requests made, counted by region, topic and month.

Months the range covers whole (or up to now) are read from the kept monthly
counts; the others (at most the range's first and last) are counted from the
sessions and requests themselves, one range scan each.
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.sql import Select

from trainers.attendance.models import Attendance
from trainers.coverage import summary
from trainers.coverage.dashboard.values import Month
from trainers.coverage.filters import CoverageFilters
from trainers.coverage.scope import (
    in_region,
    requests_in_scope,
    sessions_on_topic,
)
from trainers.extensions import db
from trainers.network.models import Group
from trainers.requests.models import RequestStatus, TrainingRequest
from trainers.sessions.models import SessionStatus, TrainingSession

# What the session cells count, in their query's order.
SESSION_COUNTS = ("sessions", "people")


@dataclass(frozen=True)
class _Cell:
    region: str
    topic_id: int
    month: int
    counts: tuple[int, ...]  # in the order of the names its query counts


class CellCounts:
    """The range's counts, summed by region, topic, month and in all (key None):
    `sessions["region"]["Wales"]["people"]`, `requests["all"][None][status]`.

    Each query runs on first use and only once.
    """

    def __init__(self, filters: CoverageFilters, months: list[Month], now: datetime):
        self.filters = filters
        self.months = months
        self.now = now

    @cached_property
    def sessions(self) -> dict[str, dict]:
        """Delivered sessions and the people they trained (SESSION_COUNTS)."""
        return _rollup(self._session_cells, SESSION_COUNTS)

    @cached_property
    def requests(self) -> dict[str, dict]:
        """Requests made, by the state they are in now."""
        return _rollup(self._request_cells, tuple(RequestStatus))

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
                    *in_region(self.filters),
                    *sessions_on_topic(self.filters),
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
                    *requests_in_scope(self.filters),
                )
                .group_by(Group.region, TrainingRequest.topic_id)
            )

        kept = [_Cell(*row[:3], row[5:]) for row in self._kept_cells]
        return kept + self._count(counted)

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
