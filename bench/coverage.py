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
from collections import Counter
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `config` lives at the root, beside `trainers`

# The matching benchmark's database, network and rows, shared.
import matching  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from trainers import create_app  # noqa: E402
from trainers.auth import sign_ins  # noqa: E402
from trainers.auth.models import User  # noqa: E402
from trainers.coverage.dashboard.exports import EXPORTS  # noqa: E402
from trainers.coverage.filters import default_filters  # noqa: E402
from trainers.coverage.summary import fold_changes  # noqa: E402
from trainers.demo.history import draw_sessions, draw_unbooked  # noqa: E402
from trainers.extensions import db  # noqa: E402
from trainers.network.models import Group  # noqa: E402
from trainers.requests.models import TrainingRequest  # noqa: E402
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
NEVER_TRAINED = 0.12  # the share of groups never trained


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


class SignedInClient(FlaskClient):
    """`app.test_client(user=office)`: signed in as the sign-in page would, with
    its sign-in recorded, so the dashboard's figures include the check of it."""

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        token = sign_ins.start(user, False, "", utcnow())
        db.session.commit()
        with self.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session[sign_ins.SESSION_KEY] = token


def _run(sizes: Sizes, args, full: bool) -> int:
    """Build a database of `sizes`; at full size print every figure, else return
    the dashboard's statement count."""
    with matching._database(args.database_url) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        app.test_client_class = SignedInClient
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
    _say("dashboard_p95_ms", f"{matching._percentile(plain, 95):.1f}")
    _say("dashboard_cpu_p50_ms", f"{statistics.median(cpu):.1f}")
    _say("dashboard_cpu_p95_ms", f"{matching._percentile(cpu, 95):.1f}")
    region, topic_id = built["busiest_region"], 1
    narrowed, _ = timings(f"/office/coverage/?region={region}&topic={topic_id}")
    _say("dashboard_region_topic_p50_ms", f"{statistics.median(narrowed):.1f}")
    _say("dashboard_region_topic_p95_ms", f"{matching._percentile(narrowed, 95):.1f}")
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
    network = matching._network(rng, sizes.groups, sizes.trainers, None, now)
    held = draw_sessions(
        rng, network, sizes.sessions, now, (-PAST_DAYS, FUTURE_DAYS), NEVER_TRAINED
    )
    unbooked = draw_unbooked(
        rng, network, sizes.unbooked_requests, now, past_days=PAST_DAYS
    )
    tables = matching._rows(network, held, unbooked)
    office_id = len(network.trainers) + 1
    tables[User].append(
        {
            "id": office_id,
            "email": "office@bench.invalid",
            "name": "Office",
            "password_hash": "!",
            "is_office": True,
        }
    )
    for row in tables[Group][99::100]:
        # Every hundredth name is one a spreadsheet would run as a formula.
        row["name"] = f"={row['name']}"
    _insert(tables)
    regions = Counter(group.place.region for group in network.groups)
    return {
        "office_id": office_id,
        "groups": len(network.groups),
        "trainers": len(network.trainers),
        "sessions": len(held),
        "requests": len(tables[TrainingRequest]),
        "busiest_region": regions.most_common(1)[0][0].replace(" ", "+"),
    }


def _insert(tables: dict[type, list[dict]]) -> None:
    for model, rows in tables.items():
        matching._insert(model, rows)
    db.session.commit()
    # The triggers logged every row; the scheduler folds the log every minute.
    folded = time.perf_counter()
    changes = fold_changes(db.session)
    db.session.commit()
    _say("fold_changes", changes)
    _say("fold_seconds", f"{time.perf_counter() - folded:.1f}")
    analyse()


def analyse() -> None:
    """As autovacuum would soon after a bulk load: the planner needs statistics,
    and PostgreSQL's index-only scans need the visibility map a vacuum sets."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


if __name__ == "__main__":
    sys.exit(main())
