"""Every dashboard figure against the hand-worked network in coverage_world."""

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import POSTGRES_URL
from tests.coverage.coverage_world import INJECTED, NOW, build_world
from tests.statements import recorded_statements
from trainers.coverage.dashboard.report import CoverageReport, topic_names
from trainers.coverage.dashboard.values import Recency, months_in, recency
from trainers.coverage.filters import make_filters
from trainers.extensions import db


@pytest.fixture
def world(make_group, make_topic, make_trainer):
    return build_world(make_group, make_topic, make_trainer)


def report(filters) -> CoverageReport:
    return CoverageReport(filters, NOW, topic_names())


def figures(filters) -> dict[str, object]:
    return {figure.key: figure.value for figure in report(filters).figures}


def test_headline_figures_for_the_whole_network(world):
    found = figures(world.whole_range)

    assert found["groups_served"] == 3  # G1, G3, G4 of the six active groups
    assert found["served_share"] == pytest.approx(0.5)
    assert found["sessions_delivered"] == 5  # S1, S2, S3, S4, S7
    assert found["people_trained"] == 54  # 10 + 12 + 7 + 20 + 5
    assert found["requests_made"] == 10
    # First bookings, in whole hours: 1 2 5 12 24 26 48.
    assert found["booking_median_days"] == pytest.approx(0.5)  # 12 h
    assert found["booking_p90_days"] == pytest.approx(1.45)  # 26 + 0.4 * 22 = 34.8 h
    assert found["unfilled_rate"] == pytest.approx(1 / 7)  # R12 of 5 + 1 + 1
    # A: S1 S2 S4, B: S3 S5 S7, C: none; caps 2 + 1 + 3 over three months.
    assert found["utilisation"] == pytest.approx(6 / 18)
    assert found["load_quartiles"] == 3
    assert found["idle_share"] == pytest.approx(1 / 3)
    assert found["busiest_tenth_share"] == pytest.approx(0.5)


def test_requests_by_present_state(world):
    states = dict(report(world.whole_range).requests_by_state)

    assert states == {
        "submitted": 1,
        "offered": 0,  # R15 was made at 00:30 BST on 1 May
        "booked": 1,
        "delivered": 5,
        "unfilled": 1,  # R16 was made at 23:30 GMT on 31 January
        "cancelled": 2,
    }


def test_booking_delay_uses_the_first_booking_in_whole_hours(world):
    delay = report(world.whole_range).booking_delay

    assert delay.count == 7
    assert delay.median == 12
    assert delay.p90 == pytest.approx(34.8)


def test_load_spread(world):
    load = report(world.whole_range).load

    assert load.trainers == 3  # D's account is inactive
    assert load.sessions == 6
    assert load.capacity == pytest.approx(18)
    assert load.quartiles == (1.5, 3, 3)  # of 0, 3, 3
    assert load.busiest_tenth_trainers == 1


def test_by_region(world):
    rows = {row.name: row for row in report(world.whole_range).regions}

    assert len(rows) == 12
    south_east, north_west = rows["South East"], rows["North West"]
    assert (south_east.groups, south_east.groups_served) == (2, 1)
    assert (south_east.sessions_delivered, south_east.people_trained) == (2, 22)
    assert (south_east.requests_made, south_east.requests_unfilled) == (5, 0)
    # G6 is inactive: its session S7 counts, the group does not.
    assert (north_west.groups, north_west.groups_served) == (1, 1)
    assert (north_west.sessions_delivered, north_west.people_trained) == (2, 12)
    assert north_west.requests_made == 2
    wales = rows["Wales"]
    assert (wales.groups, wales.groups_served, wales.sessions_delivered) == (1, 0, 0)
    assert (wales.requests_made, wales.requests_unfilled) == (2, 1)
    assert rows["London"].people_trained == 20
    assert rows["Yorkshire and The Humber"].served_share == 0
    assert rows["Scotland"].served_share is None  # no groups at all


def test_by_topic(world):
    rows = {row.name: row for row in report(world.whole_range).topics}

    door, phone = rows["Door-knocking"], rows["Phone banking"]
    assert (door.groups_served, door.sessions_delivered, door.people_trained) == (
        2,
        3,
        22,
    )
    assert (door.requests_made, door.requests_unfilled) == (6, 1)
    assert (phone.groups_served, phone.sessions_delivered, phone.people_trained) == (
        2,
        2,
        32,
    )
    assert (phone.requests_made, phone.requests_unfilled) == (4, 0)


def test_by_month_on_the_london_calendar(world):
    rows = report(world.whole_range).by_month

    assert [row.month.label for row in rows] == ["Feb 2026", "Mar 2026", "Apr 2026"]
    # S1 at 23:30 GMT on 28 Feb is February; S3 at 22:30 UTC on 31 March is
    # 23:30 BST, still March; S4 at 23:30 UTC on 31 March is 1 April in London.
    assert [row.sessions_delivered for row in rows] == [1, 2, 2]
    assert [row.people_trained for row in rows] == [10, 19, 25]
    # R4 at 00:00 UTC on 1 March is March; R7 at 00:00 UTC on 1 April is 01:00
    # BST, April; R13 at 22:00 UTC on 30 April is still April in London.
    assert [row.requests_made for row in rows] == [3, 4, 3]


