"""Properties of the hard rules of matching.

`broken_rules` must say no exactly when one of the issue's rules, checked here
independently and plainly, fails: on random trainers and slots, DST days and
slots crossing midnight included. Then, on a real database where two requests
compete for a few random trainers, every offer goes to a trainer free for it (as
many as are free, up to OFFERS_AT_ONCE) and no booking breaks a rule, whatever
order the trainers accept or decline in.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from flask import current_app
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from trainers.auth.models import User
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.geo import distance_km
from trainers.matching.answers import accept_offer, decline_offer
from trainers.matching.models import Offer
from trainers.matching.offers import offer_request
from trainers.matching.rules import (
    Booking,
    SlotFacts,
    TrainerFacts,
    TravelSettings,
    Venue,
    broken_rules,
)
from trainers.models import delete_everything
from trainers.profiles.models import AvailabilityWindow, DayOff, TrainerTopic
from trainers.requests.models import RequestSlot, RequestStatus, TrainingRequest
from trainers.sessions.models import OCCUPYING, TrainingSession
from trainers.timeutil import local_to_utc

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
        return any(
            first <= day <= last for first, last in trainer.days_off for day in days
        )

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
    """30 km/h door to door, at least 30 minutes (all we can say when a venue has
    no coordinates); nothing when either is online."""
    if a.is_online or b.is_online:
        return timedelta(0)
    if a.latitude is None or b.latitude is None:
        return timedelta(minutes=30)
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


def independent_verdicts(
    trainer: TrainerFacts, slot: SlotFacts
) -> dict[str, bool | None]:
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


# A booked session's venue may be one we cannot place on the map.
booking_venues = st.one_of(venues, st.just(Venue(is_online=False)))


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
        opens, closes = sorted(
            draw(st.lists(quarter_hours, min_size=2, max_size=2, unique=True))
        )
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
            (
                start.weekday(),
                time(opens_q // 4, opens_q % 4 * 15),
                time(closes_q // 4, closes_q % 4 * 15),
            )
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
        # The planner adds planned slots as bookings without a session.
        planned = draw(st.sampled_from([False, False, False, True]))
        bookings.append(
            Booking(
                starts_at,
                starts_at + length,
                draw(booking_venues),
                None if planned else session_id,
            )
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


@settings(max_examples=150, deadline=None)
@given(trainers_and_slots(), st.data())
def test_a_session_being_moved_counts_as_if_it_were_not_booked(case, data):
    trainer, slot = case
    booked = [b for b in trainer.bookings if b.session_id is not None]
    assume(booked)
    moved = data.draw(st.sampled_from(booked))
    others = [b for b in trainer.bookings if b is not moved]
    without = replace(
        trainer,
        bookings=others,
        sessions_by_month=dict(Counter(london_month(b.starts_at) for b in others)),
    )
    assert broken_rules(
        trainer, slot, SETTINGS, ignore_session_id=moved.session_id
    ) == broken_rules(without, slot, SETTINGS)


def test_a_planned_booking_without_a_session_still_clashes():
    """The planner checks a trainer's planned slots as bookings with no session."""
    sunday_ten = datetime(2027, 6, 13, 9, tzinfo=UTC)
    planned = Booking(sunday_ten, sunday_ten + timedelta(hours=2), ONLINE)
    trainer = TrainerFacts(
        trainer_id=1,
        monthly_cap=5,
        windows=[(6, time(9), time(18))],
        bookings=[planned],
    )
    slot = SlotFacts(planned.starts_at, planned.ends_at, ONLINE)
    assert broken_rules(trainer, slot, SETTINGS) == [
        "clashes with another of their sessions (allowing for travel)"
    ]


# End to end on the database: small random worlds, offered and answered.

NOW = datetime(2027, 1, 10, 12, tzinfo=UTC)
# Both clock changes, a plain June day, and the first of a month in BST (its
# 00:30 is still March in UTC).
WORLD_DAYS = (
    date(2027, 3, 28),
    date(2027, 6, 15),
    date(2027, 10, 31),
    date(2027, 4, 1),
)


