"""Planning every open request at once: small hand-built worlds where the plan
must beat greedy first-come matching, keep every hard rule (caps and travel
between its own assignments included), and turn into offers."""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import render_template
from sqlalchemy import select

from tests.matching.sessions import add_session, free_every_day
from trainers.extensions import db
from trainers.geo import distance_km, locate
from trainers.matching.candidates import request_venue, slot_facts
from trainers.matching.facts import load_trainer_facts, travel_settings
from trainers.matching.forms import PlanForm
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.planning import exact
from trainers.matching.planning.plans import (
    apply_chosen,
    apply_plan,
    compare_plans,
    differences,
    greedy_plan,
    plan_open_requests,
    plan_rows,
    unmet_rows,
)
from trainers.matching.rules import Booking, broken_rules, local_month
from trainers.profiles.models import AvailabilityWindow, DayOff, TrainerTopic
from trainers.requests.models import RequestSlot, RequestStatus, TrainingRequest
from trainers.requests.services import cancel_request
from trainers.sessions.models import SessionStatus

NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)  # a Monday; January is GMT, so UTC
TUESDAY = date(2027, 1, 12)
THURSDAY = date(2027, 1, 14)
EVENING = (time(18), time(20))


def utc(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=UTC)


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
        free_every_day(user)
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
        add_session(group, trainer, topic, starts_at, status)
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
                # Negative: no session has that id, so no rule ignores it.
                trainer.bookings.append(
                    Booking(booked.starts_at, booked.ends_at, venue, -booked.id)
                )
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
    loser_is_unserved = loser_trained_days_ago > 365
    assert plan.unserved_groups == (2 if loser_is_unserved else 1)
    assert plan.unserved_groups_covered == 1
    assert greedy.unserved_groups_covered == (1 if loser_is_unserved else 0)


def test_no_trainer_who_breaks_a_hard_rule_is_planned(
    trainer, group, ask, session_for, topic, make_trainer
):
    hastings = group("TN34")
    # Each of these is nearest to the venue and breaks exactly one rule.
    inactive = trainer("Inactive", "TN34")
    inactive.is_active = False
    shadowing = trainer("Shadowing", "TN34")
    db.session.execute(
        TrainerTopic.__table__.update()
        .where(TrainerTopic.trainer_id == shadowing.id)
        .values(level="shadowing")
    )
    wrong_day = trainer("Wednesday", "TN34")
    db.session.execute(
        AvailabilityWindow.__table__.delete().where(
            AvailabilityWindow.trainer_id == wrong_day.id,
            AvailabilityWindow.weekday != 2,
        )
    )
    late = trainer("Late", "TN34")
    db.session.execute(
        AvailabilityWindow.__table__.update()
        .where(AvailabilityWindow.trainer_id == late.id)
        .values(start_time=time(18, 30))
    )
    away = trainer("Away", "TN34")
    db.session.add(
        DayOff(trainer_id=away.id, first_on=TUESDAY, last_on=TUESDAY + timedelta(1))
    )
    far = trainer("Far", "SK1", radius_km=80)
    busy = trainer("Busy", "TN34")
    full = trainer("Full", "TN34", cap=1)
    db.session.commit()
    # Busy teaches in Eastbourne (24 km, 48 minutes away) until 17:30.
    session_for(group("BN21"), busy, utc(TUESDAY, time(15, 30)), SessionStatus.BOOKED)
    session_for(hastings, full, utc(date(2027, 1, 25), time(10)), SessionStatus.BOOKED)
    good = trainer("Good", "TN40")  # 7 km away
    request = ask(hastings)

    plan, greedy = compare_plans(NOW)

    assert given(plan) == given(greedy) == {request.id: good.id}
    assert_every_rule_holds(plan)
    for excluded in (inactive, shadowing, wrong_day, late, away, far, busy, full):
        assert excluded.id not in given(plan).values()


