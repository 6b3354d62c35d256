"""Matching benchmark: build a realistic national network in a fresh database,
then time one request's candidate list and the plan for every open request.

    python bench/matching.py [--small] [--database-url URL] [--seed N]

Without --database-url it uses a temporary SQLite file. With a PostgreSQL URL it
creates a database of its own on that server and drops it afterwards, so the
named database is never touched. Prints `name: value` lines (bench/README.md).
"""

import argparse
import csv
import logging
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from importlib import resources
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `config` lives at the root, beside `trainers`

import psycopg  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from trainers import create_app  # noqa: E402
from trainers.auth.models import User  # noqa: E402
from trainers.extensions import db  # noqa: E402
from trainers.geo import Place, all_districts  # noqa: E402
from trainers.matching.candidates import find_candidates  # noqa: E402
from trainers.matching.planning.plans import greedy_plan, plan_open_requests  # noqa: E402
from trainers.network.models import Group, Topic  # noqa: E402
from trainers.profiles.models import (  # noqa: E402
    AvailabilityWindow,
    DayOff,
    TrainerProfile,
    TrainerTopic,
)
from trainers.requests.models import (  # noqa: E402
    RequestSlot,
    RequestStatus,
    TrainingRequest,
)
from trainers.sessions.models import SessionStatus, TrainingSession  # noqa: E402
from trainers.timeutil import local_to_utc, to_local, utcnow  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    trainers: int = 5000
    groups: int = 3000
    sessions: int = 50000
    open_requests: int = 2000
    plan_trainers: int = 1000
    samples: int = 200
    warm_up: int = 10
    region: str | None = None  # all of the UK

    def scaled(self, divisor: int, region: str) -> "Sizes":
        """The data divided by `divisor` and kept in one region, so trainers still
        meet requests; enough samples for a median."""
        return Sizes(
            *(math.ceil(v / divisor) for v in astuple(self)[:5]),
            samples=min(self.samples, math.ceil(self.open_requests / divisor) // 2),
            warm_up=2,
            region=region,
        )


# (name, minutes, can run online)
TOPICS = (
    ("Running a local campaign", 180, False),
    ("Door-knocking and canvassing", 120, False),
    ("Phone banking", 90, True),
    ("Community organising", 180, False),
    ("Leafleting that works", 90, False),
    ("Social media and messaging", 120, True),
    ("Running good meetings", 90, True),
    ("Data protection for activists", 120, True),
)
# Weekly availability a volunteer might give: (weekdays, opens, closes).
WINDOWS = (
    (range(5), clock(17, 30), clock(21, 30)),
    (range(5), clock(18), clock(22)),
    (range(5), clock(9), clock(17)),
    (range(5, 7), clock(9), clock(17)),
    (range(5, 7), clock(10), clock(18)),
)
# When groups ask for a session: (weekdays, start times).
REQUEST_TIMES = (
    (range(5), (clock(18), clock(18, 30), clock(19))),
    (range(5, 7), (clock(10), clock(11), clock(13), clock(14))),
    (range(5), (clock(10), clock(14))),
)
PAST_DAYS, FUTURE_DAYS = 365, 90
NEVER_TRAINED_SHARE = 0.15
ONLINE_SHARE = 0.15


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="about 50x smaller")
    parser.add_argument("--database-url", help="PostgreSQL server (default SQLite)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    sizes = Sizes().scaled(50, "South East") if args.small else Sizes()
    with _database(args.database_url) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        logging.getLogger("trainers").setLevel(logging.WARNING)
        with app.app_context():
            try:
                db.create_all()
                _run(sizes, random.Random(args.seed), make_url(url).get_backend_name())
            finally:
                db.session.remove()
                db.engine.dispose()
    return 0


def _run(sizes: Sizes, rng: random.Random, backend: str) -> None:
    now = utcnow()
    started = time.perf_counter()
    built = _build(sizes, rng, now)
    _say("database", backend)
    for name, value in built.items():
        _say(name, value)
    _say("build_seconds", f"{time.perf_counter() - started:.1f}")
    _time_candidates(sizes, rng, now)
    _time_plans(sizes, now)


def _say(name: str, value) -> None:
    print(f"{name}: {value}", flush=True)


def _time_candidates(sizes: Sizes, rng: random.Random, now: datetime) -> None:
    ids = list(
        db.session.scalars(
            select(TrainingRequest.id)
            .where(TrainingRequest.status == RequestStatus.SUBMITTED)
            .order_by(TrainingRequest.id)
        )
    )
    chosen = rng.sample(ids, min(len(ids), sizes.samples + sizes.warm_up))
    requests = list(
        db.session.scalars(
            select(TrainingRequest)
            .options(selectinload(TrainingRequest.slots))
            .where(TrainingRequest.id.in_(chosen))
        )
    )
    timings, counts = [], []
    for n, training_request in enumerate(requests):
        started = time.perf_counter()
        found = find_candidates(training_request, now)
        elapsed = (time.perf_counter() - started) * 1000
        if n >= sizes.warm_up:
            timings.append(elapsed)
            counts.append(len(found.candidates))
    _say("candidates_requests", len(timings))
    _say("candidates_median_ms", f"{statistics.median(timings):.2f}")
    _say("candidates_p95_ms", f"{_percentile(timings, 95):.2f}")
    _say("candidates_median_count", f"{statistics.median(counts):g}")


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(percent / 100 * len(ordered)) - 1)]


