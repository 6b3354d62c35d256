"""The office's calendar feed at national scale: prints `name: value` lines.

    .venv/bin/python bench/office_feed.py [--database-url URL] [--seed N] [--fetches N]

PostgreSQL only (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
Creates a database of its own on that server (the named database is never
touched) and drops it at the end. Builds it as bench/load.py does: the schema
with `flask db upgrade`, bench/matching.py's national network (50,000 sessions
over the past year and the next 3 months), an organiser for every group, then
gives the sessions what real ones carry (an address or a meeting link, access
needs and notes on some, phone numbers on half the people), settles the
database, and times the office's feed through the app's own view
(bench/README.md).
"""

import argparse
import logging
import random
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for folder in (ROOT, BENCH):  # `config` and `trainers` at the root; the benches here
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import load  # noqa: E402 - bench/load.py: migrations, organisers, settling
import matching as network  # noqa: E402 - bench/matching.py builds the network
from sqlalchemy import String, case, cast, insert, literal, update  # noqa: E402

from trainers import create_app  # noqa: E402
from trainers.auth.models import User  # noqa: E402
from trainers.calendar import feed, feed_links  # noqa: E402
from trainers.extensions import db  # noqa: E402
from trainers.requests.models import TrainingRequest  # noqa: E402
from trainers.sessions.models import TrainingSession  # noqa: E402
from trainers.timeutil import utcnow  # noqa: E402

ACCESS_NEEDS = (
    "Step-free access, please: one of us uses a wheelchair, and another needs "
    "the hearing loop switched on."
)
NOTES = (
    "Please bring printed handouts for everyone. The hall opens 15 minutes "
    "before the start; park behind the library, not in the church car park."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=load.DEFAULT_URL, help="PostgreSQL")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--fetches", type=int, default=7, help="timed full fetches")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with network._database(args.database_url) as url:
        started = time.perf_counter()
        load._migrate(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "BASE_URL": "http://bench"})
        logging.getLogger("trainers").setLevel(logging.ERROR)
        with app.app_context():
            try:
                now = utcnow()
                token = _build(rng, now)
                _say("build_seconds", f"{time.perf_counter() - started:.1f}")
                _time(app, token, args.fetches, url)
            finally:
                db.session.remove()
                db.engine.dispose()
    return 0


def _say(name: str, value) -> None:
    print(f"{name}: {value}", flush=True)


def _build(rng: random.Random, now) -> str:
    """The network with real sessions' details and an office account's feed
    link; returns the link's token."""
    built = network._build(network.Sizes(), rng, now)
    _say("sessions", built["sessions"])
    _say("organisers", load._add_organisers(rng))
    load._advance_sequences()
    sessions, requests = TrainingSession.__table__, TrainingRequest.__table__
    online = sessions.c.id % 7 == 0
    db.session.execute(
        update(sessions).values(
            is_online=online,
            venue_postcode=case((online, None), else_=sessions.c.venue_postcode),
            venue_address=case(
                (online, ""),
                else_=literal("Community Hall\n")
                + cast(sessions.c.id % 200 + 1, String)
                + " High Street",
            ),
            meeting_url=case(
                (
                    online,
                    literal("https://meet.example.org/bench-")
                    + cast(sessions.c.id, String),
                ),
                else_=None,
            ),
        )
    )
    db.session.execute(
        update(requests).values(
            accessibility_needs=case(
                (requests.c.id % 3 == 0, ACCESS_NEEDS),
                else_=requests.c.accessibility_needs,
            ),
            notes=case((requests.c.id % 2 == 0, NOTES), else_=requests.c.notes),
        )
    )
    users = User.__table__
    db.session.execute(
        update(users)
        .where(users.c.id % 2 == 0)
        .values(phone=literal("07700 9") + cast(users.c.id % 100000, String))
    )
    office_id = db.session.scalar(
        insert(users)
        .values(
            email="office@bench.example.org",
            name="The Office",
            password_hash="!",  # noqa: S106 - no sign-in
            is_office=True,
            is_active=True,
        )
        .returning(users.c.id)
    )
    token = feed_links.start_feed(db.session.get(User, office_id), now)
    db.session.commit()
    load._settle()
    return token


def _time(app, token: str, fetches: int, url: str) -> None:
    """A full fetch (a 200: the version, then the body) `fetches` times with
    the events drawn afresh each time, as a worker that has not drawn them yet
    (or, before, drawing more events than its cache holds) draws them; the
    same with the events already drawn; and an unchanged poll (a 304)."""
    client = app.test_client()
    path = f"/calendar/{token}.ics"
    with load._backends(url) as backends:

        def server_cpu() -> float:
            return time.process_time() + load._cpu(backends())

        def fetch(headers=None, cold=False):
            if cold:
                feed._feed_event.cache_clear()
            cpu, wall = server_cpu(), time.perf_counter()
            response = client.get(path, headers=headers or {})
            elapsed = time.perf_counter() - wall
            return response, elapsed * 1000, (server_cpu() - cpu) * 1000

        first, _, _ = fetch(cold=True)
        if first.status_code != 200:
            raise SystemExit(f"the office's feed answered {first.status}")
        cold = [fetch(cold=True) for _ in range(fetches)]
        warm = [fetch() for _ in range(fetches)]
        etag = {"If-None-Match": first.headers["ETag"]}
        polls = [fetch(etag) for _ in range(fetches)]
    if not all(r.data == first.data for r, _, _ in cold + warm) or not all(
        r.status_code == 304 for r, _, _ in polls
    ):
        raise SystemExit("the feed changed while it was timed")
    _say("office_feed_events", first.data.count(b"BEGIN:VEVENT"))
    _say("office_feed_bytes", len(first.data))
    _say(
        "office_feed_bytes_per_event",
        round(len(first.data) / max(1, first.data.count(b"BEGIN:VEVENT"))),
    )
    for name, timed in (("", cold), ("_cached", warm), ("_304", polls)):
        _say(
            f"office_feed{name}_ms", f"{statistics.median(t for _, t, _ in timed):.1f}"
        )
        _say(
            f"office_feed{name}_cpu_ms",
            f"{statistics.median(c for _, _, c in timed):.1f}",
        )


if __name__ == "__main__":
    raise SystemExit(main())
