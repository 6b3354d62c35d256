"""Shared fixtures: a real database per test (a copy of a SQLite file built once
per run, or PostgreSQL from TEST_DATABASE_URL, emptied after each test), real
mail files, and factories."""

import email
import email.policy
import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from werkzeug.security import generate_password_hash

from config import Config
from tests.threads import app_for_threads
from trainers import create_app
from trainers.auth import sign_ins
from trainers.auth.models import User
from trainers.extensions import db
from trainers.geo import locate
from trainers.models import delete_everything
from trainers.network.models import Group, Topic
from trainers.outbox.services import deliver_outbox
from trainers.profiles.models import TrainerProfile, TrainerTopic
from trainers.timeutil import utcnow

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
# What SQLite may leave beside a database file.
JOURNALS = ("-journal", "-wal", "-shm")
PASSWORD = "correct horse battery"
# scrypt at a cost that takes no time: tests sign in hundreds of times, and
# config.py's cost is there to be slow. `real_password_hashing` puts it back.
CHEAP_PASSWORD_HASH = "scrypt:256:8:1"
RATE_LIMITS = [name for name in dir(Config) if name.startswith("RATELIMIT_")]
RATE_LIMITS.remove("RATELIMIT_STORAGE_URI")


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite'}"


def pytest_collection_modifyitems(config, items) -> None:
    # The slow files first, so the cores share out the quick ones after them
    # rather than one core finishing a slow file alone at the end.
    items.sort(key=lambda item: "slow" not in item.keywords)
    if POSTGRES_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@event.listens_for(Engine, "connect")
def _no_waiting_for_the_disk(dbapi_connection, connection_record) -> None:
    # A test database needs no durability should the machine crash, so its
    # commits need not wait for the disk (as synchronous_commit on PostgreSQL).
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


@contextmanager
def scratch_postgres_database() -> Iterator[str]:
    """A new, empty database on the TEST_DATABASE_URL server, dropped afterwards."""
    server = make_url(POSTGRES_URL)
    name = f"{server.database}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = {
        "host": server.host,
        "port": server.port or 5432,
        "user": server.username,
        "password": server.password,
        "dbname": server.database,
        "autocommit": True,
    }
    with psycopg.connect(**admin) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        # A test database needs no durability should the server crash, so its
        # commits need not wait for the disk.
        connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**admin) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """On PostgreSQL, a database of this run's own with every table built, so
    concurrent runs never touch each other; each test empties it after."""
    if not POSTGRES_URL:
        yield None
        return
    with scratch_postgres_database() as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        yield url


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind under test, with no tables."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with scratch_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path | None:
    """On SQLite, a database file with every table built, once per run: each
    test gets a copy, which costs far less than building the schema again."""
    if POSTGRES_URL:
        return None
    path = tmp_path_factory.mktemp("template") / "schema.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def worker_database_url(
    tmp_path_factory, postgres_url: str | None, sqlite_template: Path | None
) -> str:
    """The database this worker's tests run on, one after another."""
    if postgres_url:
        return postgres_url
    return f"sqlite:///{tmp_path_factory.mktemp('database') / 'test.db'}"


@pytest.fixture
def database_url(worker_database_url: str, sqlite_template: Path | None) -> str:
    """The test's database, every table built and empty: on SQLite a fresh copy of
    the template, on PostgreSQL the run's database, which `app` empties after
    each test."""
    if sqlite_template:
        path = Path(make_url(worker_database_url).database)
        # A new file rather than the old one overwritten: a connection some
        # earlier test left open keeps its own, and no stale journal applies.
        for leftover in (path, *(path.with_name(path.name + s) for s in JOURNALS)):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(sqlite_template, path)
    return worker_database_url


class Browser(FlaskClient):
    """A test client whose every request runs in its own app context, as in
    production, so `g`, the signed-in user and the database session never leak
    between requests or into the test. The test's own objects are expired after
    each request so they show what the request committed.

    `Browser(app, user=ann)` starts signed in as Ann, with a sign-in recorded
    on the server as signing in through the page would."""

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.sign_in_as(user)

    def sign_in_as(self, user: User) -> None:
        """Sign this browser in as `user` without the sign-in page."""
        with self.application.app_context():
            account = db.session.get(User, user.id)
            token = sign_ins.start(account, False, "", utcnow())
            db.session.commit()
        with self.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            session[sign_ins.SESSION_KEY] = token

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def worker_app(worker_database_url: str) -> Iterator[Flask]:
    """One app for all of a worker's tests: building one (its URL rules above
    all) costs more than most tests. The `app` fixture gives each test its own
    database, mail folder and settings."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": worker_database_url,
            "WTF_CSRF_ENABLED": False,
            "MAIL_BACKEND": "file",
            "BASE_URL": "http://localhost",
            "PASSWORD_HASH_METHOD": CHEAP_PASSWORD_HASH,
            # Tests sign in and fetch far more often than people do; the
            # `real_rate_limits` fixture puts the defaults back.
            **{name: "100000/hour" for name in RATE_LIMITS},
        }
    )
    app.test_client_class = Browser
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(worker_app: Flask, tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """The app, on a database of the test's own; settings a test changes last
    until it ends."""
    settings = dict(worker_app.config)
    worker_app.config["MAIL_FILE_DIR"] = str(tmp_path / "mail")
    with worker_app.app_context():
        yield worker_app
        db.session.remove()
        if POSTGRES_URL:
            # DELETE beats TRUNCATE on a few rows: no table files are rewritten.
            delete_everything()
            db.session.commit()
        else:
            # The next test's file replaces this one: no connection may outlive it.
            db.engine.dispose()
    worker_app.config.clear()
    worker_app.config.update(settings)


@pytest.fixture
def real_rate_limits(app: Flask) -> None:
    """The rate limits of config.py, as in production, for this test."""
    app.config.update({name: getattr(Config, name) for name in RATE_LIMITS})


@pytest.fixture
def real_password_hashing(app: Flask) -> None:
    """Passwords hashed at config.py's cost, as in production, for this test."""
    app.config["PASSWORD_HASH_METHOD"] = Config.PASSWORD_HASH_METHOD


