"""How durations and trainers' loads spread: percentiles worked out from short
histograms (value, how many) rather than from every row."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass


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


def spread(histogram: Sequence[tuple[float, int]]) -> Spread | None:
    """Median and 90th percentile from (hours, how many) rows, fewest hours first;
    None when there are none."""
    count = sum(n for _, n in histogram)
    if not count:
        return None
    value_at = _ranked(histogram)
    return Spread(
        count=count,
        median=_percentile(value_at, count, 0.5),
        p90=_percentile(value_at, count, 0.9),
    )


def load_spread(histogram: list[tuple[int, int, int]], months: float) -> LoadSpread:
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
        idle_share=ratio(idle, trainers),
        busiest_tenth_trainers=busiest,
        busiest_tenth_share=ratio(busiest_sessions, sessions),
    )


def ratio(part: float, whole: float) -> float | None:
    """part / whole, or None when there is no whole."""
    return part / whole if whole else None


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