def test_every_assignment_keeps_every_rule_in_a_crowded_world(
    trainer, group, ask, session_for
):
    trainers = [
        trainer(name, district, radius_km=radius, cap=cap)
        for name, district, radius, cap in (
            ("Ann", "TN34", 20, 1),
            ("Bo", "TN37", 15, 2),
            ("Cy", "TN40", 10, 1),
            ("Di", "BN21", 30, 3),
        )
    ]
    session_for(
        group("TN35"), trainers[1], utc(TUESDAY, time(15)), SessionStatus.BOOKED
    )
    days = [TUESDAY + timedelta(days=n) for n in range(0, 21, 3)]
    for n, district in enumerate(("TN34", "TN37", "TN38", "TN39", "TN40", "BN27")):
        place = group(district)
        for m in range(3):
            day = days[(n + m) % len(days)]
            ask(place, (day, time(17 + m), time(19 + m)), (day, *EVENING))

    plan, greedy = compare_plans(NOW)

    assert_every_rule_holds(plan)
    assert_every_rule_holds(greedy)
    assert plan.requests_covered >= greedy.requests_covered
    assert plan.requests_covered > 0


def test_one_trainer_never_gets_two_requests_at_the_same_time(trainer, group, ask):
    only = trainer("Nia", "TN34", cap=4)
    ask(group("TN34"))
    ask(group("TN37"))

    plan = plan_open_requests(NOW)

    assert plan.requests_covered == 1
    assert list(given(plan).values()) == [only.id]


def test_the_plan_picks_slots_so_one_trainer_takes_both_requests(trainer, group, ask):
    only = trainer("Nia", "TN34", cap=4)
    flexible = ask(group("TN34"), (TUESDAY, *EVENING), (THURSDAY, *EVENING))
    fixed = ask(group("TN37"), (TUESDAY, *EVENING))

    plan, greedy = compare_plans(NOW)

    # Greedy takes the flexible request's earliest slot and strands the other.
    assert given(greedy) == {flexible.id: only.id}
    assert given(plan) == {flexible.id: only.id, fixed.id: only.id}
    slot_days = {row.request_id: row.starts_at.date() for row in plan_rows(plan)}
    assert slot_days == {flexible.id: THURSDAY, fixed.id: TUESDAY}
    assert_every_rule_holds(plan)


@pytest.mark.parametrize(
    ("second_starts", "covered"),
    [(time(20), 1), (time(20, 30), 2)],
    ids=["too-little-time-to-travel", "time-to-travel"],
)
def test_travel_between_two_planned_sessions_is_allowed_for(
    trainer, group, ask, second_starts, covered
):
    trainer("Nia", "TN37", radius_km=40, cap=4)
    # Hastings to Hailsham is 22 km: 44 minutes at 30 km/h.
    ask(group("TN34"), (TUESDAY, time(18), time(19, 30)))
    ask(group("BN27"), (TUESDAY, second_starts, time(21, 30)))

    plan = plan_open_requests(NOW)

    assert plan.requests_covered == covered
    assert_every_rule_holds(plan)


def test_a_clash_moves_the_request_that_has_another_trainer(trainer, group, ask):
    both = trainer("Nia", "TN37", cap=4)  # A 1 km, B 2 km away
    spare = trainer("Sol", "TN40", radius_km=6)  # A 5 km away; B (7 km) out of reach
    request_a = ask(group("TN38"))
    request_b = ask(group("TN34"))

    plan = plan_open_requests(NOW)

    assert given(plan) == {request_a.id: spare.id, request_b.id: both.id}
    assert_every_rule_holds(plan)


def test_the_monthly_cap_holds_across_one_plans_assignments(
    trainer, group, ask, session_for
):
    capped = trainer("Nia", "TN34", cap=2)
    hastings = group("TN34")
    session_for(hastings, capped, utc(date(2027, 1, 6), time(18)), SessionStatus.BOOKED)
    for day in (TUESDAY, THURSDAY, date(2027, 1, 19)):
        ask(hastings, (day, *EVENING))
    february = ask(hastings, (date(2027, 2, 2), *EVENING))

    plan, greedy = compare_plans(NOW)

    for made in (plan, greedy):
        months = Counter(row.starts_at.month for row in plan_rows(made))
        assert months == {1: 1, 2: 1}
        assert february.id in given(made)
        assert_every_rule_holds(made)


def test_the_plan_travels_least_among_equal_coverage(trainer, group, ask):
    near_both = trainer("Nia", "TN37", cap=1)  # A 2 km, B 1 km
    other = trainer("Ola", "TN35", cap=1)  # A 3 km, B 5 km
    request_a = ask(group("TN34"))
    request_b = ask(group("TN38"))

    plan, greedy = compare_plans(NOW)

    assert given(greedy) == {request_a.id: near_both.id, request_b.id: other.id}
    assert given(plan) == {request_a.id: other.id, request_b.id: near_both.id}
    assert plan.total_km == pytest.approx(
        km("TN35", "TN34") + km("TN37", "TN38"), abs=0.1
    )
    assert greedy.total_km == pytest.approx(
        km("TN37", "TN34") + km("TN35", "TN38"), abs=0.1
    )
    assert plan.total_km < greedy.total_km