def test_a_region_narrows_groups_sessions_requests_and_trainers(world):
    found = figures(world.filters(region="South East"))

    assert found["groups_served"] == 1
    assert found["served_share"] == pytest.approx(0.5)
    assert found["sessions_delivered"] == 2
    assert found["people_trained"] == 22
    assert found["requests_made"] == 5
    assert found["unfilled_rate"] == 0
    # Trainers based in the South East: A alone, with S1 S2 S4, cap 2.
    assert found["utilisation"] == pytest.approx(3 / 6)
    # R6 2 h, R2 5 h, R5 12 h, R1 26 h.
    assert found["booking_median_days"] == pytest.approx(8.5 / 24, abs=0.01)
    assert found["booking_p90_days"] == pytest.approx(21.8 / 24, abs=0.01)
    assert [row.name for row in report(world.filters(region="London")).regions] == [
        "London"
    ]


def test_a_topic_narrows_sessions_requests_and_qualified_trainers(world):
    chosen = report(world.filters(topic="T2"))
    found = {figure.key: figure.value for figure in chosen.figures}

    assert found["groups_served"] == 2  # G1 and G4, of six
    assert found["sessions_delivered"] == 2
    assert found["people_trained"] == 32
    assert dict(chosen.requests_by_state)["delivered"] == 2
    assert found["requests_made"] == 4
    # Qualified in T2: A (S2, S4) and C; B only shadows it.
    assert chosen.load.trainers == 2
    assert found["utilisation"] == pytest.approx(2 / 15)
    assert [row.name for row in chosen.topics] == ["Phone banking"]


def test_map_buckets_count_back_from_now_whatever_the_range(world):
    chosen = report(world.whole_range)
    buckets = {group.name: group.recency for group in chosen.groups}

    assert buckets == {
        "Hastings Action": Recency.WITHIN_A_YEAR,  # S2, 1 March
        "Brighton Group": Recency.WITHIN_A_YEAR,  # S8, 31 January
        "Stockport": Recency.WITHIN_90_DAYS,  # S9, 30 April
        INJECTED: Recency.WITHIN_90_DAYS,  # S4, 31 March
        "Cardiff": Recency.NEVER,
        "Leeds": Recency.OVER_A_YEAR,  # S10, May 2025
    }
    counts = dict(chosen.map_counts)
    assert counts["South East"] == {Recency.WITHIN_A_YEAR: 2}
    assert counts["All"] == {
        Recency.WITHIN_A_YEAR: 2,
        Recency.WITHIN_90_DAYS: 2,
        Recency.OVER_A_YEAR: 1,
        Recency.NEVER: 1,
    }


def test_map_buckets_follow_the_topic(world):
    buckets = {g.name: g.recency for g in report(world.filters(topic="T2")).groups}

    assert buckets["Hastings Action"] == Recency.WITHIN_A_YEAR
    assert buckets[INJECTED] == Recency.WITHIN_90_DAYS
    assert buckets["Stockport"] == Recency.NEVER
    assert buckets["Leeds"] == Recency.NEVER


def test_recency_edges():
    assert recency(None, NOW) == Recency.NEVER
    assert recency(NOW - timedelta(days=90), NOW) == Recency.WITHIN_90_DAYS
    assert recency(NOW - timedelta(days=90, seconds=1), NOW) == Recency.WITHIN_A_YEAR
    assert recency(NOW - timedelta(days=365), NOW) == Recency.WITHIN_A_YEAR
    assert recency(NOW - timedelta(days=365, seconds=1), NOW) == Recency.OVER_A_YEAR


def test_months_count_part_months_by_their_days():
    months = months_in(make_filters(date(2026, 3, 16), date(2026, 4, 15)))

    assert [(m.first_day, m.fraction) for m in months] == [
        (date(2026, 3, 1), 16 / 31),
        (date(2026, 4, 1), 15 / 30),
    ]
    # London midnight: GMT on 16 March, BST on 1 April.
    assert months[0].starts_at == datetime(2026, 3, 16, tzinfo=UTC)
    assert months[1].starts_at == datetime(2026, 3, 31, 23, tzinfo=UTC)


def test_an_empty_network_gives_no_division_by_zero(app):
    found = {
        figure.key: figure.text
        for figure in report(make_filters(date(2026, 1, 1), date(2026, 1, 31))).figures
    }

    assert found["served_share"] == "n/a"
    assert found["booking_median_days"] == "none booked"
    assert found["utilisation"].startswith("n/a")


@pytest.mark.skipif(
    bool(POSTGRES_URL),
    reason="SQLite's query plans; PostgreSQL's follow its statistics",
)
def test_the_dashboard_reads_sessions_from_indexes_alone(world):
    # The sessions table is the network's largest: each dashboard figure is
    # counted from one of its indexes, never from the table's rows.
    chosen = report(world.whole_range)
    with recorded_statements() as statements:
        for part in ("figures", "regions", "topics", "by_month", "map_counts"):
            getattr(chosen, part)

    connection = db.session.connection()
    steps = [
        step
        for statement, parameters in statements
        for *_, step in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement}", parameters
        )
        if " training_sessions " in f"{step} "
    ]
    assert len(steps) >= 4  # the groups' last sessions, the cells, load, bookings
    assert [step for step in steps if "COVERING INDEX" not in step] == []