def pool_slot(day: date, start: time, minutes: int) -> tuple[datetime, datetime]:
    starts_at = local_to_utc(day, start)
    return starts_at, starts_at + timedelta(minutes=minutes)


# Slots that overlap each other, cross midnight and both clock changes.
SLOT_POOL = tuple(
    pool_slot(day, start, minutes)
    for day in WORLD_DAYS
    for start, minutes in (
        (time(0, 30), 120),
        (time(9), 120),
        (time(10), 120),
        (time(11, 30), 90),
        (time(18), 120),
        (time(23), 120),
    )
)
WINDOW_POOL = tuple(
    (day.weekday(), opens, closes)
    for day in WORLD_DAYS
    for opens, closes in (
        (time(0), time(3, 30)),
        (time(8), time(13)),
        (time(9), time(12)),
        (time(17, 30), time(23, 45)),
        (time(0), time(23, 45)),
    )
)
DISTRICTS = st.sampled_from(sorted(PLACES))


def apart(indexes) -> bool:
    """Whether these pool slots are free of each other: one trainer's sessions
    never overlap (PostgreSQL refuses it)."""
    times = sorted(SLOT_POOL[index] for index in indexes)
    return all(end <= start for (_, end), (start, _) in pairwise(times))


@dataclass(frozen=True)
class TrainerSpec:
    district: str | None
    radius_km: int
    cap: int
    level: str | None
    is_active: bool
    windows: tuple[tuple[int, time, time], ...]
    days_off: tuple[date, ...]
    # Sessions already booked: (index into SLOT_POOL, venue district or None online).
    sessions: tuple[tuple[int, str | None], ...]


@dataclass(frozen=True)
class RequestSpec:
    district: str | None
    slots: tuple[int, ...]


def mostly(usual, *others) -> st.SearchStrategy:
    """`usual` six times in seven, so that most trainers may take something."""
    return st.sampled_from([usual] * 6 + list(others))


ALL_DAY = tuple(
    (d, time(0), time(23, 45)) for d in sorted({d.weekday() for d in WORLD_DAYS})
)
trainer_specs = st.builds(
    TrainerSpec,
    district=mostly("TN34", "TN35", "BN1", "ME14", "SE1", "EH1", None),
    radius_km=mostly(300, 60, 20, 0),
    cap=mostly(3, 2, 1, 0),
    level=mostly("qualified", "shadowing", None),
    is_active=mostly(True, False),
    windows=st.one_of(
        st.just(ALL_DAY),
        st.lists(st.sampled_from(WINDOW_POOL), max_size=6, unique=True).map(tuple),
    ),
    days_off=st.lists(
        st.sampled_from([*WORLD_DAYS, date(2027, 3, 29), date(2027, 6, 16)]),
        max_size=1,
    ).map(tuple),
    sessions=st.lists(
        st.tuples(st.integers(0, len(SLOT_POOL) - 1), st.one_of(st.none(), DISTRICTS)),
        max_size=2,
        unique_by=lambda s: s[0],
    )
    .filter(lambda sessions: apart(index for index, _ in sessions))
    .map(tuple),
)
request_specs = st.builds(
    RequestSpec,
    district=st.one_of(st.none(), DISTRICTS),
    # Often all on the June day, so that two requests compete for trainers.
    slots=st.lists(
        st.one_of(st.integers(6, 11), st.integers(0, len(SLOT_POOL) - 1)),
        min_size=1,
        max_size=3,
        unique=True,
    ).map(lambda slots: tuple(sorted(slots, key=lambda i: SLOT_POOL[i]))),
)
# What the trainers do, in turn: answer the n-th waiting offer.
answers = st.lists(
    st.tuples(st.sampled_from(["accept", "accept", "decline"]), st.integers(0, 20)),
    max_size=8,
)


def empty_database() -> None:
    db.session.rollback()
    delete_everything()
    db.session.commit()


def venue_columns(district: str | None) -> dict:
    if district is None:
        return {"is_online": True}
    latitude, longitude = PLACES[district]
    return {
        "is_online": False,
        "venue_postcode": district,
        "venue_address": f"Hall, {district}",
        "venue_latitude": latitude,
        "venue_longitude": longitude,
    }