def test_windows_are_read_on_the_london_clock_across_the_clock_change(
    trainer, group, ask
):
    nia = trainer("Nia", "TN34")
    db.session.execute(
        AvailabilityWindow.__table__.update()
        .where(AvailabilityWindow.trainer_id == nia.id)
        .values(start_time=time(18), end_time=time(20))
    )
    db.session.commit()
    hastings = group("TN34")
    # 28 March 2027 is the first day of BST: 17:00 UTC is 18:00 in London.
    inside = ask(hastings, (date(2027, 3, 28), time(17), time(19)))
    outside = ask(hastings, (date(2027, 3, 28), time(18), time(20)))
    online = ask(hastings, (date(2027, 3, 21), time(18), time(20)), online=True)

    plan = plan_open_requests(NOW)

    assert given(plan) == {inside.id: nia.id, online.id: nia.id}
    assert outside.id not in given(plan)
    assert [a.km for a in plan.assignments if a.request_id == online.id] == [0.0]


def test_only_open_requests_and_future_slots_are_planned(trainer, group, ask):
    nia = trainer("Nia", "TN34", cap=4)
    hastings = group("TN34")
    past_and_future = ask(
        hastings, (date(2027, 1, 2), *EVENING), (date(2027, 1, 20), *EVENING)
    )
    unfilled = ask(
        hastings, (date(2027, 1, 21), *EVENING), status=RequestStatus.UNFILLED
    )
    ask(hastings, (date(2027, 1, 22), *EVENING), status=RequestStatus.CANCELLED)
    ask(hastings, (date(2027, 1, 1), *EVENING))  # its only slot has passed

    plan = plan_open_requests(NOW)

    assert plan.requests_considered == 2
    assert given(plan) == {past_and_future.id: nia.id, unfilled.id: nia.id}
    days = {row.request_id: row.starts_at.date() for row in plan_rows(plan)}
    assert days[past_and_future.id] == date(2027, 1, 20)


def test_a_trainer_who_declined_or_already_has_the_offer_is_not_planned(
    trainer, group, ask
):
    declined = trainer("Dee", "TN34")
    waiting = trainer("Wes", "TN34")
    other = trainer("Ola", "TN40")
    request = ask(group("TN34"), status=RequestStatus.OFFERED)
    for who, status in (
        (declined, OfferStatus.DECLINED),
        (waiting, OfferStatus.PENDING),
    ):
        db.session.add(
            Offer(
                request_id=request.id,
                slot_id=request.slots[0].id,
                trainer_id=who.id,
                status=status,
            )
        )
    db.session.commit()

    assert given(plan_open_requests(NOW)) == {request.id: other.id}
    assert given(greedy_plan(NOW)) == {request.id: other.id}


def test_a_plan_of_nothing_is_empty(trainer):
    trainer("Nia", "TN34")

    plan, greedy = compare_plans(NOW)

    assert plan.assignments == greedy.assignments == []
    assert (plan.requests_considered, plan.total_km) == (0, 0)


def test_only_the_given_trainers_are_planned(trainer, group, ask):
    nearest = trainer("Nia", "TN34")
    other = trainer("Ola", "TN40")
    request = ask(group("TN34"))

    assert given(plan_open_requests(NOW, [other.id])) == {request.id: other.id}
    assert given(plan_open_requests(NOW)) == {request.id: nearest.id}


