"""The office's long lists at national size: the request list and the list of
people, each page fetched through the app with the searches and filters the
office types most, timed.

    python bench/office_lists.py [--small] [--database-url URL] [--seed N] [--samples N]

Without --database-url it uses a temporary SQLite file. With a PostgreSQL URL
it creates a database of its own on that server and drops it afterwards, so the
named database is never touched. Prints `name: value` lines (bench/README.md).
Target: every page's median and p95 at most 100 ms. Each page's CPU (this
process's and, for a PostgreSQL server on this machine, its backends', as
bench/coverage.py reads it) is printed beside, as the machine may be busy.
"""

import argparse
import gc
import logging
import os
import random
import statistics
import sys
from dataclasses import replace
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `config` lives at the root, beside `trainers`

# The coverage benchmark's network and history, signed-in browser and page
# fetch; the load benchmark's organisers; the matching benchmark's database.
import coverage  # noqa: E402
import load  # noqa: E402
import matching  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from trainers import create_app  # noqa: E402
from trainers.auth.models import User  # noqa: E402
from trainers.extensions import db  # noqa: E402
from trainers.network.models import Group, group_organisers  # noqa: E402
from trainers.timeutil import utcnow  # noqa: E402

# 45,000 sessions, each with the request it took, and 15,000 requests never
# booked: 60,000 requests.
FULL = coverage.Sizes(
    groups=3000, trainers=5000, sessions=45_000, unbooked_requests=15_000, samples=30
)
TARGET_MS = 100


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="20x smaller")
    parser.add_argument("--database-url", help="PostgreSQL server (default SQLite)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--samples", type=int, default=FULL.samples)
    args = parser.parse_args(argv)
    sizes = replace(FULL.divided(20) if args.small else FULL, samples=args.samples)
    logging.getLogger("trainers").setLevel(logging.WARNING)
    rng = random.Random(args.seed)
    with matching._database(args.database_url) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        app.test_client_class = coverage.SignedInClient
        with app.app_context():
            try:
                db.create_all()
                started = perf_counter()
                built = coverage._build(sizes, rng, utcnow())
                organisers = load._add_organisers(rng)
                coverage.analyse()
                _say("database", make_url(url).get_backend_name())
                _say("cores", os.cpu_count())
                _say("load_average_before", f"{os.getloadavg()[0]:.1f}")
                for name in ("groups", "trainers", "requests"):
                    _say(name, built[name])
                _say("organisers", organisers)
                _say("accounts", db.session.scalar(select(func.count(User.id))))
                _say("build_seconds", f"{perf_counter() - started:.1f}")
                gc.collect()
                gc.freeze()  # as wsgi.py does once the app is loaded
                office = db.session.get(User, built["office_id"])
                missed = _time_pages(app, office, _pages(built), sizes)
                _say("pages_over_target", missed)
                _say("load_average_after", f"{os.getloadavg()[0]:.1f}")
            finally:
                gc.unfreeze()
                db.session.remove()
                db.engine.dispose()
    return 0


def _say(name: str, value) -> None:
    print(f"{name}: {value}", flush=True)


def _pages(built: dict) -> dict[str, str]:
    """Each timed page by name, with the searches the office types most: part
    of a group's name, part of a person's surname, a region and a topic."""
    region = built["busiest_region"]
    group_word = db.session.scalar(select(Group.name).where(Group.id == 7)).split()[0]
    surname = db.session.scalar(select(User.name).where(User.id == 11)).split()[-1]
    return {
        "requests": "/requests/",
        "requests_status": "/requests/?status=submitted",
        "requests_group": f"/requests/?group={group_word[:5]}",
        "requests_region_topic": f"/requests/?region={region}&topic_id=1",
        "requests_status_region": f"/requests/?status=booked&region={region}",
        "requests_page_100": "/requests/?page=100",
        "people": "/office/people",
        "people_search": f"/office/people?search={surname[:4]}",
        "people_group": f"/office/people?group={group_word[:5]}",
        "people_trainers_region": f"/office/people?role=trainer&region={region}",
        "people_topic_active": "/office/people?topic_id=1&status=active",
        "people_organisers_page_20": "/office/people?role=organiser&page=20",
    }


def _time_pages(app, office: User, pages: dict[str, str], sizes) -> int:
    """Time every page as the office, and the request list as an organiser of
    two groups; return how many pages missed the target."""
    browsers = {"office": app.test_client(user=office)}
    organiser_id = db.session.scalar(
        select(group_organisers.c.user_id)
        .group_by(group_organisers.c.user_id)
        .having(func.count() > 1)
        .limit(1)
    )
    browsers["organiser"] = app.test_client(user=db.session.get(User, organiser_id))
    timed = [("office", name, path) for name, path in pages.items()]
    timed.append(("organiser", "organiser_requests", "/requests/"))
    timed.append(("organiser", "organiser_requests_group", "/requests/?group=a"))
    missed = 0
    for who, name, path in timed:
        browser = browsers[who]
        for _ in range(sizes.warm_up):
            coverage._get(browser, path)
        wall, cpu = [], []
        for _ in range(sizes.samples):
            started, used = perf_counter(), coverage._cpu_seconds()
            coverage._get(browser, path)
            wall.append((perf_counter() - started) * 1000)
            cpu.append((coverage._cpu_seconds() - used) * 1000)
        median, p95 = statistics.median(wall), matching._percentile(wall, 95)
        _say(f"{name}_median_ms", f"{median:.1f}")
        _say(f"{name}_p95_ms", f"{p95:.1f}")
        _say(f"{name}_cpu_median_ms", f"{statistics.median(cpu):.1f}")
        missed += p95 > TARGET_MS
    return missed


if __name__ == "__main__":
    sys.exit(main())