def _time_plans(sizes: Sizes, now: datetime) -> None:
    trainer_ids = list(
        db.session.scalars(
            select(TrainerProfile.user_id)
            .order_by(TrainerProfile.user_id)
            .limit(sizes.plan_trainers)
        )
    )
    started = time.perf_counter()
    plan = plan_open_requests(now, trainer_ids)
    plan_seconds = time.perf_counter() - started
    started = time.perf_counter()
    greedy = greedy_plan(now, trainer_ids)
    greedy_seconds = time.perf_counter() - started
    _say("plan_trainers", len(trainer_ids))
    _say("plan_requests", plan.requests_considered)
    _say("plan_seconds", f"{plan_seconds:.2f}")
    _say("greedy_seconds", f"{greedy_seconds:.2f}")
    _say("plan_covered", plan.requests_covered)
    _say("greedy_covered", greedy.requests_covered)
    _say("unserved_groups", plan.unserved_groups)
    _say("plan_unserved_groups_covered", plan.unserved_groups_covered)
    _say("greedy_unserved_groups_covered", greedy.unserved_groups_covered)
    _say("plan_km", f"{plan.total_km:.1f}")
    _say("greedy_km", f"{greedy.total_km:.1f}")


@contextmanager
def _database(url: str | None) -> Iterator[str]:
    """A fresh database: a temporary SQLite file, or a new PostgreSQL database."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="bench-matching-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    server = make_url(url)
    if server.get_backend_name() != "postgresql":
        raise SystemExit("--database-url must be a PostgreSQL URL")
    name = f"bench_matching_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = {
        "host": server.host,
        "port": server.port or 5432,
        "user": server.username,
        "password": server.password,
        "dbname": server.database or "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**admin) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _build(sizes: Sizes, rng: random.Random, now: datetime) -> dict[str, int]:
    """Bulk-insert the network; returns the row counts worth printing."""
    places = _weighted_places(rng, sizes.trainers + sizes.groups, sizes.region)
    topic_rows = [
        {"id": n, "name": name, "default_minutes": minutes, "is_online_capable": online}
        for n, (name, minutes, online) in enumerate(TOPICS, start=1)
    ]
    trainers = _trainers(sizes, rng, places[: sizes.trainers], now)
    groups = [
        {
            "id": n,
            "name": f"Group {n} {place.district}",
            "region": place.region,
            "postcode_district": place.district,
            "latitude": place.latitude,
            "longitude": place.longitude,
        }
        for n, place in enumerate(places[sizes.trainers :], start=1)
    ]
    requests, slots, sessions = _history(sizes, rng, trainers, groups, now)
    open_requests, open_slots = _open_requests(
        sizes, rng, groups, now, len(requests), len(slots)
    )
    _insert(Topic, topic_rows)
    _insert(User, trainers["users"])
    _insert(TrainerProfile, trainers["profiles"])
    _insert(TrainerTopic, trainers["topics"])
    _insert(AvailabilityWindow, trainers["windows"])
    _insert(DayOff, trainers["days_off"])
    _insert(Group, groups)
    _insert(TrainingRequest, requests + open_requests)
    _insert(RequestSlot, slots + open_slots)
    _insert(TrainingSession, sessions)
    db.session.commit()
    # As autovacuum would soon after such a load: the query planner needs the
    # tables' statistics to pick the indexes.
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {
        "trainers": len(trainers["users"]),
        "groups": len(groups),
        "sessions": len(sessions),
        "open_requests": len(open_requests),
        "open_slots": len(open_slots),
    }


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(model), rows[start : start + 5000])


def _weighted_places(rng: random.Random, count: int, region: str | None) -> list[Place]:
    """Districts (of one region, if given) drawn in proportion to their number
    of postcodes, that is roughly to people."""
    districts = all_districts()
    data = resources.files("trainers.geo").joinpath("data/uk_postcode_districts.csv")
    with data.open(encoding="utf-8", newline="") as handle:
        weights = {
            r["outcode"]: int(r["postcode_count"] or 0) for r in csv.DictReader(handle)
        }
    names = [
        name
        for name, place in districts.items()
        if weights.get(name) and region in (None, place.region)
    ]
    return [
        districts[name]
        for name in rng.choices(names, [weights[n] for n in names], k=count)
    ]


def _trainers(sizes, rng, places, now) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = defaultdict(list)
    window_id = day_off_id = 0
    for n, place in enumerate(places, start=1):
        rows["users"].append(
            {
                "id": n,
                "email": f"trainer{n}@bench.invalid",
                "name": f"Trainer {n}",
                "password_hash": "!",
                "is_active": rng.random() > 0.02,
            }
        )
        rows["profiles"].append(
            {
                "user_id": n,
                "home_district": place.district,
                "latitude": place.latitude,
                "longitude": place.longitude,
                "region": place.region,
                "travel_radius_km": rng.randint(10, 80),
                "monthly_cap": rng.randint(1, 4),
            }
        )
        for topic_id in rng.sample(range(1, len(TOPICS) + 1), rng.randint(1, 3)):
            level = "shadowing" if rng.random() < 0.1 else "qualified"
            rows["topics"].append(
                {"trainer_id": n, "topic_id": topic_id, "level": level}
            )
        days = rng.sample(range(7), rng.randint(1, 4))
        for weekday in days:
            choices = [w for w in WINDOWS if weekday in w[0]]
            _, opens, closes = rng.choice(choices)
            window_id += 1
            rows["windows"].append(
                {
                    "id": window_id,
                    "trainer_id": n,
                    "weekday": weekday,
                    "start_time": opens,
                    "end_time": closes,
                }
            )
        if rng.random() < 0.3:
            first = to_local(now).date() + timedelta(days=rng.randint(-120, 120))
            day_off_id += 1
            rows["days_off"].append(
                {
                    "id": day_off_id,
                    "trainer_id": n,
                    "first_on": first,
                    "last_on": first + timedelta(days=rng.randint(0, 13)),
                    "note": "",
                }
            )
    return rows


def _history(sizes, rng, trainers, groups, now):
    """Booked and delivered sessions, each with its request and slot, placed
    inside the trainer's windows, within reach and under their monthly cap."""
    qualified: dict[int, set[int]] = defaultdict(set)
    for row in trainers["topics"]:
        if row["level"] == "qualified":
            qualified[row["trainer_id"]].add(row["topic_id"])
    windows: dict[int, list[dict]] = defaultdict(list)
    for row in trainers["windows"]:
        windows[row["trainer_id"]].append(row)
    profiles = trainers["profiles"]
    reach = _in_reach(profiles, groups)
    caps = {p["user_id"]: p["monthly_cap"] for p in profiles}
    served = rng.sample(groups, round(len(groups) * (1 - NEVER_TRAINED_SHARE)))
    weights = [rng.paretovariate(1.5) for _ in served]
    today = to_local(now).date()
    per_month: dict[tuple[int, int, int], int] = defaultdict(int)
    busy_days: set[tuple[int, date]] = set()
    requests, slots, sessions = [], [], []
    attempts = 0
    while len(sessions) < sizes.sessions and attempts < sizes.sessions * 20:
        attempts += 1
        group = rng.choices(served, weights)[0]
        topic_id = rng.randint(1, len(TOPICS))
        nearby = [t for t in reach[group["id"]] if topic_id in qualified[t]]
        if not nearby:
            continue
        trainer_id = rng.choice(nearby)
        window = rng.choice(windows[trainer_id])
        day = today + timedelta(days=rng.randint(-PAST_DAYS, FUTURE_DAYS))
        day += timedelta(days=(window["weekday"] - day.weekday()) % 7)
        minutes = TOPICS[topic_id - 1][1]
        month = (trainer_id, day.year, day.month)
        if (trainer_id, day) in busy_days or per_month[month] >= caps[trainer_id]:
            continue
        starts_at = local_to_utc(day, window["start_time"])
        ends_at = starts_at + timedelta(minutes=minutes)
        if starts_at <= now < ends_at:
            continue
        busy_days.add((trainer_id, day))
        per_month[month] += 1
        n = len(sessions) + 1
        delivered = ends_at < now
        requests.append(
            {
                "id": n,
                "group_id": group["id"],
                "topic_id": topic_id,
                "status": RequestStatus.DELIVERED
                if delivered
                else RequestStatus.BOOKED,
                "is_online": False,
                "venue_postcode": group["postcode_district"],
                "venue_district": group["postcode_district"],
                "venue_latitude": group["latitude"],
                "venue_longitude": group["longitude"],
                "expected_attendance": rng.randint(5, 40),
                "created_at": starts_at - timedelta(days=rng.randint(14, 60)),
                "status_changed_at": starts_at - timedelta(days=7),
            }
        )
        slots.append(
            {"id": n, "request_id": n, "starts_at": starts_at, "ends_at": ends_at}
        )
        sessions.append(
            {
                "id": n,
                "request_id": n,
                "trainer_id": trainer_id,
                "group_id": group["id"],
                "topic_id": topic_id,
                "status": SessionStatus.DELIVERED
                if delivered
                else SessionStatus.BOOKED,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "is_online": False,
                "venue_postcode": group["postcode_district"],
                "venue_latitude": group["latitude"],
                "venue_longitude": group["longitude"],
                "ical_uid": f"{uuid.UUID(int=rng.getrandbits(128))}@bench",
            }
        )
    return requests, slots, sessions


