"""The hard rules of matching, as pure functions on plain facts.

A trainer who breaks any rule for a slot is never offered it. Candidate search,
accepting an offer, direct assignment and the planner all ask `broken_rules`.
"""

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property

from trainers.geo import distance_km
from trainers.timeutil import to_local


@dataclass(frozen=True)
class Venue:
    is_online: bool
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Booking:
    """A session the trainer already has (booked or delivered)."""

    starts_at: datetime
    ends_at: datetime
    venue: Venue
    session_id: int | None = None


@dataclass(frozen=True)
class SlotFacts:
    starts_at: datetime
    ends_at: datetime
    venue: Venue

    # Worked out once per slot: every rule below asks for them.
    @cached_property
    def local_start(self) -> datetime:
        return to_local(self.starts_at)

    @cached_property
    def local_end(self) -> datetime:
        return to_local(self.ends_at)


@dataclass
class TrainerFacts:
    """What the rules need to know about one trainer for one topic."""

    trainer_id: int
    is_active: bool = True
    level: str | None = "qualified"
    latitude: float | None = None
    longitude: float | None = None
    travel_radius_km: int = 0
    monthly_cap: int = 0
    windows: Sequence[tuple[int, time, time]] = ()
    days_off: Sequence[tuple[date, date]] = ()
    bookings: Sequence[Booking] = ()
    sessions_by_month: dict[tuple[int, int], int] = field(default_factory=dict)
    # Times their own calendar says they are busy (UTC; in order, none
    # overlapping, as trainers.busy keeps them), and whether that calendar
    # could not be read lately.
    busy: Sequence[tuple[datetime, datetime]] = ()
    is_calendar_unknown: bool = False


@dataclass(frozen=True)
class TravelSettings:
    """The rules' settings: travel between sessions, and whether a trainer
    whose own calendar is unknown is kept out (otherwise only warned of)."""

    speed_kmh: float = 30.0
    min_minutes: int = 30
    unknown_calendar_blocks: bool = False


# Where a busy time in a trainer's own calendar is: somewhere, not online.
ELSEWHERE = Venue(is_online=False)


def travel_time(a: Venue, b: Venue, settings: TravelSettings) -> timedelta:
    """Door-to-door time between two venues; none when either is online, the minimum
    when one cannot be placed."""
    if a.is_online or b.is_online:
        return timedelta(0)
    if None in (a.latitude, b.latitude):
        # A venue we cannot place: assume the shortest journey rather than none.
        return timedelta(minutes=settings.min_minutes)
    km = distance_km(a.latitude, a.longitude, b.latitude, b.longitude)
    minutes = max(settings.min_minutes, km / settings.speed_kmh * 60)
    return timedelta(minutes=minutes)


def venue_distance_km(trainer: TrainerFacts, venue: Venue) -> float | None:
    """How far the venue is from the trainer's home district; None when online or unknown."""
    if venue.is_online or trainer.latitude is None or venue.latitude is None:
        return None
    return distance_km(
        trainer.latitude, trainer.longitude, venue.latitude, venue.longitude
    )


def local_month(moment: datetime) -> tuple[int, int]:
    """The (year, month) of the Europe/London calendar month a moment falls in."""
    local = to_local(moment)
    return local.year, local.month


class Rule(StrEnum):
    """Which hard rule is broken."""

    ACCOUNT = "account"
    QUALIFIED = "qualified"
    AVAILABILITY = "availability"
    DAY_OFF = "day off"
    REACH = "reach"
    CLASH = "clash"
    BUSY = "busy"
    CALENDAR_UNKNOWN = "calendar unknown"
    CAP = "cap"


class Broken(str):
    """A broken rule in words, as people see it, knowing which rule it is."""

    rule: Rule

    def __new__(cls, rule: Rule, words: str) -> "Broken":
        broken = super().__new__(cls, words)
        broken.rule = rule
        return broken


