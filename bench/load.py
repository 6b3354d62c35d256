"""Load benchmark: the app under gunicorn on PostgreSQL with a national network,
driven over loopback by a bounded load generator, beside a bare Flask hello-world.

    python bench/load.py [--quick] [--database-url URL] [--seed N] [--clients N]
                         [--pages accept_offer,...]

Creates a database of its own on the PostgreSQL server in --database-url (the
named database is never touched) and drops it at the end. Builds it with
`flask db upgrade` and the national network of bench/matching.py, adds an
organiser for every group, offers open requests through the real matching
service, then serves it with gunicorn (4 sync workers) and a hello-world app the
same way. Each page is driven on its own by --clients threads, each thread a few
signed-in people on keep-alive connections, for a fixed time (or, for accepting
offers, a fixed number of offers); then a realistic mix runs. The JSON API's
list of requests and its acceptance of an offer run in the same way beside the
pages that show the same (each person has an API token), and both lists once
more by one client at a time, for their latency without a queue. Prints req/s
and p95 per page, `ratio_to_hello`, and the server side's CPU per request
(gunicorn and PostgreSQL, from /proc), which the machine's other work does not
change much (bench/README.md).
"""

import argparse
import http.client
import json
import logging
import math
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for folder in (ROOT, BENCH):  # `config` and `trainers` at the root; `matching` here
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import matching as network  # noqa: E402 - bench/matching.py builds the network
import psycopg  # noqa: E402
from sqlalchemy import func, insert, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from trainers import create_app  # noqa: E402
from trainers.auth.api_tokens import create_token  # noqa: E402
from trainers.auth.models import User  # noqa: E402
from trainers.calendar.feed_links import start_feed  # noqa: E402
from trainers.extensions import db  # noqa: E402
from trainers.matching.models import Offer, OfferStatus  # noqa: E402
from trainers.matching.offers import offer_request  # noqa: E402
from trainers.network.models import Group, group_organisers  # noqa: E402
from trainers.requests.models import RequestStatus, TrainingRequest  # noqa: E402
from trainers.requests.views import PER_PAGE  # noqa: E402
from trainers.sessions.models import SessionStatus, TrainingSession  # noqa: E402
from trainers.timeutil import utcnow  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "bench-load-password"  # noqa: S105 - a scratch database's users
WORKERS = 4
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# The hello-world that every page is compared with (gunicorn serves `load:hello`).
hello = Flask("hello")


@hello.route("/")
def hello_world() -> str:
    return "Hello, World!"


@dataclass(frozen=True)
class Plan:
    """How big and how long."""

    sizes: network.Sizes
    offered_requests: int  # open requests offered through the matching service
    browsers: int  # signed-in trainers and as many organisers
    seconds: float  # each page on its own
    mix_seconds: float  # the realistic mix
    warm_seconds: float