def _in_reach(profiles: list[dict], groups: list[dict]) -> dict[int, list[int]]:
    """For each group, the trainers whose radius reaches it (flat-earth, for data)."""
    lat = np.array([p["latitude"] for p in profiles])
    lon = np.array([p["longitude"] for p in profiles])
    radius = np.array([p["travel_radius_km"] for p in profiles])
    ids = np.array([p["user_id"] for p in profiles])
    reach = {}
    for group in groups:
        dy = (lat - group["latitude"]) * 111.2
        dx = (
            (lon - group["longitude"])
            * 111.2
            * math.cos(math.radians(group["latitude"]))
        )
        reach[group["id"]] = ids[dx * dx + dy * dy <= radius * radius].tolist()
    return reach


def _open_requests(sizes, rng, groups, now, first_request, first_slot):
    requests, slots = [], []
    today = to_local(now).date()
    for n in range(first_request + 1, first_request + sizes.open_requests + 1):
        group = rng.choice(groups)
        topic_id = rng.randint(1, len(TOPICS))
        _, minutes, can_be_online = TOPICS[topic_id - 1]
        online = can_be_online and rng.random() < ONLINE_SHARE
        requests.append(
            {
                "id": n,
                "group_id": group["id"],
                "topic_id": topic_id,
                "status": rng.choice(
                    (RequestStatus.SUBMITTED,) * 4 + (RequestStatus.UNFILLED,)
                ),
                "is_online": online,
                "venue_postcode": None if online else group["postcode_district"],
                "venue_district": None if online else group["postcode_district"],
                "venue_latitude": None if online else group["latitude"],
                "venue_longitude": None if online else group["longitude"],
                "expected_attendance": rng.randint(5, 40),
                "created_at": now - timedelta(minutes=rng.randint(60, 30 * 24 * 60)),
                "status_changed_at": now - timedelta(minutes=30),
            }
        )
        days, starts = rng.choice(REQUEST_TIMES)
        taken = set()
        for _ in range(rng.randint(1, 5)):
            day = today + timedelta(days=rng.randint(3, FUTURE_DAYS))
            day += timedelta(days=(rng.choice(days) - day.weekday()) % 7)
            start = rng.choice(starts)
            if (day, start) in taken:
                continue
            taken.add((day, start))
            starts_at = local_to_utc(day, start)
            slots.append(
                {
                    "id": first_slot + len(slots) + 1,
                    "request_id": n,
                    "starts_at": starts_at,
                    "ends_at": starts_at + timedelta(minutes=minutes),
                }
            )
    return requests, slots


if __name__ == "__main__":
    sys.exit(main())
