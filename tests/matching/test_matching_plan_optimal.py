"""The office's plan is the best possible: on small random networks, full of
trainers' sessions that clash, it is checked against an optimum found here by
brute force, straight from the hard rules (`broken_rules`) and DESIGN's order:
most requests covered, then most groups never or not recently trained served
(each once; never trained breaking a tie), then least travel. Networks in the
database go through the whole plan; worlds built in memory, where travel
between venues decides which slots clash, through the solver alone."""

import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.matching.sessions import add_session, free_every_day
from trainers.extensions import db
from trainers.geo import locate
from trainers.matching.candidates import request_venue, slot_facts
from trainers.matching.facts import load_trainer_facts, travel_settings
from trainers.matching.planning import exact, solve
from trainers.matching.planning.plans import compare_plans
from trainers.matching.planning.world import Edge, OpenRequest, Slot, World
from trainers.matching.rules import (
    Booking,
    SlotFacts,
    TrainerFacts,
    TravelSettings,
    Venue,
    broken_rules,
    local_month,
    venue_distance_km,
)
from trainers.requests.models import RequestSlot, RequestStatus, TrainingRequest
from trainers.sessions.models import SessionStatus

NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)  # January is GMT: UTC is London time
DISTRICTS = ["TN34", "TN35", "TN37", "TN38", "TN39", "TN40"]
# Slots that clash with one another (the same evening, or within travel), and
# some that do not (another day, another month).
TIMES = [
    (date(2027, 1, 12), time(18), time(20)),
    (date(2027, 1, 12), time(19), time(21)),
    (date(2027, 1, 12), time(20, 15), time(21, 45)),
    (date(2027, 1, 14), time(18), time(20)),
    (date(2027, 2, 2), time(18), time(20)),
    (date(2027, 2, 2), time(10), time(12)),
]
SEEDS = range(12)


def utc(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=UTC)


@dataclass(frozen=True)
class Asked:
    """An open request as the brute force sees it: its slots, and the km of
    each trainer who may be tried for it."""

    request_id: int
    group_id: int
    slots: dict[int, SlotFacts]  # by slot id
    km: dict[int, float]  # by trainer id


@dataclass(frozen=True)
class Network:
    requests: list[Asked]
    trainers: dict[int, TrainerFacts]
    tier: dict[int, int]  # group id -> 2 never trained, 1 not in a year, 0
    settings: TravelSettings


@pytest.fixture
def network(make_trainer, make_group, make_user, topic):
    """A random network for a seed: four trainers (caps of one or two, some
    already booked), five groups trained at various times, seven requests of
    one or two slots drawn from TIMES."""

    def build(seed: int) -> Network:
        rng = random.Random(seed)
        past = make_user(f"past{seed}@example.org", trainer=True)
        trainers = [_trainer(make_trainer, rng, n, topic) for n in range(4)]
        groups = [make_group(f"Group {n}", rng.choice(DISTRICTS)) for n in range(5)]
        tier = {}
        for n, group in enumerate(groups):
            trained = rng.choice([None, 30, 400])
            tier[group.id] = {None: 2, 400: 1, 30: 0}[trained]
            if trained:
                # A day apart: one trainer gave them all.
                when = NOW - timedelta(days=trained + n)
                add_session(group, past, topic, when)
        for user in rng.sample(trainers, 2):
            day, starts, _ = rng.choice(TIMES)
            when = utc(day - timedelta(days=rng.choice([0, 1])), starts)
            add_session(rng.choice(groups), user, topic, when, SessionStatus.BOOKED)
        requests = [_request(rng, rng.choice(groups), topic, n) for n in range(7)]
        db.session.commit()
        last = max(s.ends_at for r in requests for s in r.slots)
        facts, _ = load_trainer_facts([t.id for t in trainers], topic.id, NOW, last)
        asked = [
            Asked(
                r.id,
                r.group_id,
                {s.id: slot_facts(s, request_venue(r)) for s in r.slots},
                {
                    t: _km(f, slot_facts(r.slots[0], request_venue(r)))
                    for t, f in facts.items()
                },
            )
            for r in requests
        ]
        return Network(asked, facts, tier, travel_settings())

    return build