def test_applying_the_plan_offers_each_slot_and_skips_a_cancelled_request(
    trainer, group, ask, office, mailbox
):
    nia = trainer("Nia", "TN34", cap=1)
    ola = trainer("Ola", "TN40", cap=1)
    kept = ask(group("TN34"))
    dropped = ask(group("TN39"))
    plan = plan_open_requests(NOW)
    assert given(plan) == {kept.id: nia.id, dropped.id: ola.id}
    cancel_request(dropped, "The hall is closed.", office, NOW)
    db.session.commit()

    applied = apply_plan(plan, office, NOW + timedelta(minutes=5))
    db.session.commit()

    offers = db.session.scalars(select(Offer)).all()
    assert [(o.request_id, o.trainer_id, o.slot_id, o.status) for o in offers] == [
        (kept.id, nia.id, kept.slots[0].id, OfferStatus.PENDING)
    ]
    assert applied.offers == offers
    assert [(s.assignment.request_id, s.message) for s in applied.skipped] == [
        (dropped.id, "This request is cancelled; it cannot be offered.")
    ]
    assert db.session.get(TrainingRequest, kept.id).status == RequestStatus.OFFERED
    assert db.session.get(TrainingRequest, dropped.id).status == RequestStatus.CANCELLED
    assert len(mailbox.to("nia@example.org")) == 1
    assert mailbox.to("ola@example.org") == []


def test_applying_the_plan_skips_a_trainer_booked_elsewhere_since(
    trainer, group, ask, office, session_for
):
    nia = trainer("Nia", "TN34", cap=2)
    request = ask(group("TN34"))
    plan = plan_open_requests(NOW)
    assert given(plan) == {request.id: nia.id}
    session_for(group("TN37"), nia, utc(TUESDAY, time(18, 30)), SessionStatus.BOOKED)

    applied = apply_plan(plan, office, NOW)

    assert applied.offers == []
    assert len(applied.skipped) == 1
    assert "clashes with another of their sessions" in applied.skipped[0].message
    assert db.session.scalars(select(Offer)).all() == []
    assert db.session.get(TrainingRequest, request.id).status == RequestStatus.SUBMITTED


def test_the_plan_page_shows_the_plan_next_to_greedy(app, trainer, group, ask):
    trainer("Nia", "TN37", cap=1)
    trainer("Abe", "TN35", radius_km=5)
    ask(group("TN34"))
    ask(group("TN39"), (TUESDAY, *EVENING))
    ask(group("TN35"), (TUESDAY, *EVENING), online=True)
    plan, greedy = compare_plans(NOW)
    differ, same = differences(plan, greedy)

    with app.test_request_context():
        page = render_template(
            "matching/plan.html",
            plan=plan,
            differ=differ,
            same=same,
            rows=plan_rows(plan),
            unmet=unmet_rows(plan),
            form=PlanForm(),
        )

    text = " ".join(page.split())
    assert '<form method="post" action="/office/plan"' in text
    assert "Make the ticked offers" in text
    for row in plan_rows(plan):
        assert row.group_name in text
        assert row.trainer_name in text
        assert f'name="assignment" value="{row.key}"' in text
    assert text.count('type="checkbox"') == text.count(" checked>") == 2
    assert "Tue 12 Jan 2027, 18:00" in text
    assert "online" in text
    # Nia's cap leaves one request uncovered, and the page says so.
    (uncovered,) = unmet_rows(plan)
    assert "Requests the plan cannot cover" in text and uncovered.reason in text


def test_only_the_measures_that_differ_are_set_side_by_side(trainer, group, ask):
    trainer("Nia", "TN34", cap=5)
    ask(group("TN34"))
    plan, greedy = compare_plans(NOW)
    differ, same = differences(plan, greedy)
    assert differ == []
    assert [m.measure for m in same] == [
        "Requests covered",
        "Groups never or not recently trained, served",
        "Travel",
    ]
    plan.assignments, plan.unserved_groups_covered = [], 0
    differ, same = differences(plan, greedy)
    assert [(m.measure, m.plan, m.greedy) for m in differ] == [
        ("Requests covered", "0 of 1", "1 of 1"),
        ("Groups never or not recently trained, served", "0 of 1", "1 of 1"),
    ]
    assert [m.measure for m in same] == ["Travel"]


def page_text(app, plan, greedy) -> str:
    """The plan's page, its white space squeezed."""
    differ, same = differences(plan, greedy)
    with app.test_request_context():
        page = render_template(
            "matching/plan.html",
            plan=plan,
            differ=differ,
            same=same,
            rows=plan_rows(plan),
            unmet=unmet_rows(plan),
            form=PlanForm(),
        )
    return " ".join(page.split())


def test_a_clash_in_the_matched_month_does_not_cost_another_months_slot(
    trainer, group, ask
):
    nia = trainer("Nia", "TN34", cap=2)
    tuesday = ask(group("TN34"))
    either = ask(group("TN35"), (TUESDAY, *EVENING), (date(2027, 2, 2), *EVENING))

    plan = plan_open_requests(NOW)

    assert given(plan) == {tuesday.id: nia.id, either.id: nia.id}
    assert [row.starts_at.month for row in plan_rows(plan)] == [1, 2]
    assert_every_rule_holds(plan)