FULL = Plan(network.Sizes(), 150, 40, 10, 30, 2)
QUICK = Plan(network.Sizes().scaled(10, None), 40, 12, 3, 6, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x less data, short")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="PostgreSQL")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--clients", type=int, default=8, help="concurrent threads")
    parser.add_argument(
        "--pages",
        help="only these pages, comma-separated (e.g. accept_offer), and no mix",
    )
    args = parser.parse_args(argv)
    only = set(args.pages.split(",")) if args.pages else None
    known = {page for page, _, _ in PAGES} | {"accept_offer", "api_accept_offer"}
    if only and not only <= known:
        parser.error(f"--pages: choose from {', '.join(sorted(known))}")
    plan = QUICK if args.quick else FULL
    rng = random.Random(args.seed)
    _say("cpus", os.cpu_count())
    _say("load_average_before", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    with (
        network._database(args.database_url) as url,
        tempfile.TemporaryDirectory(prefix="bench-load-") as folder,
    ):
        started = time.perf_counter()
        _migrate(url)
        people = _build(url, plan, rng)
        _say("build_seconds", f"{time.perf_counter() - started:.1f}")
        env = _server_env(url, Path(folder))
        with (
            _gunicorn("wsgi:app", ROOT, env, Path(folder) / "app.log", url) as app,
            _gunicorn("load:hello", BENCH, env, Path(folder) / "hello.log") as hello,
        ):
            results = _drive(plan, people, app, hello, args.clients, rng, only)
        problems = _log_problems(Path(folder) / "app.log")
    _report(results)
    print()
    _mix_report(results)
    _say("app_log_errors", len(problems))
    for line in problems[:5]:
        print(f"  {line}")
    _say("load_average_after", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


def _log_problems(log: Path) -> list[str]:
    """The app's and gunicorn's ERROR and CRITICAL lines, and tracebacks' last lines."""
    lines = log.read_text(errors="replace").splitlines()
    return [
        line
        for n, line in enumerate(lines)
        if line.startswith(("ERROR", "CRITICAL"))
        or " [ERROR] " in line
        or " [CRITICAL] " in line  # gunicorn's own, e.g. a worker timing out
        or (n > 0 and lines[n - 1].startswith("  ") and "Error" in line.split(":")[0])
    ]


def _say(name: str, value) -> None:
    print(f"{name}: {value}", flush=True)


def _migrate(url: str) -> None:
    """The release step: build the schema with the app's own migrations."""
    subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
    )


# The data: bench/matching.py's network, then organisers, offers and feeds.


@dataclass
class Person:
    """A signed-in visitor and the pages that are theirs to open."""

    email: str
    role: str  # "trainer" or "organiser"
    sessions: list[int]
    requests: list[int] = field(default_factory=list)
    offers: list[int] = field(default_factory=list)  # pending: to open
    to_accept: deque[int] = field(default_factory=deque)  # one per request
    feed: str = ""
    token: str = ""  # an API token that may write


def _build(url: str, plan: Plan, rng: random.Random) -> list[Person]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "BASE_URL": "http://bench"})
    # Quiet: offering a few requests nobody can take logs a warning each.
    logging.getLogger("trainers").setLevel(logging.ERROR)
    with app.app_context():
        try:
            now = utcnow()
            built = network._build(plan.sizes, rng, now)
            for name, value in built.items():
                _say(name, value)
            _say("organisers", _add_organisers(rng))
            _advance_sequences()
            offered = _offer(plan.offered_requests, rng, now)
            _say("offers_pending", offered)
            db.session.commit()
            people = _people(plan.browsers, rng, now)
            db.session.commit()
            _settle()
            return people
        finally:
            db.session.remove()
            db.engine.dispose()


def _settle() -> None:
    """The database as it stands once autovacuum has been by after such a load
    (bench/coverage.py does the same): statistics for the planner, and the
    visibility map that PostgreSQL's index-only scans need. Then a checkpoint,
    so that the load's writes are not flushed to disk while pages are timed."""
    with db.engine.connect().execution_options(
        isolation_level="AUTOCOMMIT"
    ) as connection:
        connection.execute(text("VACUUM ANALYZE"))
        try:
            connection.execute(text("CHECKPOINT"))
        except DBAPIError:  # needs a superuser or pg_checkpoint
            _say("checkpoint", "not allowed for this user: skipped")


def _add_organisers(rng: random.Random) -> int:
    """An organiser for every group, a fifth of them for a neighbouring group too;
    every account gets the same password."""
    first = db.session.scalar(select(func.max(User.id))) + 1
    group_ids = list(db.session.scalars(select(Group.id).order_by(Group.id)))
    users, links = [], []
    for n, group_id in enumerate(group_ids):
        user_id = first + n
        users.append(
            {
                "id": user_id,
                "email": f"organiser{n + 1}@bench.example.org",
                "name": f"Organiser {n + 1}",
                "password_hash": "!",
            }
        )
        links.append({"group_id": group_id, "user_id": user_id})
        if rng.random() < 0.2 and n + 1 < len(group_ids):
            links.append({"group_id": group_ids[n + 1], "user_id": user_id})
    network._insert(User, users)
    for start in range(0, len(links), 5000):
        db.session.execute(insert(group_organisers), links[start : start + 5000])
    # A cheap hash, not the app's scrypt (about 0.1 s of CPU a sign-in on purpose),
    # so that signing hundreds of people in does not take minutes.
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    # The sign-in form refuses the reserved .invalid domain bench/matching.py uses.
    db.session.execute(
        update(User).values(
            password_hash=password_hash,
            email=func.replace(User.email, "@bench.invalid", "@bench.example.org"),
        )
    )
    db.session.commit()
    return len(users)