def build_world(
    make_user, make_group, make_topic, trainers: list[TrainerSpec], requests
) -> tuple[dict[int, TrainerSpec], list[TrainingRequest]]:
    topic = make_topic("Canvassing", online=True)
    group = make_group("Hastings Action", "TN34")
    specs = {}
    for number, spec in enumerate(trainers):
        user = make_user(
            f"trainer{number}@example.org", trainer=True, active=spec.is_active
        )
        profile = user.trainer_profile
        if spec.district:
            profile.home_district = spec.district
            profile.latitude, profile.longitude = PLACES[spec.district]
        profile.travel_radius_km, profile.monthly_cap = spec.radius_km, spec.cap
        if spec.level:
            profile.topics.append(TrainerTopic(topic=topic, level=spec.level))
        profile.availability.extend(
            AvailabilityWindow(weekday=d, start_time=o, end_time=c)
            for d, o, c in spec.windows
        )
        profile.days_off.extend(DayOff(first_on=d, last_on=d) for d in spec.days_off)
        for index, district in spec.sessions:
            add_booked_session(group, topic, user, SLOT_POOL[index], district)
        specs[user.id] = spec
    made = []
    for spec in requests:
        training_request = TrainingRequest(
            group=group,
            topic=topic,
            status=RequestStatus.SUBMITTED,
            expected_attendance=12,
            created_at=NOW,
            status_changed_at=NOW,
            **venue_columns(spec.district),
        )
        training_request.slots.extend(
            RequestSlot(starts_at=SLOT_POOL[i][0], ends_at=SLOT_POOL[i][1])
            for i in spec.slots
        )
        db.session.add(training_request)
        made.append(training_request)
    db.session.commit()
    return specs, made


def add_booked_session(group, topic, trainer, times, district) -> None:
    earlier = TrainingRequest(
        group=group,
        topic=topic,
        status=RequestStatus.BOOKED,
        expected_attendance=12,
        **venue_columns(district),
    )
    db.session.add(earlier)
    db.session.flush()
    db.session.add(
        TrainingSession(
            request_id=earlier.id,
            trainer_id=trainer.id,
            group_id=group.id,
            topic_id=topic.id,
            starts_at=times[0],
            ends_at=times[1],
            ical_uid=f"{uuid.uuid4()}@test",
            **venue_columns(district),
        )
    )


def live_sessions(trainer_id: int) -> list[TrainingSession]:
    return list(
        db.session.scalars(
            select(TrainingSession).where(
                TrainingSession.trainer_id == trainer_id,
                TrainingSession.status.in_(OCCUPYING),
            )
        )
    )


def session_venue(training_session: TrainingSession) -> Venue:
    return Venue(
        training_session.is_online,
        training_session.venue_latitude,
        training_session.venue_longitude,
    )


def facts_from_spec(
    trainer_id: int, spec: TrainerSpec, leave_out: int | None = None
) -> TrainerFacts:
    """The trainer as the test built them, with the sessions they hold now."""
    latitude, longitude = PLACES[spec.district] if spec.district else (None, None)
    return TrainerFacts(
        trainer_id=trainer_id,
        is_active=spec.is_active,
        level=spec.level,
        latitude=latitude,
        longitude=longitude,
        travel_radius_km=spec.radius_km,
        monthly_cap=spec.cap,
        windows=spec.windows,
        days_off=[(day, day) for day in spec.days_off],
        bookings=[
            Booking(s.starts_at, s.ends_at, session_venue(s), s.id)
            for s in live_sessions(trainer_id)
            if s.id != leave_out
        ],
    )


def slot_facts(training_request: TrainingRequest, slot: RequestSlot) -> SlotFacts:
    return SlotFacts(
        slot.starts_at,
        slot.ends_at,
        Venue(
            training_request.is_online,
            training_request.venue_latitude,
            training_request.venue_longitude,
        ),
    )


def may_take(facts: TrainerFacts, slot: SlotFacts) -> bool:
    verdicts = independent_verdicts(facts, slot)
    # Slots from the pool are never read two ways.
    assert None not in verdicts.values(), verdicts
    return all(verdicts.values())


