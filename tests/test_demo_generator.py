"""The network generator behind the demo and the benchmarks: the same network for
the same seed, groups where people live, and a history that keeps every rule."""

import itertools
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from trainers.demo.history import draw_sessions, draw_unbooked
from trainers.demo.network import TOPIC_MINUTES, Shape, draw_network
from trainers.demo.places import REGION_POPULATION
from trainers.geo import REGIONS, distance_km
from trainers.requests.models import RequestStatus
from trainers.sessions.models import SessionStatus
from trainers.timeutil import to_local

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
TODAY = to_local(NOW).date()
NATIONAL = Shape(groups=400, trainers=300, inactive_share=0.02)


def drawn(seed: int, shape: Shape = NATIONAL):
    """A network and a year of history, as plain values to compare."""
    rng = random.Random(seed)
    network = draw_network(rng, shape, TODAY)
    held = draw_sessions(rng, network, 600, NOW, (-365, 90), never_trained=0.15)
    unbooked = draw_unbooked(rng, network, 50, NOW, past_days=365)
    return network, held, unbooked


def described(seed: int) -> tuple:
    network, held, unbooked = drawn(seed)
    return (
        [(group.name, group.place.district) for group in network.groups],
        [
            (t.email, t.place.district, t.radius_km, t.cap, t.qualified, t.windows)
            for t in network.trainers
        ],
        [(s.group.name, s.trainer.email, s.topic, s.starts_at) for s in held],
        [(r.group.name, r.topic, r.status, r.slots) for r in unbooked],
    )


def test_the_same_seed_draws_the_same_network_and_history():
    assert described(7) == described(7)
    assert described(7) != described(8)


def test_groups_are_shared_out_by_population_with_unique_names():
    network, _, _ = drawn(1)
    regions = Counter(group.place.region for group in network.groups)

    assert len(network.groups) == 400
    assert set(regions) == set(REGIONS)
    for region, people in REGION_POPULATION.items():
        assert abs(regions[region] - 400 * people / sum(REGION_POPULATION.values())) < 2
    assert len({group.name for group in network.groups}) == 400


def test_a_network_bigger_than_its_region_still_has_unique_names_and_stays_there():
    network, _, _ = drawn(2, Shape(groups=500, trainers=50, region="North East"))

    assert {group.place.region for group in network.groups} == {"North East"}
    assert {trainer.place.region for trainer in network.trainers} == {"North East"}
    assert len({group.name for group in network.groups}) == 500
    assert len({group.place.district for group in network.groups}) < 500


def test_trainers_live_near_groups_and_reach_most_of_them():
    network, _, _ = drawn(3)
    reach = network.reach()
    online_only = [trainer for trainer in network.trainers if not trainer.radius_km]

    assert len(network.trainers) == 300
    assert len(online_only) == 20
    assert sum(1 for trainers in reach if trainers) > 0.8 * len(network.groups)
    assert len({trainer.email for trainer in network.trainers}) == 300
    for trainer in network.trainers:
        assert 1 <= len(trainer.qualified) <= 3
        assert 1 <= len(trainer.windows) <= 4
        assert trainer.radius_km == 0 or 15 <= trainer.radius_km <= 80


def test_the_history_keeps_every_rule_a_trainer_can_keep():
    network, held, _ = drawn(4)
    days = Counter()

    assert len(held) == 600
    for session in held:
        trainer, start = session.trainer, to_local(session.starts_at)
        assert session.topic in trainer.qualified
        assert session.ends_at - session.starts_at == timedelta(
            minutes=TOPIC_MINUTES[session.topic]
        )
        assert any(
            weekday == start.weekday()
            and opens <= start.time()
            and to_local(session.ends_at).time() <= shuts
            for weekday, opens, shuts in trainer.windows
        )
        assert not any(
            first <= start.date() <= last for first, last, _ in trainer.days_off
        )
        place = session.group.place
        assert (
            distance_km(
                trainer.place.latitude,
                trainer.place.longitude,
                place.latitude,
                place.longitude,
            )
            <= trainer.radius_km
        )
        assert session.requested_at <= session.booked_at <= NOW
        assert (session.status == SessionStatus.DELIVERED) == (
            session.headcount is not None
        )
        days[trainer, start.date()] += 1
    assert set(days.values()) == {1}


def test_open_requests_ask_for_times_ahead_and_older_ones_after_they_were_made():
    network, _, _ = drawn(5)
    rng = random.Random(5)
    open_ones = draw_unbooked(rng, network, 200, NOW)
    over_a_year = draw_unbooked(rng, network, 200, NOW, past_days=365)

    assert {r.status for r in open_ones} == {
        RequestStatus.SUBMITTED,
        RequestStatus.UNFILLED,
    }
    assert RequestStatus.CANCELLED in {r.status for r in over_a_year}
    for request in open_ones:
        assert 1 <= len(request.slots) <= 5
        assert all(starts_at > NOW for starts_at, _ in request.slots)
    for request in over_a_year:
        assert NOW - timedelta(days=365) <= request.created_at < NOW
        assert all(starts_at > request.created_at for starts_at, _ in request.slots)


def test_busy_calendars_are_drawn_only_when_asked_and_change_nothing_else():
    shape = Shape(groups=60, trainers=40, calendar_busy=20)
    plain, plain_held, _ = drawn(3, Shape(groups=60, trainers=40))
    busy, busy_held, _ = drawn(3, shape)

    assert all(t.calendar_busy == [] for t in plain.trainers)
    assert [t.email for t in busy.trainers] == [t.email for t in plain.trainers]
    assert [(s.trainer.email, s.starts_at) for s in busy_held] == [
        (s.trainer.email, s.starts_at) for s in plain_held
    ]
    for trainer in busy.trainers:
        assert len(trainer.calendar_busy) == 20
        assert trainer.calendar_busy == sorted(trainer.calendar_busy)
        for (_, ends_at), (starts_at, _) in itertools.pairwise(trainer.calendar_busy):
            assert ends_at < starts_at
        for starts_at, ends_at in trainer.calendar_busy:
            assert timedelta(minutes=30) <= ends_at - starts_at <= timedelta(hours=3)
            assert TODAY <= to_local(starts_at).date() < TODAY + timedelta(days=92)
    assert (
        drawn(3, shape)[0].trainers[0].calendar_busy == busy.trainers[0].calendar_busy
    )
