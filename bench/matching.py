"""Matching benchmark: build a realistic national network in a fresh database,
then time one request's candidate list and the plan for every open request.

    python bench/matching.py [--small] [--database-url URL] [--seed N]

Without --database-url it uses a temporary SQLite file. With a PostgreSQL URL it
creates a database of its own on that server and drops it afterwards, so the
named database is never touched. Prints `name: value` lines (bench/README.md).
"""

import argparse
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `config` lives at the root, beside `trainers`

import psycopg  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from trainers import create_app  # noqa: E402
from trainers.attendance.models import Attendance  # noqa: E402
from trainers.auth.models import User  # noqa: E402
from trainers.busy.models import BusyInterval  # noqa: E402
from trainers.demo.history import (  # noqa: E402
    HeldSession,
    UnbookedRequest,
    draw_sessions,
    draw_unbooked,
)
from trainers.demo.network import TOPICS, Network, Shape, draw_network  # noqa: E402
from trainers.extensions import db  # noqa: E402
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
from trainers.sessions.models import (  # noqa: E402
    SessionPlace,
    SessionStatus,
    TrainingSession,
)
from trainers.timeutil import to_local, utcnow  # noqa: E402


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


PAST_DAYS, FUTURE_DAYS = 365, 90
NEVER_TRAINED = 0.15  # the share of groups never trained
BUSY_PER_TRAINER = 20  # busy times in each trainer's own calendar, next 3 months
TWO_TRAINERS_EVERY = 10  # one request in ten needs a co-trainer too


def main(argv: list[str] | None = None) -> int:
    return run_on_network(argv, __doc__, _run)


def run_on_network(
    argv: list[str] | None,
    doc: str,
    run: Callable[[Sizes, random.Random, str], None],
) -> int:
    """Read the benches' shared arguments (--small, --database-url, --seed), then
    `run(sizes, rng, backend)` in an app on a fresh database of its own."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
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
                run(sizes, random.Random(args.seed), make_url(url).get_backend_name())
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
    # The most any plan could cover: no plan beats it; `plan_proven` says
    # whether HiGHS proved this plan the best.
    _say("plan_bound", plan.bound)
    _say("plan_proven", int(plan.proven))
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
    network = _network(rng, sizes.groups, sizes.trainers, sizes.region, now)
    held = draw_sessions(
        rng, network, sizes.sessions, now, (-PAST_DAYS, FUTURE_DAYS), NEVER_TRAINED
    )
    unbooked = draw_unbooked(rng, network, sizes.open_requests, now)
    tables = _rows(network, held, unbooked)
    for model, rows in tables.items():
        _insert(model, rows)
    db.session.commit()
    # As autovacuum would soon after such a load: the query planner needs the
    # tables' statistics to pick the indexes.
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {
        "trainers": len(network.trainers),
        "groups": len(network.groups),
        "sessions": len(held),
        "open_requests": len(unbooked),
        "open_slots": sum(len(request.slots) for request in unbooked),
    }


def _network(
    rng: random.Random, groups: int, trainers: int, region: str | None, now: datetime
) -> Network:
    """The demo's generator at bench size: a few trainers inactive, addresses no
    mail can reach, and every trainer's own calendar busy now and then."""
    shape = Shape(
        groups=groups,
        trainers=trainers,
        region=region,
        inactive_share=0.02,
        email_domain="bench.invalid",
        calendar_busy=BUSY_PER_TRAINER,
    )
    return draw_network(rng, shape, to_local(now).date())


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(model), rows[start : start + 5000])


def _rows(
    network: Network, held: list[HeldSession], unbooked: list[UnbookedRequest]
) -> dict[type, list[dict]]:
    """Every table's rows, by model in the order they are inserted. `ids` gives
    each topic (by name), trainer and group its row's id."""
    ids = {
        **{topic.name: n for n, topic in enumerate(TOPICS, start=1)},
        **{trainer: n for n, trainer in enumerate(network.trainers, start=1)},
        **{group: n for n, group in enumerate(network.groups, start=1)},
    }
    return {
        Topic: [
            {
                "id": ids[topic.name],
                "name": topic.name,
                "summary": topic.summary,
                "default_minutes": topic.minutes,
                "is_online_capable": topic.is_online_capable,
            }
            for topic in TOPICS
        ],
        **_trainer_rows(network, ids),
        Group: [
            {
                "id": ids[group],
                "name": group.name,
                "region": group.place.region,
                "postcode_district": group.place.district,
                "latitude": group.place.latitude,
                "longitude": group.place.longitude,
            }
            for group in network.groups
        ],
        **_history_rows(held, unbooked, ids),
    }


def _history_rows(
    held: list[HeldSession], unbooked: list[UnbookedRequest], ids: dict
) -> dict[type, list[dict]]:
    """Requests, their slots, sessions and attendance, each row's id following
    its creation time, as a real database's would."""
    requests, slots, sessions, attendances = [], [], [], []
    for asked in held + unbooked:
        requests.append(_request_row(asked, ids))
        slots += [
            {"request": requests[-1], "starts_at": starts_at, "ends_at": ends_at}
            for starts_at, ends_at in _slots_of(asked)
        ]
        if isinstance(asked, HeldSession):
            sessions.append(_session_row(asked, requests[-1], ids))
            if asked.status == SessionStatus.DELIVERED:
                attendances.append(_attendance_row(asked, sessions[-1]))
    places = _co_trainer_places(requests, held, sessions, ids)
    _number_in_order(requests, "created_at")
    _number_in_order(sessions, "created_at")
    for row in slots + sessions:
        row["request_id"] = row.pop("request")["id"]
    for row in sessions:
        row["ical_uid"] = f"{row['id']}@bench"
    for row in attendances + places:
        row["session_id"] = row.pop("session")["id"]
    for n, row in enumerate(places, start=1):
        row["id"] = n
    slots.sort(key=lambda row: row["request_id"])
    for n, row in enumerate(slots, start=1):
        row["id"] = n
    attendances.sort(key=lambda row: row["session_id"])
    return {
        TrainingRequest: requests,
        RequestSlot: slots,
        TrainingSession: sessions,
        SessionPlace: places,
        Attendance: attendances,
    }


