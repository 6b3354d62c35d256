"""What the dashboard's report hands out: the months of a range, when a group was
last trained, and the rows of its tables."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple

from trainers.coverage.filters import CoverageFilters
from trainers.requests.models import RequestStatus
from trainers.timeutil import local_to_utc

# A request whose matching is over, one way or the other.
DECIDED = (RequestStatus.BOOKED, RequestStatus.DELIVERED, RequestStatus.UNFILLED)
RECENT_DAYS, YEAR_DAYS = 90, 365


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
