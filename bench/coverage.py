"""Coverage benchmark: a national network's history in a fresh database, then the
office's dashboard and every export rendered through the app, and the cold spots.

    python bench/coverage.py [--small] [--database-url URL] [--seed N] [--samples N]

Without --database-url it uses temporary SQLite files. With a PostgreSQL URL it
creates databases of its own on that server and drops them afterwards, so the
named database is never touched. The whole run is done twice: at a tenth of the
size (only to show the dashboard's statement count does not grow), then at full
size. Prints `name: value` lines (bench/README.md).
"""

import argparse
import gc
import logging
import math
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `config` lives at the root, beside `trainers`

# The matching benchmark's database, places, trainers and reach, shared.
import matching as network  # noqa: E402
from flask_login import FlaskLoginClient  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from trainers import create_app  # noqa: E402
from trainers.attendance.models import Attendance  # noqa: E402
from trainers.auth.models import User  # noqa: E402
from trainers.coverage.dashboard.exports import EXPORTS  # noqa: E402
from trainers.coverage.filters import default_filters  # noqa: E402
from trainers.coverage.summary import fold_changes  # noqa: E402
from trainers.extensions import db  # noqa: E402
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
from trainers.timeutil import to_local, utcnow  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    groups: int = 3000
    trainers: int = 5000
    sessions: int = 200_000
    # Requests never booked (unfilled, cancelled or still open), beside the
    # one request behind each session.
    unbooked_requests: int = 20_000
    samples: int = 40
    warm_up: int = 3

    def divided(self, divisor: int) -> "Sizes":
        counts = {
            f.name: math.ceil(getattr(self, f.name) / divisor)
            for f in fields(self)
            if f.name not in ("samples", "warm_up")
        }
        return replace(self, **counts)


# Four years of sessions and three months ahead: about 50,000 sessions a year,
# "tens of thousands a year" in the design.
PAST_DAYS, FUTURE_DAYS = 4 * 365, 90
NEVER_TRAINED_SHARE = 0.12
OFFICE_ID_OFFSET = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="20x smaller")
    parser.add_argument("--database-url", help="PostgreSQL server (default SQLite)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--samples", type=int, default=Sizes.samples)
    args = parser.parse_args(argv)
    sizes = replace(
        Sizes().divided(20) if args.small else Sizes(), samples=args.samples
    )
    logging.getLogger("trainers").setLevel(logging.WARNING)
    tenth = _run(sizes.divided(10), args, full=False)
    _say("dashboard_sql_statements_at_tenth", tenth)
    _run(sizes, args, full=True)
    return 0


def _run(sizes: Sizes, args, full: bool) -> int:
    """Build a database of `sizes`; at full size print every figure, else return
    the dashboard's statement count."""
    with network._database(args.database_url) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        app.test_client_class = FlaskLoginClient
        with app.app_context():
            try:
                db.create_all()
                now = utcnow()
                started = time.perf_counter()
                built = _build(sizes, random.Random(args.seed), now)
                build_seconds = time.perf_counter() - started
                office = db.session.get(User, built["office_id"])
                # As wsgi.py does in each server process once the app is loaded.
                gc.collect()
                gc.freeze()
                browser = app.test_client(user=office)
                statements = _count_statements(browser)
                if not full:
                    return statements
                _say("database", make_url(url).get_backend_name())
                _say("cores", os.cpu_count())
                _say("load_average_before", f"{os.getloadavg()[0]:.1f}")
                for name in ("groups", "trainers", "sessions", "requests"):
                    _say(name, built[name])
                _say("build_seconds", f"{build_seconds:.1f}")
                _time_dashboard(browser, sizes, built)
                _say("dashboard_sql_statements", statements)
                _time_exports(browser)
                _time_cold_spots(now)
                _say("load_average_after", f"{os.getloadavg()[0]:.1f}")
                return statements
            finally:
                gc.unfreeze()
                db.session.remove()
                db.engine.dispose()


def _say(name: str, value) -> None:
    print(f"{name}: {value}", flush=True)


def _get(browser, path: str) -> bytes:
    """The page as a browser would get it: each request in an app context (and
    so a database session) of its own, the signed-in user loaded afresh."""
    with browser.application.app_context():
        response = browser.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        return response.get_data()