def _co_trainer_places(
    requests: list[dict], held: list[HeldSession], sessions: list[dict], ids: dict
) -> list[dict]:
    """Marks one request in TWO_TRAINERS_EVERY as needing two trainers; each such
    session's second place goes to the topic's trainer of the session before
    it, or stays open. `requests` begins with those of `held`, in its order."""
    places, last = [], {}
    for n, request in enumerate(requests):
        asked = held[n] if n < len(held) else None
        if n % TWO_TRAINERS_EVERY == 0:
            request["trainers_override"] = 2
            if asked is not None:
                co = last.get(asked.topic)
                taken = co is not None and co != asked.trainer
                places.append(
                    {
                        "session": sessions[n],
                        "place": 2,
                        "trainer_id": ids[co] if taken else None,
                        "filled_at": asked.booked_at if taken else None,
                    }
                )
        if asked is not None:
            last[asked.topic] = asked.trainer
    return places


def _trainer_rows(network: Network, ids: dict) -> dict[type, list[dict]]:
    """Each trainer's account, profile, topics, weekly windows, days off and busy
    times."""
    tables: dict[type, list[dict]] = defaultdict(list)
    for trainer in network.trainers:
        n = ids[trainer]
        tables[User].append(
            {
                "id": n,
                "email": trainer.email,
                "name": trainer.name,
                "password_hash": "!",
                "is_active": trainer.is_active,
            }
        )
        tables[TrainerProfile].append(
            {
                "user_id": n,
                "home_district": trainer.place.district,
                "latitude": trainer.place.latitude,
                "longitude": trainer.place.longitude,
                "region": trainer.place.region,
                "travel_radius_km": trainer.radius_km,
                "monthly_cap": trainer.cap,
            }
        )
        tables[TrainerTopic] += [
            {"trainer_id": n, "topic_id": ids[name], "level": level}
            for names, level in (
                (trainer.qualified, "qualified"),
                (trainer.shadowing, "shadowing"),
            )
            for name in names
        ]
        tables[AvailabilityWindow] += [
            {
                "trainer_id": n,
                "weekday": weekday,
                "start_time": opens,
                "end_time": shuts,
            }
            for weekday, opens, shuts in trainer.windows
        ]
        tables[DayOff] += [
            {"trainer_id": n, "first_on": first, "last_on": last, "note": note}
            for first, last, note in trainer.days_off
        ]
        tables[BusyInterval] += [
            {"trainer_id": n, "starts_at": starts_at, "ends_at": ends_at}
            for starts_at, ends_at in trainer.calendar_busy
        ]
    for model in (AvailabilityWindow, DayOff, BusyInterval):
        for n, row in enumerate(tables[model], start=1):
            row["id"] = n
    return tables


def _request_row(asked: HeldSession | UnbookedRequest, ids: dict) -> dict:
    """The request behind a session, or one never booked."""
    place = asked.group.place
    online = isinstance(asked, UnbookedRequest) and asked.is_online
    row = {
        "group_id": ids[asked.group],
        "topic_id": ids[asked.topic],
        "is_online": online,
        "venue_postcode": None if online else place.district,
        "venue_district": None if online else place.district,
        "venue_latitude": None if online else place.latitude,
        "venue_longitude": None if online else place.longitude,
        "expected_attendance": asked.expected_attendance,
    }
    if isinstance(asked, UnbookedRequest):
        return row | {
            "status": asked.status,
            "created_at": asked.created_at,
            "status_changed_at": asked.created_at,
        }
    return row | {
        "status": RequestStatus(asked.status.value),
        "created_at": asked.requested_at,
        "status_changed_at": asked.booked_at,
        "first_booked_at": asked.booked_at,
        "hours_to_booking": (asked.booked_at - asked.requested_at)
        // timedelta(hours=1),
    }


def _slots_of(asked: HeldSession | UnbookedRequest) -> list[tuple[datetime, datetime]]:
    if isinstance(asked, UnbookedRequest):
        return asked.slots
    return [(asked.starts_at, asked.ends_at)]


def _session_row(session: HeldSession, request: dict, ids: dict) -> dict:
    place = session.group.place
    return {
        "request": request,
        "trainer_id": ids[session.trainer],
        "group_id": ids[session.group],
        "topic_id": ids[session.topic],
        "status": session.status,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "is_online": False,
        "venue_postcode": place.district,
        "venue_latitude": place.latitude,
        "venue_longitude": place.longitude,
        "created_at": session.booked_at,
        "updated_at": session.booked_at,
    }


def _attendance_row(session: HeldSession, session_row: dict) -> dict:
    recorded_at = session.ends_at + timedelta(hours=20)
    return {
        "session": session_row,
        "headcount": session.headcount,
        "people_count": session.people_count,
        "recorded_at": recorded_at,
        "updated_at": recorded_at,
        "rating": session.rating,
    }


def _number_in_order(rows: list[dict], key: str) -> None:
    """Ids in the order of `key`, as the database would have given them."""
    rows.sort(key=lambda row: row[key])
    for n, row in enumerate(rows, start=1):
        row["id"] = n


if __name__ == "__main__":
    sys.exit(main())