def _trainer(make_trainer, rng: random.Random, n: int, topic):
    user = make_trainer(
        f"t{n}-{rng.random()}@example.org",
        district=rng.choice(DISTRICTS),
        radius_km=rng.choice([4, 8, 30]),
        topics=[topic],
    )
    user.trainer_profile.monthly_cap = rng.choice([1, 2, 2])
    free_every_day(user)
    return user


def _request(rng: random.Random, group, topic, n: int) -> TrainingRequest:
    online = rng.random() < 0.2
    place = locate(group.postcode_district)
    asked = TrainingRequest(
        group_id=group.id,
        topic_id=topic.id,
        status=RequestStatus.SUBMITTED,
        is_online=online,
        venue_postcode=None if online else place.district,
        venue_district=None if online else place.district,
        venue_latitude=None if online else place.latitude,
        venue_longitude=None if online else place.longitude,
        expected_attendance=12,
        created_at=NOW - timedelta(days=1) + timedelta(minutes=n),
    )
    for day, starts, ends in rng.sample(TIMES, rng.choice([1, 2])):
        asked.slots.append(
            RequestSlot(starts_at=utc(day, starts), ends_at=utc(day, ends))
        )
    db.session.add(asked)
    db.session.flush()
    return asked


def _booked(trainer: TrainerFacts, slot: SlotFacts, clashes: bool) -> TrainerFacts:
    """The trainer's facts with `slot` booked too: counted in its month and,
    when `clashes`, a session later slots may clash with."""
    months = dict(trainer.sessions_by_month)
    month = local_month(slot.starts_at)
    months[month] = months.get(month, 0) + 1
    bookings = list(trainer.bookings)
    if clashes:
        bookings.append(
            Booking(slot.starts_at, slot.ends_at, slot.venue, -1 - len(bookings))
        )
    return replace(trainer, bookings=bookings, sessions_by_month=months)


def _km(trainer: TrainerFacts, slot: SlotFacts) -> float:
    return venue_distance_km(trainer, slot.venue) or 0.0


def _measure(network: Network, given: dict[int, tuple[int, float]]) -> tuple:
    """DESIGN's order for a plan (request id -> trainer id, km), best highest:
    requests covered, unserved groups served, never-trained groups served, and
    travel (negated)."""
    groups = {a.group_id for a in network.requests if a.request_id in given}
    return (
        len(given),
        sum(1 for g in groups if network.tier[g]),
        sum(1 for g in groups if network.tier[g] == 2),
        -sum(km for _, km in given.values()),
    )


def brute_force(network: Network, clashes: bool = True) -> tuple:
    """The best measure of any plan keeping every hard rule (`clashes`: the
    rule against a trainer's own planned sessions clashing too)."""
    best = [(-1,)]

    def search(position: int, trainers: dict, given: dict) -> None:
        if len(given) + len(network.requests) - position < best[0][0]:
            return
        if position == len(network.requests):
            best[0] = max(best[0], _measure(network, given))
            return
        asked = network.requests[position]
        search(position + 1, trainers, given)
        for trainer_id, km in asked.km.items():
            facts = trainers[trainer_id]
            for slot in asked.slots.values():
                if not broken_rules(facts, slot, network.settings):
                    search(
                        position + 1,
                        {**trainers, trainer_id: _booked(facts, slot, clashes)},
                        {**given, asked.request_id: (trainer_id, km)},
                    )

    search(0, network.trainers, {})
    return best[0]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_plan_is_as_good_as_the_best_found_by_brute_force(network, seed):
    built = network(seed)

    plan, greedy = compare_plans(NOW)

    best = brute_force(built)
    given = {a.request_id: (a.trainer_id, a.km) for a in plan.assignments}
    measured = _measure(built, given)
    assert measured[:3] == best[:3]
    # The plan rounds each trainer's km to 0.1.
    assert measured[3] == pytest.approx(best[3], abs=0.05 * len(given) + 1e-9)
    assert plan.proven
    assert plan.bound == brute_force(built, clashes=False)[0] >= best[0]
    assert plan.requests_covered >= greedy.requests_covered
    assert plan.unserved_groups_covered == measured[1]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_plan_keeps_every_hard_rule(network, seed):
    built = network(seed)
    settings = travel_settings()

    plan, _ = compare_plans(NOW)

    trainers = dict(built.trainers)
    slots = {i: s for a in built.requests for i, s in a.slots.items()}
    for assignment in plan.assignments:
        slot = slots[assignment.slot_id]
        facts = trainers[assignment.trainer_id]
        assert broken_rules(facts, slot, settings) == []
        trainers[assignment.trainer_id] = _booked(facts, slot, clashes=True)


