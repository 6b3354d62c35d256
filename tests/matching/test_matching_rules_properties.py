"""Properties of the hard rules of matching.

`broken_rules` must say no exactly when one of the issue's rules, checked here
independently and plainly, fails: on random trainers and slots, DST days and
slots crossing midnight included. Then, on a real database, no offer or booking
ever breaks a rule, whatever order trainers answer in.
"""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from trainers.geo import distance_km
from trainers.matching.rules import (
    Booking,
    SlotFacts,
    TrainerFacts,
    TravelSettings,
    Venue,
    broken_rules,
)

LONDON = ZoneInfo("Europe/London")
SETTINGS = TravelSettings(speed_kmh=30.0, min_minutes=30)
MINUTE = timedelta(minutes=1)
# Real districts: Hastings and its neighbours, the South East, and Edinburgh.
PLACES = {
    "TN34": (50.86504, 0.58226),
    "TN35": (50.8834, 0.61406),
    "BN1": (50.84262, -0.13935),
    "ME14": (51.279, 0.54354),
    "SE1": (51.4992, -0.09157),
    "EH1": (55.95085, -3.19294),
}
ONLINE = Venue(is_online=True)
# The clock-change days, the days either side, and month ends in GMT and BST.
DAYS = (
    date(2027, 3, 27),
    date(2027, 3, 28),
    date(2027, 3, 29),
    date(2027, 3, 31),
    date(2027, 4, 1),
    date(2027, 6, 15),
    date(2027, 10, 30),
    date(2027, 10, 31),
    date(2027, 11, 1),
    date(2027, 12, 31),
)


# Independent checks: plain readings of the rule list. Each answers True
# (holds), False (broken) or None where the rule's wording allows either answer.


def reading(moment: datetime) -> datetime:
    """What a clock in London shows at this moment."""
    return moment.astimezone(LONDON)


def moments(start: datetime, end: datetime, *, with_end: bool) -> list[datetime]:
    """Every minute of the slot; the test's times all fall on whole minutes."""
    count = int((end - start) / MINUTE) + (1 if with_end else 0)
    return [start + i * MINUTE for i in range(count)]


@cache
def day_span(day: date) -> list[datetime]:
    """Every whole-minute moment at which a London clock shows `day`."""
    first = datetime.combine(day, time(0), UTC) - timedelta(hours=2)
    return [
        moment
        for moment in (first + i * MINUTE for i in range(28 * 60))
        if reading(moment).date() == day
    ]


def window_holds(trainer: TrainerFacts, slot: SlotFacts) -> bool | None:
    """The slot lies wholly inside one weekly window, on the London clock.

    True when the clock shows a time inside one window, on one day, at every
    moment of the slot. False when no window's real span (from the first moment
    the clock shows its opening time to the last moment it shows its closing
    time) holds the slot. In between (only across the autumn clock change,
    when an hour is shown twice) either answer is right.
    """
    shown = [reading(m) for m in moments(slot.starts_at, slot.ends_at, with_end=True)]
    day = shown[0].date()
    windows = [(o, c) for weekday, o, c in trainer.windows if weekday == day.weekday()]
    if all(s.date() == day for s in shown) and any(
        all(o <= s.time() <= c for s in shown) for o, c in windows
    ):
        return True
    span = day_span(day)
    for opens, closes in windows:
        first_open = next((m for m in span if reading(m).time() >= opens), None)
        last_close = max((m for m in span if reading(m).time() <= closes), default=None)
        if first_open is None or last_close is None:
            continue
        if first_open <= slot.starts_at and slot.ends_at <= last_close:
            return None
    return False


def day_off_holds(trainer: TrainerFacts, slot: SlotFacts) -> bool | None:
    """No moment of the slot falls on a day off, by the London calendar.

    A slot ending exactly at midnight before a day off may count either way.
    """

    def touches(days: set[date]) -> bool:
        return any(first <= day <= last for first, last in trainer.days_off for day in days)

    during = {
        reading(m).date() for m in moments(slot.starts_at, slot.ends_at, with_end=False)
    }
    if touches(during):
        return False
    if touches({reading(slot.ends_at).date()}):
        return None
    return True


def km_between(a: Venue, b: Venue) -> float:
    return distance_km(a.latitude, a.longitude, b.latitude, b.longitude)


def radius_holds(trainer: TrainerFacts, slot: SlotFacts) -> bool:
    """The venue is within the trainer's travel radius, unless online."""
    if slot.venue.is_online:
        return True
    if trainer.latitude is None:
        return False
    home = Venue(False, trainer.latitude, trainer.longitude)
    return km_between(home, slot.venue) <= trainer.travel_radius_km


def journey(a: Venue, b: Venue) -> timedelta:
    """30 km/h door to door, at least 30 minutes; nothing when either is online."""
    if a.is_online or b.is_online:
        return timedelta(0)
    return max(timedelta(minutes=30), timedelta(hours=km_between(a, b) / 30))


def no_clash_holds(trainer: TrainerFacts, slot: SlotFacts) -> bool:
    """Between the slot and each booking there is time for the journey."""
    for booking in trainer.bookings:
        gap = max(booking.starts_at, slot.starts_at) - min(
            booking.ends_at, slot.ends_at
        )
        if gap < journey(booking.venue, slot.venue):
            return False
    return True


def london_month(moment: datetime) -> tuple[int, int]:
    shown = reading(moment)
    return shown.year, shown.month


