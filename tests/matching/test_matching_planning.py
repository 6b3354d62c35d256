"""Planning every open request at once: small hand-built worlds where the plan
must beat greedy first-come matching, keep every hard rule (caps and travel
between its own assignments included), and turn into offers."""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from trainers.extensions import db
from trainers.geo import distance_km, locate
from trainers.matching.facts import load_trainer_facts, travel_settings
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.planning import (
    apply_plan,
    compare_plans,
    greedy_plan,
    plan_open_requests,
    plan_rows,
)
from trainers.matching.candidates import request_venue, slot_facts
from trainers.matching.rules import Booking, broken_rules, local_month
from trainers.profiles.models import AvailabilityWindow, DayOff, TrainerTopic
from trainers.requests.models import RequestSlot, RequestStatus, TrainingRequest
from trainers.requests.services import cancel_request
from trainers.sessions.models import SessionStatus, TrainingSession

NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)  # a Monday; January is GMT, so UTC
TUESDAY = date(2027, 1, 12)
THURSDAY = date(2027, 1, 14)
EVENING = (time(18), time(20))


def utc(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=UTC)


@pytest.fixture
def topic(make_topic):
    return make_topic("Door-knocking and canvassing")


@pytest.fixture
def office(make_user):
    return make_user("office@example.org", "Otto Office", office=True)


@pytest.fixture
def trainer(make_trainer, topic):
    """A qualified trainer free every day 09:00-22:00."""

    def make(name: str, district: str, radius_km: int = 30, cap: int = 2):
        user = make_trainer(
            f"{name.lower()}@example.org",
            district=district,
            radius_km=radius_km,
            topics=[topic],
        )
        user.name = name
        user.trainer_profile.monthly_cap = cap
        for weekday in range(7):
            db.session.add(
                AvailabilityWindow(
                    trainer_id=user.id,
                    weekday=weekday,
                    start_time=time(9),
                    end_time=time(22),
                )
            )
        db.session.commit()
        return user

    return make


@pytest.fixture
def group(make_group):
    """A group at a district, named after it."""
    return lambda district: make_group(f"Group {district}", district)


@pytest.fixture
def ask(topic):
    """An open request with slots given as (day, start, end) in UTC."""
    made = Counter()

    def ask(group, *slots, online=False, status=RequestStatus.SUBMITTED):
        made["requests"] += 1
        place = locate(group.postcode_district)
        training_request = TrainingRequest(
            group_id=group.id,
            topic_id=topic.id,
            status=status,
            is_online=online,
            venue_postcode=None if online else place.district,
            venue_district=None if online else place.district,
            venue_latitude=None if online else place.latitude,
            venue_longitude=None if online else place.longitude,
            expected_attendance=12,
            # Made one minute apart, in the order asked: greedy serves them so.
            created_at=NOW - timedelta(days=1) + timedelta(minutes=made["requests"]),
        )
        for day, starts, ends in slots or [(TUESDAY, *EVENING)]:
            training_request.slots.append(
                RequestSlot(starts_at=utc(day, starts), ends_at=utc(day, ends))
            )
        db.session.add(training_request)
        db.session.commit()
        return training_request

    return ask


@pytest.fixture
def session_for(topic):
    """A session (with its request) for a group and trainer at a time."""

    def add(group, trainer, starts_at, status=SessionStatus.DELIVERED):
        place = locate(group.postcode_district)
        training_request = TrainingRequest(
            group_id=group.id,
            topic_id=topic.id,
            status=status,
            expected_attendance=10,
            venue_latitude=place.latitude,
            venue_longitude=place.longitude,
            created_at=starts_at - timedelta(days=30),
        )
        db.session.add(training_request)
        db.session.flush()
        db.session.add(
            TrainingSession(
                request_id=training_request.id,
                trainer_id=trainer.id,
                group_id=group.id,
                topic_id=topic.id,
                status=status,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
                venue_latitude=place.latitude,
                venue_longitude=place.longitude,
                ical_uid=f"{training_request.id}@test",
            )
        )
        db.session.commit()

    return add


def given(plan) -> dict[int, int]:
    """request id -> trainer id."""
    return {a.request_id: a.trainer_id for a in plan.assignments}


def km(a: str, b: str) -> float:
    p, q = locate(a), locate(b)
    return distance_km(p.latitude, p.longitude, q.latitude, q.longitude)


def assert_every_rule_holds(plan) -> None:
    """Each assignment passes every rule on facts fresh from the database, with
    the same trainer's other assignments in the plan counted as booked."""
    settings = travel_settings()
    slots = {s.id: s for s in db.session.scalars(select(RequestSlot))}
    for assignment in plan.assignments:
        slot = slots[assignment.slot_id]
        training_request = slot.training_request
        assert training_request.id == assignment.request_id
        facts, _ = load_trainer_facts(
            [assignment.trainer_id],
            training_request.topic_id,
            slot.starts_at,
            slot.ends_at,
        )
        trainer = facts[assignment.trainer_id]
        for other in plan.assignments:
            if other.trainer_id == assignment.trainer_id and other != assignment:
                booked = slots[other.slot_id]
                venue = request_venue(booked.training_request)
                trainer.bookings.append(Booking(booked.starts_at, booked.ends_at, venue))
                month = local_month(booked.starts_at)
                trainer.sessions_by_month[month] = (
                    trainer.sessions_by_month.get(month, 0) + 1
                )
        venue = request_venue(training_request)
        assert broken_rules(trainer, slot_facts(slot, venue), settings) == []


def test_the_plan_covers_a_request_that_greedy_starves(trainer, group, ask):
    near_both = trainer("Nia", "TN37", cap=1)  # 2 km from A, 8 km from B
    near_a = trainer("Abe", "TN35", radius_km=5)  # 3 km from A, 12 km from B
    first = ask(group("TN34"))
    second = ask(group("TN39"))

    plan, greedy = compare_plans(NOW)

    # Greedy gives the first request its nearest trainer, the only one who
    # could reach the second.
    assert given(greedy) == {first.id: near_both.id}
    assert given(plan) == {first.id: near_a.id, second.id: near_both.id}
    assert (plan.requests_covered, greedy.requests_covered) == (2, 1)
    assert plan.requests_considered == greedy.requests_considered == 2
    assert_every_rule_holds(plan)
    assert_every_rule_holds(greedy)


@pytest.mark.parametrize(
    ("loser_trained_days_ago", "winner_trained_days_ago"),
    [(30, None), (400, None), (30, 400)],
    ids=["never-beats-recent", "never-beats-lapsed", "lapsed-beats-recent"],
)
def test_the_less_served_group_wins_a_contested_trainer(
    trainer,
    group,
    ask,
    session_for,
    make_user,
    loser_trained_days_ago,
    winner_trained_days_ago,
):
    only = trainer("Nia", "TN34", cap=1)
    past_trainer = make_user("past@example.org", trainer=True)
    served, unserved = group("TN37"), group("TN38")
    session_for(served, past_trainer, NOW - timedelta(days=loser_trained_days_ago))
    if winner_trained_days_ago:
        session_for(
            unserved, past_trainer, NOW - timedelta(days=winner_trained_days_ago)
        )
    first = ask(served)
    second = ask(unserved)

    plan, greedy = compare_plans(NOW)

    assert given(greedy) == {first.id: only.id}
    assert given(plan) == {second.id: only.id}
    assert plan.unserved_groups_covered == 1
    assert greedy.unserved_groups_covered == (0 if winner_trained_days_ago else 0)
    assert plan.unserved_groups == (2 if loser_trained_days_ago > 365 else 1)
