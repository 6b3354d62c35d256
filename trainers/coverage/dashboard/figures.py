"""The dashboard's headline figures: each number, how it reads, and how it was
counted, in three kinds: groups and people reached, bookings, and trainers' load."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trainers.coverage.dashboard.spreads import LoadSpread, Spread, ratio
from trainers.coverage.dashboard.values import DECIDED, GroupCoverage
from trainers.requests.models import RequestStatus


@dataclass(frozen=True)
class Figure:
    """A headline number, how it reads, and how it was counted."""

    key: str
    label: str
    value: float | int | None
    text: str
    how_counted: str


def headline_figures(
    groups: Sequence[GroupCoverage],
    delivered: Mapping[str, int],
    states: Mapping[RequestStatus, int],
    delay: Spread | None,
    load: LoadSpread,
    bookings: tuple[int, int],
) -> list[Figure]:
    """The headline figures from the report's groups, delivered sessions' totals
    (sessions, people), requests by state, booking delay, trainers' load and
    bookings (from the open board, in all)."""
    return [
        *_reach(groups, delivered, states),
        *_bookings(delay, states),
        _from_board(*bookings),
        *_load(load),
    ]


def _reach(
    groups: Sequence[GroupCoverage],
    delivered: Mapping[str, int],
    states: Mapping[RequestStatus, int],
) -> list[Figure]:
    active = len(groups)
    served = sum(1 for group in groups if group.sessions_in_range)
    sessions, people = delivered["sessions"], delivered["people"]
    return [
        Figure(
            "groups_served",
            "Groups served",
            served,
            f"{served:,} of {active:,}",
            "Active groups (in the region) with at least one delivered session "
            "(on the topic) starting in the range, out of all active groups (in "
            "the region).",
        ),
        Figure(
            "served_share",
            "Share of groups served",
            ratio(served, active),
            _percent(ratio(served, active)),
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
    ]


def _bookings(
    delay: Spread | None, states: Mapping[RequestStatus, int]
) -> list[Figure]:
    decided = sum(states[status] for status in DECIDED)
    unfilled = states[RequestStatus.UNFILLED]
    return [
        _time_to_booking(
            "booking_median_days",
            "Time to booking, median",
            delay.median if delay else None,
            "For requests made in the range that were ever booked: from the "
            "request to its first booking (a trainer accepting, or the office "
            "assigning), in whole hours. Half took less, half more. Requests "
            "made late in the range may not be booked yet, and are left out "
            "until they are.",
        ),
        _time_to_booking(
            "booking_p90_days",
            "Time to booking, 90th percentile",
            delay.p90 if delay else None,
            "Nine in ten of those bookings came at least this quickly. Both "
            "percentiles interpolate between the nearest two requests (as "
            "PostgreSQL's percentile_cont does).",
        ),
        Figure(
            "unfilled_rate",
            "Unfilled rate",
            ratio(unfilled, decided),
            _percent(ratio(unfilled, decided)) + f" ({unfilled:,} of {decided:,})",
            "Of the requests made in the range whose matching is over (booked, "
            "delivered or unfilled now; cancelled and still-open ones left "
            "out), the share left unfilled: nobody could take them.",
        ),
    ]


def _from_board(board: int, everything: int) -> Figure:
    return Figure(
        "from_board",
        "Booked from the open board",
        board,
        f"{board:,} of {everything:,} bookings",
        "Booked and delivered sessions starting in the range, at groups in the "
        "region, on the topic, that a trainer took from the open board rather "
        "than by accepting an offer or being assigned by the office. Sessions "
        "booked before the board existed count as offers.",
    )


def _time_to_booking(
    key: str, label: str, hours: float | None, how_counted: str
) -> Figure:
    if hours is None:
        return Figure(key, label, None, "none booked", how_counted)
    return Figure(key, label, _days(hours), _duration(hours), how_counted)


def _load(load: LoadSpread) -> list[Figure]:
    low, middle, high = load.quartiles
    return [
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


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def _days(hours: float) -> float:
    return round(hours / 24, 2)


def _duration(hours: float) -> str:
    """'5 hours', '3.5 days': easy to read at a glance."""
    if hours < 48:
        return f"{hours:.1f} hours" if hours < 10 else f"{hours:.0f} hours"
    return f"{hours / 24:.1f} days"