def _count_statements(browser) -> int:
    """Statements sent to the database while the dashboard renders once."""
    count = 0

    def counted(*_):
        nonlocal count
        count += 1

    _get(browser, "/office/coverage/")  # pools a connection, fills caches
    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        _get(browser, "/office/coverage/")
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    return count


def _time_dashboard(browser, sizes: Sizes, built: dict) -> None:
    def timings(path: str) -> tuple[list[float], list[float]]:
        for _ in range(sizes.warm_up):
            _get(browser, path)
        wall, cpu = [], []
        for _ in range(sizes.samples):
            started, used = time.perf_counter(), _cpu_seconds()
            _get(browser, path)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((_cpu_seconds() - used) * 1000)
        return wall, cpu

    plain, cpu = timings("/office/coverage/")
    _say("dashboard_samples", len(plain))
    _say("dashboard_p50_ms", f"{statistics.median(plain):.1f}")
    _say("dashboard_p95_ms", f"{network._percentile(plain, 95):.1f}")
    _say("dashboard_cpu_p50_ms", f"{statistics.median(cpu):.1f}")
    _say("dashboard_cpu_p95_ms", f"{network._percentile(cpu, 95):.1f}")
    region, topic_id = built["busiest_region"], 1
    narrowed, _ = timings(f"/office/coverage/?region={region}&topic={topic_id}")
    _say("dashboard_region_topic_p50_ms", f"{statistics.median(narrowed):.1f}")
    _say("dashboard_region_topic_p95_ms", f"{network._percentile(narrowed, 95):.1f}")
    _say("dashboard_bytes", len(_get(browser, "/office/coverage/")))


def _cpu_seconds() -> float:
    """CPU used so far by this process and, for a PostgreSQL server on this
    machine, by the database's backends: what the pages cost, however busy the
    machine is with other work."""
    used = time.process_time()
    if db.engine.dialect.name != "postgresql":
        return used
    pids = db.session.execute(
        text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
    ).scalars()
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a server on another machine, or a backend just gone
            continue
        used += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    db.session.rollback()
    return used


def _time_exports(browser) -> None:
    rows = seconds = 0
    for table in EXPORTS:
        started = time.perf_counter()
        body = _get(browser, f"/office/coverage/{table}.csv")
        elapsed = time.perf_counter() - started
        lines = body.count(b"\r\n") - 1  # less the header
        _say(f"export_{table}_rows", lines)
        _say(f"export_{table}_ms", f"{elapsed * 1000:.1f}")
        rows += lines
        seconds += elapsed
    _say("export_rows_per_s", f"{rows / seconds:,.0f}")


def _time_cold_spots(now: datetime) -> None:
    try:
        from trainers.coverage.recruiting.coldspots import cold_spots
    except ImportError:
        _say(
            "cold_spots_ms",
            "n/a (trainers.coverage.recruiting.coldspots not there yet)",
        )
        return
    filters = default_filters(to_local(now).date())
    cold_spots(filters, now)  # warm: districts and caches loaded once per process
    found = []
    for _ in range(5):
        started = time.perf_counter()
        cold_spots(filters, now)
        found.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    _say("cold_spots_ms", f"{statistics.median(found):.1f}")