class Clock:
    """A stopped clock: reads the same moment until it is set or advanced."""

    def __init__(self, moment: datetime):
        self.set(moment)

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError(f"naive datetime {moment!r} given to the clock")
        self.moment = moment.astimezone(UTC)

    def advance(self, by: timedelta) -> None:
        self.moment += by


@pytest.fixture
def clock(app: Flask) -> Clock:
    """The test app's clock (`app.config["CLOCK"]`), stopped at the real time:
    `clock.set(moment)`, `clock.advance(timedelta(hours=2))`; utcnow() reads it."""
    app.config["CLOCK"] = Clock(datetime.now(UTC))
    return app.config["CLOCK"]


@pytest.fixture
def threads_app(app: Flask) -> Iterator[Flask]:
    """The test app again, pooled for racing threads (tests/threads.py)."""
    yield from app_for_threads(app)


@pytest.fixture
def client(app: Flask):
    """An anonymous browser."""
    return app.test_client()


@pytest.fixture
def client_for(app: Flask):
    """A browser signed in as the given user: `client_for(user)`."""
    return lambda user: app.test_client(user=user)


class Mailbox:
    """The messages the app sent with the file mail backend, oldest first.

    Reading it first delivers the outbox, as the scheduler would."""

    def __init__(self, folder: Path):
        self.folder = folder
        # A mail file is written once, whole: each is parsed once.
        self._parsed: dict[Path, email.message.EmailMessage] = {}

    def messages(self) -> list[email.message.EmailMessage]:
        deliver_outbox(utcnow() + timedelta(days=3650))
        if not self.folder.exists():
            return []
        paths = sorted(self.folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        for path in paths:
            if path not in self._parsed:
                self._parsed[path] = email.message_from_bytes(
                    path.read_bytes(), policy=email.policy.default
                )
        return [self._parsed[path] for path in paths]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages() if m["To"] == address]

    def last_link(self, address: str) -> str:
        """The last http(s) link in the newest message to `address`, as a path."""
        body = self.to(address)[-1].get_body(("plain",)).get_content()
        links = re.findall(r"https?://[^\s]+", body)
        return re.sub(r"^https?://[^/]+", "", links[-1])


@pytest.fixture
def mailbox(app: Flask) -> Mailbox:
    return Mailbox(Path(app.config["MAIL_FILE_DIR"]))


@cache
def password_hash() -> str:
    """The shared test PASSWORD, hashed once per run as the test app hashes."""
    return generate_password_hash(PASSWORD, CHEAP_PASSWORD_HASH)


@pytest.fixture
def make_user(app: Flask):
    """Create a committed user: `make_user("a@x.org", office=True, groups=[g])`."""

    def make(
        email: str,
        name: str | None = None,
        *,
        office: bool = False,
        groups: list[Group] = (),
        trainer: bool = False,
        active: bool = True,
    ) -> User:
        user = User(
            email=email,
            name=name or email.split("@")[0].title(),
            password_hash=password_hash(),
            is_office=office,
            is_active=active,
        )
        user.groups.extend(groups)
        if trainer:
            user.trainer_profile = TrainerProfile()
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_group(app: Flask):
    """Create a committed group at a real postcode district."""

    def make(name: str = "Hastings Action", district: str = "TN34") -> Group:
        place = locate(district)
        group = Group(
            name=name,
            region=place.region,
            postcode_district=place.district,
            latitude=place.latitude,
            longitude=place.longitude,
        )
        db.session.add(group)
        db.session.commit()
        return group

    return make


@pytest.fixture
def make_topic(app: Flask):
    """Create a committed topic."""

    def make(
        name: str = "Door-knocking and canvassing",
        *,
        minutes: int = 120,
        online: bool = False,
    ) -> Topic:
        topic = Topic(
            name=name,
            summary=f"How to run {name.lower()}.",
            default_minutes=minutes,
            is_online_capable=online,
        )
        db.session.add(topic)
        db.session.commit()
        return topic

    return make


@pytest.fixture
def topic(make_topic) -> Topic:
    """The topic most tests ask for."""
    return make_topic("Door-knocking and canvassing")


@pytest.fixture
def group(make_group) -> Group:
    """The group most tests ask for, in Hastings."""
    return make_group("Hastings Action", "TN34")


@pytest.fixture
def organiser(make_user, group) -> User:
    """The organiser of `group`."""
    return make_user("organiser@example.org", "Olive Organiser", groups=[group])


@pytest.fixture
def office(make_user) -> User:
    """A national office account."""
    return make_user("office@example.org", "Otto Office", office=True)


@pytest.fixture
def office_browser(client_for, office):
    """A browser signed in as the office."""
    return client_for(office)


@pytest.fixture
def make_trainer(make_user):
    """Create a committed trainer with a home district and qualified topics."""

    def make(
        email: str = "trainer@example.org",
        *,
        district: str = "TN34",
        radius_km: int = 30,
        topics: list[Topic] = (),
    ) -> User:
        user = make_user(email, trainer=True)
        place = locate(district)
        profile = user.trainer_profile
        profile.home_district = place.district
        profile.latitude, profile.longitude = place.latitude, place.longitude
        profile.region = place.region
        profile.travel_radius_km = radius_km
        for topic in topics:
            profile.topics.append(TrainerTopic(topic=topic, level="qualified"))
        db.session.commit()
        return user

    return make