def assert_fair_offers(
    training_request: TrainingRequest, offers: list[Offer], specs, asked: set[int]
) -> None:
    """Each new offer breaks no rule, at the trainer's earliest slot they may take,
    and as many go out as there are trainers free (up to OFFERS_AT_ONCE)."""
    eligible = {}
    for trainer_id, spec in specs.items():
        facts = facts_from_spec(trainer_id, spec)
        free = [
            slot
            for slot in training_request.slots
            if may_take(facts, slot_facts(training_request, slot))
        ]
        if free and trainer_id not in asked:
            eligible[trainer_id] = free[0].id
    for offer in offers:
        assert eligible.get(offer.trainer_id) == offer.slot_id, (offer, eligible)
    waiting = db.session.scalar(
        select(func.count())
        .select_from(Offer)
        .where(Offer.request_id == training_request.id, Offer.status == "pending")
    )
    wanted = current_app.config["OFFERS_AT_ONCE"] - (waiting - len(offers))
    assert len(offers) == min(wanted, len(eligible))


def trainers_asked(training_request: TrainingRequest) -> set[int]:
    return set(
        db.session.scalars(
            select(Offer.trainer_id).where(Offer.request_id == training_request.id)
        )
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    trainers=st.lists(trainer_specs, min_size=2, max_size=7),
    requests=st.lists(request_specs, min_size=2, max_size=2),
    steps=answers,
)
def test_no_offer_or_booking_ever_breaks_a_rule(
    make_user, make_group, make_topic, trainers, requests, steps
):
    empty_database()
    specs, made = build_world(make_user, make_group, make_topic, trainers, requests)
    for training_request in made:
        offers = offer_request(training_request, NOW)
        assert_fair_offers(training_request, offers, specs, asked=set())
        event(f"offered to {len(offers)}")
        db.session.commit()
    for action, pick in steps:
        waiting = list(
            db.session.scalars(
                select(Offer).where(Offer.status == "pending").order_by(Offer.id)
            )
        )
        if not waiting:
            break
        offer = waiting[pick % len(waiting)]
        trainer = db.session.get(User, offer.trainer_id)
        training_request = offer.training_request
        asked_before = trainers_asked(training_request)
        slot = slot_facts(training_request, offer.slot)
        if action == "accept":
            try:
                training_session = accept_offer(offer.id, trainer, NOW)
            except DomainError as error:
                db.session.rollback()
                event("an acceptance was refused")
                # Refused only when the trainer now breaks a rule.
                assert type(error) is DomainError, error
                assert not may_take(
                    facts_from_spec(trainer.id, specs[trainer.id]), slot
                )
                continue
            db.session.commit()
            event("booked")
            facts = facts_from_spec(
                trainer.id, specs[trainer.id], leave_out=training_session.id
            )
            assert may_take(facts, slot)
            assert training_request.status == RequestStatus.BOOKED
        else:
            decline_offer(offer.id, trainer, "", NOW)
            db.session.commit()
            new = list(
                db.session.scalars(
                    select(Offer).where(
                        Offer.request_id == training_request.id,
                        Offer.trainer_id.not_in(asked_before),
                    )
                )
            )
            assert_fair_offers(training_request, new, specs, asked_before)
    assert_no_double_bookings(made)


def assert_no_double_bookings(made: list[TrainingRequest]) -> None:
    for training_request in made:
        booked = db.session.scalars(
            select(TrainingSession).where(
                TrainingSession.request_id == training_request.id,
                TrainingSession.status == "booked",
            )
        ).all()
        assert len(booked) <= 1
        assert (training_request.status == RequestStatus.BOOKED) == bool(booked)
    new_sessions = db.session.scalars(
        select(TrainingSession).where(
            TrainingSession.request_id.in_([r.id for r in made])
        )
    ).all()
    for new in new_sessions:
        for other in live_sessions(new.trainer_id):
            if other.id != new.id:
                assert (
                    other.ends_at <= new.starts_at or new.ends_at <= other.starts_at
                ), (new, other)