def _build(sizes: Sizes, rng: random.Random, now: datetime) -> dict:
    """Bulk-insert the network and its history; returns what is worth printing."""
    places = network._weighted_places(rng, sizes.trainers + sizes.groups, None)
    trainers = network._trainers(sizes, rng, places[: sizes.trainers], now)
    office_id = sizes.trainers + OFFICE_ID_OFFSET
    trainers["users"].append(
        {
            "id": office_id,
            "email": "office@bench.invalid",
            "name": "Office",
            "password_hash": "!",
            "is_office": True,
        }
    )
    groups = [
        {
            "id": n,
            # Every hundredth name is one a spreadsheet would run as a formula.
            "name": f"=Group {n}" if n % 100 == 0 else f"Group {n} {place.district}",
            "region": place.region,
            "postcode_district": place.district,
            "latitude": place.latitude,
            "longitude": place.longitude,
        }
        for n, place in enumerate(places[sizes.trainers :], start=1)
    ]
    topics = [
        {"id": n, "name": name, "default_minutes": minutes, "is_online_capable": online}
        for n, (name, minutes, online) in enumerate(network.TOPICS, start=1)
    ]
    history = _history(sizes, rng, trainers, groups, now)
    unbooked, slots = _unbooked(sizes, rng, groups, now)
    requests = history["requests"] + unbooked
    _number_in_order(requests, history["sessions"], history["attendances"], slots)
    _insert(
        (Topic, topics),
        (User, trainers["users"]),
        (TrainerProfile, trainers["profiles"]),
        (TrainerTopic, trainers["topics"]),
        (AvailabilityWindow, trainers["windows"]),
        (DayOff, trainers["days_off"]),
        (Group, groups),
        (TrainingRequest, requests),
        (RequestSlot, slots),
        (TrainingSession, history["sessions"]),
        (Attendance, history["attendances"]),
    )
    by_region: dict[str, int] = defaultdict(int)
    for group in groups:
        by_region[group["region"]] += 1
    return {
        "office_id": office_id,
        "groups": len(groups),
        "trainers": sizes.trainers,
        "sessions": len(history["sessions"]),
        "requests": len(requests),
        "busiest_region": max(by_region, key=by_region.get).replace(" ", "+"),
    }


def _insert(*tables) -> None:
    for model, rows in tables:
        network._insert(model, rows)
    db.session.commit()
    # The triggers logged every row; the scheduler folds the log every minute.
    folded = time.perf_counter()
    changes = fold_changes(db.session)
    db.session.commit()
    _say("fold_changes", changes)
    _say("fold_seconds", f"{time.perf_counter() - folded:.1f}")
    # As autovacuum would soon after such a load: the planner needs statistics,
    # and PostgreSQL's index-only scans need the visibility map a vacuum sets.
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _history(sizes, rng, trainers, groups, now) -> dict[str, list[dict]]:
    """Sessions over the past four years and the next three months, each with
    the request behind it and, once delivered, its attendance. Trainers are
    chosen within reach and kept under their monthly cap where they can be."""
    qualified: dict[int, list[int]] = defaultdict(list)
    for row in trainers["topics"]:
        if row["level"] == "qualified":
            qualified[row["trainer_id"]].append(row["topic_id"])
    profiles = trainers["profiles"]
    caps = {p["user_id"]: p["monthly_cap"] for p in profiles}
    reach = network._in_reach(profiles, groups)
    served = rng.sample(groups, round(len(groups) * (1 - NEVER_TRAINED_SHARE)))
    weights = [rng.paretovariate(1.5) for _ in served]
    chosen_groups = rng.choices(served, weights, k=sizes.sessions)
    per_month: dict[tuple, int] = defaultdict(int)
    rows: dict[str, list[dict]] = defaultdict(list)
    topics = len(network.TOPICS)
    # Each trainer's half-hours taken: one trainer's sessions never overlap
    # (PostgreSQL refuses it), so a session a trainer cannot take then moves
    # on a day at a time.
    taken: dict[int, set[int]] = defaultdict(set)
    for group in chosen_groups:
        half_hour = rng.randint(-PAST_DAYS * 48, FUTURE_DAYS * 48)
        local = to_local(now + timedelta(minutes=30 * half_hour))
        nearby = reach[group["id"]] or [rng.randint(1, sizes.trainers)]
        trainer_id = rng.choice(nearby)
        for _ in range(3):
            if per_month[trainer_id, local.year, local.month] < caps[trainer_id]:
                break
            trainer_id = rng.choice(nearby)
        while taken[trainer_id].intersection(range(half_hour, half_hour + 4)):
            half_hour += 48
        taken[trainer_id].update(range(half_hour, half_hour + 4))
        starts_at = now + timedelta(minutes=30 * half_hour)
        local = to_local(starts_at)
        per_month[trainer_id, local.year, local.month] += 1
        topic_id = rng.choice(qualified[trainer_id] or [rng.randint(1, topics)])
        ends_at = starts_at + timedelta(hours=2)
        requested_at = min(now, starts_at - timedelta(days=rng.randint(7, 60)))
        booked_at = min(now, requested_at + timedelta(hours=rng.expovariate(1 / 60)))
        past = ends_at < now
        luck = rng.random()
        if past:
            status = (
                SessionStatus.DELIVERED
                if luck < 0.93
                else SessionStatus.CANCELLED
                if luck < 0.97
                else SessionStatus.BOOKED  # attendance never recorded
            )
        else:
            status = SessionStatus.BOOKED if luck < 0.95 else SessionStatus.CANCELLED
        request = {
            "group_id": group["id"],
            "topic_id": topic_id,
            "status": RequestStatus(status.value),
            "is_online": False,
            "venue_postcode": group["postcode_district"],
            "venue_district": group["postcode_district"],
            "venue_latitude": group["latitude"],
            "venue_longitude": group["longitude"],
            "expected_attendance": rng.randint(5, 40),
            "created_at": requested_at,
            "status_changed_at": booked_at,
            "first_booked_at": booked_at,
            "hours_to_booking": (booked_at - requested_at) // timedelta(hours=1),
        }
        rows["requests"].append(request)
        session = {
            "request_id": request,
            "trainer_id": trainer_id,
            "group_id": group["id"],
            "topic_id": topic_id,
            "status": status,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "is_online": False,
            "venue_postcode": group["postcode_district"],
            "created_at": booked_at,
            "updated_at": booked_at,
        }
        rows["sessions"].append(session)
        if status == SessionStatus.DELIVERED:
            headcount = rng.randint(4, 35)
            rows["attendances"].append(
                {
                    "session_id": session,
                    "headcount": headcount,
                    "people_count": headcount + rng.choice((0, 0, 0, 1, 2, 3)),
                    "recorded_at": ends_at + timedelta(hours=20),
                    "updated_at": ends_at + timedelta(hours=20),
                    "rating": rng.choice((None, 3, 4, 4, 5, 5)),
                }
            )
    return rows