def _advance_sequences() -> None:
    """Rows were inserted with explicit ids: move each id sequence past them, so
    the app's own inserts (bookings, events) get fresh ids."""
    for table in db.metadata.sorted_tables:
        if "id" not in table.c:
            continue
        sequence = db.session.scalar(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        )
        if sequence:
            db.session.execute(
                text(
                    f"SELECT setval('{sequence}', "  # noqa: S608 - our own names
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                )
            )
    db.session.commit()


def _offer(count: int, rng: random.Random, now: datetime) -> int:
    """Offer open requests as a submitted request is: to the best candidates."""
    ids = list(
        db.session.scalars(
            select(TrainingRequest.id)
            .where(TrainingRequest.status == RequestStatus.SUBMITTED)
            .order_by(TrainingRequest.id)
        )
    )
    for request_id in rng.sample(ids, min(count, len(ids))):
        offer_request(db.session.get(TrainingRequest, request_id), now)
        db.session.commit()
    return db.session.scalar(
        select(func.count())
        .select_from(Offer)
        .where(Offer.status == OfferStatus.PENDING)
    )


def _people(count: int, rng: random.Random, now: datetime) -> list[Person]:
    """The visitors: every trainer with an offer to accept (one per request), more
    trainers with upcoming sessions up to `count`, and `count` organisers."""
    pending = db.session.execute(
        select(Offer.id, Offer.trainer_id, Offer.request_id)
        .where(Offer.status == OfferStatus.PENDING)
        .order_by(Offer.request_id, Offer.score.desc())
    ).all()
    offers, accept, seen = defaultdict(list), defaultdict(deque), set()
    for offer_id, trainer_id, request_id in pending:
        offers[trainer_id].append(offer_id)
        if request_id not in seen:
            seen.add(request_id)
            accept[trainer_id].append(offer_id)
    busy = list(
        db.session.scalars(
            select(TrainingSession.trainer_id)
            .join(User, User.id == TrainingSession.trainer_id)
            .where(
                User.is_active,
                TrainingSession.status == SessionStatus.BOOKED,
                TrainingSession.starts_at > now,
            )
            .distinct()
            .order_by(TrainingSession.trainer_id)
        )
    )
    trainer_ids = list(accept)
    extra = [t for t in busy if t not in accept]
    trainer_ids += rng.sample(extra, max(0, min(len(extra), count - len(trainer_ids))))
    organiser_ids = rng.sample(
        list(
            db.session.scalars(
                select(group_organisers.c.user_id)
                .distinct()
                .order_by(group_organisers.c.user_id)
            )
        ),
        count,
    )
    people = []
    for user_id in trainer_ids:
        user = db.session.get(User, user_id)
        people.append(
            Person(
                user.email,
                "trainer",
                _some(select(TrainingSession.id).where(_mine(user_id)), rng),
                offers=offers[user_id],
                to_accept=accept[user_id],
                feed=start_feed(user, now),
                token=_token(user, now),
            )
        )
    for user_id in organiser_ids:
        user = db.session.get(User, user_id)
        group_ids = [group.id for group in user.groups]
        people.append(
            Person(
                user.email,
                "organiser",
                _some(
                    select(TrainingSession.id).where(
                        TrainingSession.group_id.in_(group_ids)
                    ),
                    rng,
                ),
                requests=_some(
                    select(TrainingRequest.id).where(
                        TrainingRequest.group_id.in_(group_ids)
                    ),
                    rng,
                ),
                feed=start_feed(user, now),
                token=_token(user, now),
            )
        )
    return people


def _token(user: User, now: datetime) -> str:
    raw, _ = create_token(user, "bench", "write", 30, by=user, now=now)
    return raw


def _mine(trainer_id: int):
    return TrainingSession.trainer_id == trainer_id


def _some(query, rng: random.Random, count: int = 5) -> list[int]:
    found = list(db.session.scalars(query))
    return rng.sample(found, min(count, len(found)))


# The servers.