def _world(seed: int) -> World:
    """A plan's world built in memory: trainers free all week and in reach of
    every venue, slots two hours long and 30 to 90 minutes apart on one
    evening, so that the travel between two venues decides which clash."""
    rng = random.Random(seed)
    venues = [
        Venue(False, 50.85 + rng.uniform(-0.15, 0.15), 0.55 + rng.uniform(-0.25, 0.25))
        for _ in range(6)
    ]
    starts = [
        utc(date(2027, 1, 12), time(9)) + timedelta(minutes=m)
        for m in (0, 60, 150, 210, 300)
    ]
    trainers = [
        TrainerFacts(
            t,
            latitude=50.85,
            longitude=0.55,
            travel_radius_km=100,
            monthly_cap=rng.choice([2, 3, 9]),
            windows=[(day, time(0), time(23, 59)) for day in range(7)],
        )
        for t in range(rng.choice([1, 2, 3]))
    ]
    tiers = [rng.choice([0, 1, 2]) for _ in range(4)]
    requests = []
    for i in range(rng.choice([5, 6, 7])):
        venue = rng.choice(venues)
        slots = [
            Slot(k, SlotFacts(start, start + timedelta(hours=2), venue), (2027, 1))
            for k, start in enumerate(rng.sample(starts, rng.choice([1, 2])))
        ]
        requests.append(OpenRequest(i, i % 4, 1, tiers[i % 4], venue, slots))
    edges = [
        {
            t: Edge(round(rng.uniform(1, 30), 1), list(range(len(r.slots))))
            for t in range(len(trainers))
            if rng.random() < 0.8
        }
        for r in requests
    ]
    ids = list(range(len(trainers)))
    return World(TravelSettings(), requests, ids, trainers, {1: ids}, edges, 0.0)


def _network_of(world: World) -> Network:
    tier = {r.group_id: r.tier for r in world.requests}
    asked = [
        Asked(
            i,
            r.group_id,
            dict(enumerate(s.facts for s in r.slots)),
            {t: edge.km for t, edge in world.edges[i].items()},
        )
        for i, r in enumerate(world.requests)
    ]
    return Network(asked, dict(enumerate(world.facts)), tier, world.settings)


# Seeds 17, 24, 57 and 65 leave the relaxation fractional once every clash is
# cut, so HiGHS branches.
@pytest.mark.parametrize("seed", [*range(40), 57, 65])
def test_the_plan_of_a_world_where_travel_decides_clashes_is_the_best(seed):
    world = _world(seed)

    solved = exact.solve(world, solve.greedy(world))

    network = _network_of(world)
    given = {i: (t, world.edges[i][t].km) for i, (t, _) in solved.chosen.items()}
    measured, best = _measure(network, given), brute_force(network)
    assert measured[:3] == best[:3]
    assert measured[3] == pytest.approx(best[3], abs=1e-6)
    assert solved.proven
    assert solved.bound == brute_force(network, clashes=False)[0]


def test_a_world_with_nothing_to_weigh_up_is_planned():
    # One option, under the cap, for a group served lately: the program has no
    # row at all, only the option.
    venue = Venue(False, 50.85, 0.55)
    starts_at = utc(date(2027, 1, 12), time(18))
    trainer = TrainerFacts(
        0,
        latitude=50.85,
        longitude=0.55,
        travel_radius_km=100,
        monthly_cap=9,
        windows=[(day, time(0), time(23, 59)) for day in range(7)],
    )
    slot = Slot(
        0, SlotFacts(starts_at, starts_at + timedelta(hours=2), venue), (2027, 1)
    )
    world = World(
        TravelSettings(),
        [OpenRequest(0, 0, 1, 0, venue, [slot])],
        [0],
        [trainer],
        {1: [0]},
        [{0: Edge(3.0, [0])}],
        0.0,
    )

    solved = exact.solve(world, solve.greedy(world))

    assert (solved.chosen, solved.bound, solved.proven) == ({0: (0, 0)}, 1, True)