def _unbooked(sizes, rng, groups, now) -> tuple[list[dict], list[dict]]:
    """Requests never booked: unfilled or cancelled over the years, and open
    ones made in the last month; one slot each."""
    requests, slots = [], []
    for _ in range(sizes.unbooked_requests):
        group = rng.choice(groups)
        luck = rng.random()
        if luck < 0.3:
            status = rng.choice((RequestStatus.SUBMITTED, RequestStatus.OFFERED))
            created_at = now - timedelta(minutes=rng.randint(60, 30 * 24 * 60))
        else:
            status = RequestStatus.UNFILLED if luck < 0.7 else RequestStatus.CANCELLED
            created_at = now - timedelta(minutes=rng.randint(60, PAST_DAYS * 1440))
        slot_at = created_at + timedelta(days=rng.randint(14, 60))
        request = {
            "group_id": group["id"],
            "topic_id": rng.randint(1, len(network.TOPICS)),
            "status": status,
            "is_online": False,
            "venue_postcode": group["postcode_district"],
            "venue_district": group["postcode_district"],
            "venue_latitude": group["latitude"],
            "venue_longitude": group["longitude"],
            "expected_attendance": rng.randint(5, 40),
            "created_at": created_at,
            "status_changed_at": created_at + timedelta(days=2),
        }
        requests.append(request)
        slots.append(
            {
                "id": len(slots) + 1,
                "request_id": request,
                "starts_at": slot_at,
                "ends_at": slot_at + timedelta(hours=2),
            }
        )
    return requests, slots


def _number_in_order(requests, sessions, attendances, slots) -> None:
    """Give requests and sessions ids in the order they were made, as the
    database would have, and turn each row's reference to another into its id."""
    for rows in (requests, sessions):
        rows.sort(key=lambda row: row["created_at"])
        for n, row in enumerate(rows, start=1):
            row["id"] = n
    for row in sessions:
        row["ical_uid"] = f"{row['id']}@bench"
    for rows, key in ((sessions, "request_id"), (slots, "request_id")):
        for row in rows:
            row[key] = row[key]["id"]
    for row in attendances:
        row["session_id"] = row["session_id"]["id"]
    attendances.sort(key=lambda row: row["session_id"])


if __name__ == "__main__":
    sys.exit(main())