LIMITS_RAISED = ("RATELIMIT_SIGN_IN", "RATELIMIT_API")


def _server_env(url: str, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": url,
        "BASE_URL": "http://127.0.0.1",
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": str(folder / "mail"),
        # Every simulated person comes from 127.0.0.1: the limits are counted
        # (what they cost is measured) but set too high to refuse anyone.
        **{name: "1000000/minute" for name in LIMITS_RAISED},
    }


@dataclass(frozen=True)
class Server:
    port: int
    cpu: Callable[[], float]  # CPU seconds its side has used so far


@contextmanager
def _gunicorn(
    target: str, folder: Path, env: dict, log: Path, database_url: str | None = None
) -> Iterator[Server]:
    """`target` served by gunicorn with WORKERS sync workers on a free port; its
    CPU counts gunicorn's processes and the database's backends, if any."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{port}",
                "--chdir",
                str(folder),
                target,
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(port, process, log)
        with _backends(database_url) as backends:
            yield Server(
                port,
                lambda: _cpu([process.pid, *_children(process.pid)]) + _cpu(backends()),
            )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _backends(database_url: str | None) -> Iterator[Callable[[], list[int]]]:
    """A way to list the PostgreSQL backends serving the database (none without)."""
    if database_url is None:
        yield list
        return
    url = make_url(database_url)
    with psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=url.database,
        autocommit=True,
    ) as connection:
        yield lambda: [
            pid
            for (pid,) in connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
        ]


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _cpu(pids: list[int]) -> float:
    """User and system CPU seconds of these processes (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _wait_until_serving(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on port {port}")


# The load generator: threads, each driving a few people on their own
# keep-alive connections (gunicorn's sync workers close each one; http.client
# then opens the next).


class Browser:
    """One person's connection and cookies."""

    def __init__(self, port: int, person: Person | None = None):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.person = person
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.validators: dict[str, str] = {}  # the feed's ETag and Last-Modified

    def send(
        self,
        method: str,
        path: str,
        form: dict | None = None,
        headers: dict | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request; the status, headers and body of its answer."""
        sent = dict(headers or {})
        is_api = path.startswith("/api/")
        # Calendar clients poll feeds without the person's browser cookies, and
        # the API's clients send their token instead.
        if is_api:
            sent["Authorization"] = f"Bearer {self.person.token}"
        elif self.cookies and not path.startswith("/calendar/"):
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None and is_api:
            body = json.dumps(form)
            sent["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body, sent)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                # The server closed an idle keep-alive connection: open another.
                self.connection.close()
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, dict(response.headers), data

    def sign_in(self) -> None:
        _, _, page = self.send("GET", "/login")
        form = {
            "csrf_token": _csrf(page),
            "email": self.person.email,
            "password": PASSWORD,
        }
        status, headers, _ = self.send("POST", "/login", form)
        if status != 302 or not headers.get("Location", "").endswith("/"):
            raise SystemExit(f"could not sign in as {self.person.email}: {status}")
        _, _, page = self.send("GET", "/")
        self.csrf = _csrf(page)
        feed = f"/calendar/{self.person.feed}.ics"
        _, headers, _ = self.send("GET", feed)
        self.remember_feed(headers)

    def remember_feed(self, headers: dict[str, str]) -> None:
        """Keep the feed's validators for the next poll, as a calendar client does."""
        self.validators = {"If-None-Match": headers["ETag"]}
        if "Last-Modified" in headers:
            self.validators["If-Modified-Since"] = headers["Last-Modified"]


def _csrf(page: bytes) -> str:
    return CSRF.search(page.decode()).group(1)


@dataclass
class Outcome:
    """What one page did in one phase: latencies, and answers worth telling."""

    page: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    cpu_seconds: float = 0.0  # the server side's, during the phase

    @property
    def cpu_ms(self) -> float:
        """Server-side CPU per request: what the page costs without the load
        generator's share or the machine's other work."""
        return self.cpu_seconds / len(self.latencies) * 1000 if self.latencies else 0.0

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, percent: int) -> float:
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, math.ceil(percent / 100 * len(ordered)) - 1)
        return ordered[index] * 1000 if ordered else float("nan")


def _has(page: str, person: Person | None) -> bool:
    """Whether the person has something of this kind to open."""
    needs = {
        "request_page": "requests",
        "session_page": "sessions",
        "offer_page": "offers",
        "accept_offer": "to_accept",
        "api_accept_offer": "to_accept",
    }
    return page not in needs or bool(getattr(person, needs[page]))


def _visit(page: str, browser: Browser, rng: random.Random) -> tuple:
    """(method, path, form, headers) for one visit to the page."""
    person = browser.person
    if page in ("hello", "trainer_home", "organiser_home"):
        return "GET", "/", None, None
    if page == "requests_list":
        return "GET", "/requests/", None, None
    if page == "api_requests_list":
        # A page as long as the HTML list's.
        return "GET", f"/api/v1/requests?limit={PER_PAGE}", None, None
    if page == "request_page":
        return "GET", f"/requests/{rng.choice(person.requests)}", None, None
    if page == "session_page":
        return "GET", f"/sessions/{rng.choice(person.sessions)}", None, None
    if page == "offer_page":
        return "GET", f"/offers/{rng.choice(person.offers)}", None, None
    if page == "accept_offer":
        path = f"/offers/{person.to_accept.popleft()}/accept"
        return "POST", path, {"csrf_token": browser.csrf}, None
    if page == "api_accept_offer":
        return "POST", f"/api/v1/offers/{person.to_accept.popleft()}/accept", {}, None
    feed = f"/calendar/{person.feed}.ics"
    return "GET", feed, None, browser.validators if page == "feed_304" else None


def _answer(page: str, status: int, headers: dict[str, str]) -> str | None:
    """None for the answer this page should give; otherwise what it was."""
    if page == "api_accept_offer":
        return {200: None, 409: "no longer free"}.get(status, f"HTTP {status}")
    if page == "accept_offer":
        where = headers.get("Location", "")
        if status == 302 and "/sessions/" in where:
            return None
        if status == 302 and "/offers/" in where:
            return "no longer free"  # another booking took the time or the cap
        if status == 200:
            return "taken"
    elif status == (304 if page == "feed_304" else 200):
        return None
    elif page == "feed_304" and status == 200:
        return "changed (200)"  # a session of theirs was booked meanwhile
    return f"HTTP {status}"


def _run(
    server: Server,
    browsers: list[Browser],
    clients: int,
    choose: Callable[[Browser, random.Random], str],
    seconds: float | None,
    rng: random.Random,
) -> dict[str, Outcome]:
    """Drive `browsers` from `clients` threads until `seconds` pass, or with None
    until nobody has anything left to do; a person who has nothing of the kind
    chosen drops out."""
    outcomes: dict[str, Outcome] = {}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds if seconds else math.inf
    shares = [browsers[n::clients] for n in range(clients)]
    seeds = [rng.getrandbits(32) for _ in shares]

    def work(mine: list[Browser], seed: int) -> None:
        local = random.Random(seed)
        found: dict[str, Outcome] = {}
        while mine and time.perf_counter() < deadline:
            browser = mine[local.randrange(len(mine))]
            page = choose(browser, local)
            if not _has(page, browser.person):
                mine.remove(browser)
                continue
            method, path, form, headers = _visit(page, browser, local)
            started = time.perf_counter()
            status, answer_headers, _ = browser.send(method, path, form, headers)
            outcome = found.setdefault(page, Outcome(page))
            outcome.latencies.append(time.perf_counter() - started)
            answer = _answer(page, status, answer_headers)
            if page.startswith("feed") and status == 200:
                browser.remember_feed(answer_headers)
            if answer:
                outcome.answers[answer] += 1
        with lock:
            for page, outcome in found.items():
                total = outcomes.setdefault(page, Outcome(page))
                total.latencies += outcome.latencies
                total.answers += outcome.answers

    started, cpu = time.perf_counter(), server.cpu()
    threads = [
        threading.Thread(target=work, args=(list(share), seed))
        for share, seed in zip(shares, seeds, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - started, server.cpu() - cpu
    for outcome in outcomes.values():
        outcome.seconds, outcome.cpu_seconds = elapsed, cpu
    return outcomes


# Each page on its own: (name, who opens it, target ratio to hello-world).
PAGES = (
    ("trainer_home", "trainer", 0.2),
    ("organiser_home", "organiser", 0.2),
    ("requests_list", "organiser", 0.2),
    ("api_requests_list", "organiser", None),
    ("request_page", "organiser", 0.2),
    ("session_page", "trainer", 0.2),
    ("offer_page", "trainer", 0.2),
    ("feed", "trainer", 0.2),
    ("feed_304", "trainer", 0.3),
)
# Pages also driven by one client at a time, so that their latency is the
# page's own and not the queue's, with a target on its p95 in ms (issue 18).
ALONE = {"requests_list": None, "api_requests_list": 20.0}
# The realistic mix, per role: calendar clients poll far more often than people
# click, and most polls find nothing new.
MIX = {
    "trainer": {
        "trainer_home": 25,
        "session_page": 12,
        "offer_page": 8,
        "accept_offer": 5,
        "feed": 5,
        "feed_304": 45,
    },
    "organiser": {
        "organiser_home": 20,
        "requests_list": 12,
        "request_page": 15,
        "session_page": 8,
        "feed": 5,
        "feed_304": 40,
    },
}


@dataclass
class Results:
    hello: list[Outcome]
    pages: list[tuple[Outcome, float | None]]
    mix: dict[str, Outcome]
    sign_in: Outcome
    alone: list[Outcome]


def _drive(
    plan: Plan,
    people: list[Person],
    app: Server,
    hello_server: Server,
    clients: int,
    rng: random.Random,
    only: set[str] | None = None,
) -> Results:
    browsers = [Browser(app.port, person) for person in people]
    sign_in = Outcome("sign_in")
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        sign_in.latencies = list(pool.map(_timed_sign_in, browsers))
    sign_in.seconds = time.perf_counter() - started
    # The mix takes a third of the offers to accept; the accept phase the rest.
    for_mix = {id(b): deque() for b in browsers}
    for browser in browsers:
        queue = browser.person.to_accept
        for _ in range(len(queue) // 3):
            for_mix[id(browser)].append(queue.pop())
    # The hello-world runs before the first page and after each one: a page is
    # compared with the runs either side of it, as the machine's pace drifts
    # over a run (by up to a fifth between its start and its end).
    hellos = [Browser(hello_server.port) for _ in range(clients * 4)]
    hello = [_phase(plan, hello_server, hellos, clients, "hello", rng)]
    pages = []
    for page, role, target in PAGES:
        if only and page not in only:
            continue
        mine = [b for b in browsers if b.person.role == role and _has(page, b.person)]
        pages.append((_phase(plan, app, mine, clients, page, rng), target))
        hello.append(_phase(plan, hello_server, hellos, clients, "hello", rng))
    organisers = [b for b in browsers if b.person.role == "organiser"]
    alone = [
        _phase(plan, app, organisers, 1, page, rng)
        for page in ALONE
        if not only or page in only
    ]
    # Every other trainer with offers left accepts them through the API.
    accepting = [b for b in browsers if b.person.to_accept]
    for page, mine in (
        ("accept_offer", accepting[::2]),
        ("api_accept_offer", accepting[1::2]),
    ):
        if not only or page in only:
            accepted = _run(app, mine, clients, _fixed(page), None, rng)
            pages.append((accepted.get(page, Outcome(page)), None))
    if only:
        return Results(hello, pages, {}, sign_in, alone)
    for browser in browsers:
        browser.person.to_accept = for_mix[id(browser)]
        # As their calendar would have by now: the bookings above changed feeds.
        _, headers, _ = browser.send("GET", f"/calendar/{browser.person.feed}.ics")
        browser.remember_feed(headers)
    mix = _run(app, browsers, clients, _mixed, plan.mix_seconds, rng)
    return Results(hello, pages, mix, sign_in, alone)


def _timed_sign_in(browser: Browser) -> float:
    """Sign in (the login form, scrypt) and fetch the feed's validators."""
    started = time.perf_counter()
    browser.sign_in()
    return time.perf_counter() - started


def _fixed(page: str) -> Callable[[Browser, random.Random], str]:
    return lambda browser, rng: page


def _mixed(browser: Browser, rng: random.Random) -> str:
    weights = {
        page: weight
        for page, weight in MIX[browser.person.role].items()
        if _has(page, browser.person)
    }
    return rng.choices(list(weights), list(weights.values()))[0]


def _phase(plan, server, browsers, clients, page, rng) -> Outcome:
    """One page alone: a warm-up, then the timed run."""
    _run(server, browsers, clients, _fixed(page), plan.warm_seconds, rng)
    (outcome,) = _run(
        server, browsers, clients, _fixed(page), plan.seconds, rng
    ).values()
    return outcome


def _report(results: Results) -> None:
    _say("hello_per_s", " ".join(f"{o.per_second:.0f}" for o in results.hello))
    print()
    print(
        f"{'page':<18} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'hello/s':>8} "
        f"{'ratio_to_hello':>15} {'target':>7} {'cpu ms':>7} {'cpu_ratio':>9}  note"
    )
    _row("hello", results.hello[0], results.hello, None, is_hello=True)
    for n, (outcome, target) in enumerate(results.pages):
        # The hello-world runs either side of the page; all of them for a page
        # timed after the last.
        either_side = results.hello[n : n + 2]
        if len(either_side) < 2:
            either_side = results.hello
        _row(outcome.page, outcome, either_side, target)
    print()
    print("one client at a time:")
    print(f"{'page':<18} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>7}  note")
    for outcome in results.alone:
        target = ALONE[outcome.page]
        p95 = outcome.percentile(95)
        verdict = ""
        if target is not None:
            verdict = f"p95 target {target:g} ms: {'ok' if p95 <= target else 'MISSED'}"
        print(
            f"{outcome.page:<18} {outcome.per_second:>8.1f} "
            f"{outcome.percentile(50):>8.1f} {p95:>8.1f} {outcome.cpu_ms:>7.2f}  "
            f"{_answers(outcome) or verdict}"
        )


def _row(
    name: str,
    outcome: Outcome,
    hellos: list[Outcome],
    target: float | None,
    is_hello: bool = False,
) -> None:
    """One line of the table: a page against the mean of the hello-world runs
    in `hellos`, or with `is_hello` that mean itself."""
    hello_rate = statistics.mean(o.per_second for o in hellos)
    hello_cpu = statistics.mean(o.cpu_ms for o in hellos)
    rate = hello_rate if is_hello else outcome.per_second
    cpu = hello_cpu if is_hello else outcome.cpu_ms
    ratio = rate / hello_rate
    verdict = "" if target is None else ("ok" if ratio >= target else "MISSED")
    target_text = f">={target}" if target is not None else "-"
    print(
        f"{name:<18} {rate:>8.1f} {outcome.percentile(50):>8.1f} "
        f"{outcome.percentile(95):>8.1f} {hello_rate:>8.0f} {ratio:>15.2f} "
        f"{target_text:>7} {cpu:>7.2f} {hello_cpu / cpu if cpu else 0:>9.2f}  "
        f"{_answers(outcome) or verdict}"
    )


def _mix_report(results: Results) -> None:
    total = sum(len(o.latencies) for o in results.mix.values())
    seconds = max((o.seconds for o in results.mix.values()), default=0)
    _say("mix_requests", total)
    _say("mix_per_s", f"{total / seconds:.1f}" if seconds else "0")
    print(f"{'mix page':<18} {'share':>8} {'p50 ms':>8} {'p95 ms':>8}  note")
    for page, outcome in sorted(results.mix.items()):
        print(
            f"{page:<18} {len(outcome.latencies) / total:>8.1%} "
            f"{outcome.percentile(50):>8.1f} {outcome.percentile(95):>8.1f}  "
            f"{_answers(outcome)}"
        )
    print()
    _say("sign_ins", len(results.sign_in.latencies))
    _say("sign_in_per_s", f"{results.sign_in.per_second:.1f}")
    _say("sign_in_p95_ms", f"{results.sign_in.percentile(95):.1f}")


def _answers(outcome: Outcome) -> str:
    return ", ".join(f"{n} {answer}" for answer, n in sorted(outcome.answers.items()))


if __name__ == "__main__":
    sys.exit(main())