def broken_rules(
    trainer: TrainerFacts,
    slot: SlotFacts,
    settings: TravelSettings,
    ignore_session_id: int | None = None,
) -> list[Broken]:
    """Why this trainer may not take this slot, in words; empty when they may.

    `ignore_session_id` leaves out a session being moved, so it does not clash
    with itself.
    """
    broken = []
    if not trainer.is_active:
        broken.append(Broken(Rule.ACCOUNT, "account deactivated"))
    if trainer.level != "qualified":
        broken.append(Broken(Rule.QUALIFIED, "not qualified for this topic"))
    if not _inside_a_window(trainer.windows, slot):
        broken.append(Broken(Rule.AVAILABILITY, "outside their weekly availability"))
    if _on_a_day_off(trainer.days_off, slot):
        broken.append(Broken(Rule.DAY_OFF, "on a day off"))
    km = venue_distance_km(trainer, slot.venue)
    if not slot.venue.is_online and (km is None or km > trainer.travel_radius_km):
        broken.append(
            Broken(
                Rule.REACH,
                "home district unknown"
                if km is None
                else f"{km:.0f} km away, beyond their {trainer.travel_radius_km} km "
                "radius",
            )
        )
    others = [
        b
        for b in trainer.bookings
        if ignore_session_id is None or b.session_id != ignore_session_id
    ]
    if _clashes(others, slot, settings):
        broken.append(
            Broken(
                Rule.CLASH,
                "clashes with another of their sessions (allowing for travel)",
            )
        )
    if _busy(trainer.busy, slot, settings):
        broken.append(Broken(Rule.BUSY, "busy in their calendar"))
    if trainer.is_calendar_unknown and settings.unknown_calendar_blocks:
        broken.append(
            Broken(Rule.CALENDAR_UNKNOWN, "their calendar is unknown (not read lately)")
        )
    month = (slot.local_start.year, slot.local_start.month)
    booked = trainer.sessions_by_month.get(month, 0)
    if ignore_session_id is not None:
        booked -= sum(
            1
            for b in trainer.bookings
            if b.session_id == ignore_session_id and local_month(b.starts_at) == month
        )
    if booked >= trainer.monthly_cap:
        broken.append(Broken(Rule.CAP, f"at their monthly cap ({trainer.monthly_cap})"))
    return broken


def _inside_a_window(
    windows: Iterable[tuple[int, time, time]], slot: SlotFacts
) -> bool:
    start, end = slot.local_start, slot.local_end
    if start.date() != end.date():
        return False
    weekday = start.weekday()
    return any(
        day == weekday and opens <= start.time() and end.time() <= closes
        for day, opens, closes in windows
    )


def _on_a_day_off(days_off: Iterable[tuple[date, date]], slot: SlotFacts) -> bool:
    first, last = slot.local_start.date(), slot.local_end.date()
    return any(
        off_first <= last and first <= off_last for off_first, off_last in days_off
    )


def _busy(
    busy: Sequence[tuple[datetime, datetime]], slot: SlotFacts, settings: TravelSettings
) -> bool:
    """Whether a busy time overlaps the slot. A busy time is somewhere unknown:
    an in-person slot keeps the shortest journey clear of it, an online one
    need not. In order and apart, busy times end in order too, so the first
    to end after the slot's start (less the journey) is the only one to check."""
    if not busy:
        return False
    gap = travel_time(ELSEWHERE, slot.venue, settings)
    first = bisect_right(busy, slot.starts_at - gap, key=lambda b: b[1])
    return first < len(busy) and busy[first][0] < slot.ends_at + gap


def _clashes(
    bookings: Iterable[Booking], slot: SlotFacts, settings: TravelSettings
) -> bool:
    for booking in bookings:
        gap = travel_time(booking.venue, slot.venue, settings)
        if (
            slot.starts_at < booking.ends_at + gap
            and booking.starts_at < slot.ends_at + gap
        ):
            return True
    return False