def test_the_page_says_how_many_at_most_and_that_the_plan_is_the_best(
    app, trainer, group, ask
):
    trainer("Nia", "TN34", cap=4)
    ask(group("TN34"))
    ask(group("TN35"))  # the same evening: Nia can take one of the two

    plan, greedy = compare_plans(NOW)

    assert (plan.requests_covered, plan.bound, plan.proven) == (1, 2, True)
    text = page_text(app, plan, greedy)
    assert "This plan covers <strong>1 of at most 2</strong> requests" in text
    assert "It is proven the best plan" in text
    assert "The other 1 could only be covered if some trainer took two" in text


def test_a_plan_out_of_time_keeps_greedys_and_says_it_is_not_proven(
    app, monkeypatch, trainer, group, ask
):
    trainer("Nia", "TN37", cap=1)
    trainer("Abe", "TN35", radius_km=5)
    ask(group("TN34"))
    ask(group("TN39"))
    monkeypatch.setattr(exact, "TIME_LIMIT", 0)

    plan, greedy = compare_plans(NOW)

    assert given(plan) == given(greedy)
    assert (plan.requests_covered, plan.bound, plan.proven) == (1, 2, False)
    text = page_text(app, plan, greedy)
    assert "This plan covers <strong>1 of at most 2</strong> requests" in text
    assert "not proven the best" in text


def reasons(plan) -> dict[int, str]:
    return {unmet.request_id: unmet.reason for unmet in plan.unmet}


def test_each_uncovered_request_says_why_in_the_rules_terms(
    trainer, group, ask, make_topic, session_for
):
    nia = trainer("Nia", "TN34", cap=1)
    trainer("Abe", "TN34", radius_km=5, cap=0)
    far = ask(group("IV1"))  # Inverness: beyond everyone's reach
    covered = ask(group("TN35"))
    capped = ask(group("TN37"), (THURSDAY, *EVENING))
    early = ask(group("TN38"), (TUESDAY, time(6), time(8)))
    untaught = TrainingRequest(
        group_id=group("TN39").id,
        topic_id=make_topic("Knitting").id,
        status=RequestStatus.SUBMITTED,
        is_online=True,
        expected_attendance=5,
        slots=[
            RequestSlot(
                starts_at=utc(TUESDAY, time(10)), ends_at=utc(TUESDAY, time(11))
            )
        ],
    )
    db.session.add(untaught)
    db.session.commit()

    plan, _ = compare_plans(NOW)
    # Nia (cap 1) takes one of two requests she could; Abe is at cap 0.
    ((chosen, taker),) = [(a.request_id, a.trainer_id) for a in plan.assignments]
    assert taker == nia.id
    assert chosen in {covered.id, capped.id}
    competed = ({covered.id, capped.id} - {chosen}).pop()
    why = reasons(plan)
    assert set(why) == {far.id, competed, early.id, untaught.id}
    assert why[far.id] == (
        "No qualified trainer within reach: the nearest of 2 lives 800 km away."
    )
    assert why[untaught.id] == "No active trainer is qualified for its topic."
    assert why[competed] == (
        "The one trainer who could take it is planned for another request."
    )
    assert why[early.id] == (
        "Of the 2 trainers qualified within reach: 2 not available at any of its "
        "times, 1 at their monthly cap."
    )
    assert plan_open_requests(NOW).unmet == []  # only the page's plan explains


def test_the_office_applies_only_the_ticked_assignments(trainer, group, ask, office):
    trainer("Nia", "TN34", cap=5)
    first, second = ask(group("TN34")), ask(group("TN35"), (THURSDAY, *EVENING))
    plan, _ = compare_plans(NOW)
    keys = {a.request_id: a.key for a in plan.assignments}
    cancel_request(first, "Venue closed", office, NOW)

    applied = apply_chosen([keys[first.id], keys[second.id], "1-2-3"], office, NOW)

    assert [offer.request_id for offer in applied.offers] == [second.id]
    assert applied.gone == 2  # the cancelled request's, and one never planned
    assert db.session.scalars(select(Offer.request_id)).all() == [second.id]