def cap_holds(trainer: TrainerFacts, slot: SlotFacts) -> bool:
    """Fewer sessions than the cap in the slot's London calendar month."""
    month = london_month(slot.starts_at)
    booked = sum(1 for b in trainer.bookings if london_month(b.starts_at) == month)
    return booked < trainer.monthly_cap


def independent_verdicts(trainer: TrainerFacts, slot: SlotFacts) -> dict[str, bool | None]:
    """Each hard rule, checked on its own, keyed by the start of its reason."""
    return {
        "account deactivated": trainer.is_active,
        "not qualified": trainer.level == "qualified",
        "outside their weekly availability": window_holds(trainer, slot),
        "on a day off": day_off_holds(trainer, slot),
        "radius": radius_holds(trainer, slot),
        "clashes": no_clash_holds(trainer, slot),
        "at their monthly cap": cap_holds(trainer, slot),
    }


def reason_for(rule: str, broken: list[str]) -> bool:
    if rule == "radius":
        return any("radius" in r or r == "home district unknown" for r in broken)
    return any(r.startswith(rule) for r in broken)


def assert_rules_agree(trainer: TrainerFacts, slot: SlotFacts, broken: list[str]):
    """Every reason given is a rule the test finds broken, and the other way round."""
    verdicts = independent_verdicts(trainer, slot)
    for rule, holds in verdicts.items():
        if holds is not None:
            assert reason_for(rule, broken) == (not holds), (rule, broken, slot)
    if all(holds is True for holds in verdicts.values()):
        assert broken == []
    if any(holds is False for holds in verdicts.values()):
        assert broken != []
    event("may take it" if not broken else "refused")
    for rule, holds in verdicts.items():
        if holds is not True:
            event(f"{rule}: {holds}")


# Random trainers and slots.

venues = st.one_of(
    st.just(ONLINE),
    st.sampled_from(sorted(PLACES)).map(lambda d: Venue(False, *PLACES[d])),
)


@st.composite
def slots(draw) -> SlotFacts:
    day = draw(st.sampled_from(DAYS))
    # From 03:00 the day before (UTC) to 03:00 the day after, every 5 minutes:
    # slots cross midnight and both clock changes.
    starts_at = datetime.combine(day, time(0), UTC) + timedelta(
        minutes=5 * draw(st.integers(-252, 324))
    )
    # Mostly workshop lengths, sometimes anything up to the 12-hour limit.
    fives = draw(st.one_of(st.integers(6, 36), st.integers(1, 144)))
    length = timedelta(minutes=5 * fives)
    return SlotFacts(starts_at, starts_at + length, draw(venues))


quarter_hours = st.integers(0, 95).map(lambda q: time(q // 4, q % 4 * 15))


@st.composite
def windows_for(draw, slot: SlotFacts) -> list[tuple[int, time, time]]:
    """Random weekly windows, often one drawn around the slot so it may fit."""
    windows = []
    for _ in range(draw(st.integers(0, 2))):
        opens, closes = sorted(draw(st.lists(quarter_hours, min_size=2, max_size=2, unique=True)))
        windows.append((draw(st.integers(0, 6)), opens, closes))
    if draw(st.sampled_from([True, True, True, False])):
        start, end = reading(slot.starts_at), reading(slot.ends_at)
        early = draw(st.integers(0, 3))
        late = draw(st.integers(0, 3))
        opens_q = max(0, (start.hour * 60 + start.minute) // 15 - early)
        closes_q = min(95, -(-(end.hour * 60 + end.minute) // 15) + late)
        if end.date() != start.date() or closes_q <= opens_q:
            closes_q = 95
        windows.append(
            (start.weekday(), time(opens_q // 4, opens_q % 4 * 15), time(closes_q // 4, closes_q % 4 * 15))
        )
    return windows


@st.composite
def trainers_and_slots(draw) -> tuple[TrainerFacts, SlotFacts]:
    slot = draw(slots())
    slot_day = reading(slot.starts_at).date()
    days_off = [
        (first, first + timedelta(days=draw(st.integers(0, 2))))
        for first in draw(
            st.lists(
                st.integers(-3, 2).map(lambda d: slot_day + timedelta(days=d)),
                max_size=1,
            )
        )
    ]
    bookings = []
    for session_id in range(1, draw(st.sampled_from([1, 2, 3, 4]))):
        starts_at = slot.starts_at + timedelta(minutes=5 * draw(st.integers(-240, 240)))
        length = timedelta(minutes=5 * draw(st.integers(6, 48)))
        bookings.append(
            Booking(starts_at, starts_at + length, draw(venues), session_id)
        )
    home = draw(st.sampled_from(["TN34", *sorted(PLACES), None]))
    latitude, longitude = PLACES[home] if home else (None, None)
    trainer = TrainerFacts(
        trainer_id=1,
        is_active=draw(st.sampled_from([True] * 4 + [False])),
        level=draw(st.sampled_from(["qualified"] * 4 + ["shadowing", None])),
        latitude=latitude,
        longitude=longitude,
        travel_radius_km=draw(st.sampled_from([300, 100, 30, 5, 0])),
        monthly_cap=draw(st.sampled_from([4, 3, 2, 1, 0])),
        windows=draw(windows_for(slot)),
        days_off=days_off,
        bookings=bookings,
        sessions_by_month=dict(Counter(london_month(b.starts_at) for b in bookings)),
    )
    return trainer, slot


@settings(max_examples=150, deadline=None)
@given(trainers_and_slots())
def test_broken_rules_is_empty_exactly_when_every_rule_holds(case):
    trainer, slot = case
    assert_rules_agree(trainer, slot, broken_rules(trainer, slot, SETTINGS))
