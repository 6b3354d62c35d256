"""The app as a user meets it: served by gunicorn on loopback, sending mail over SMTP
to a real server, driven by Debian's Chromium (its headless shell) through Playwright, every page checked
with axe-core and at 375 px wide. `make browser` installs Chromium and axe-core."""

import email
import email.policy
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
from flask import Flask
from icalendar import Calendar
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Response,
    sync_playwright,
)

from config import ROOT
from tests.conftest import PASSWORD, POSTGRES_URL, Mailbox
from tests.deploy.test_deploy_files import web_unit_command
from tests.outbox.conftest import SmtpServer
from trainers import create_app
from trainers.extensions import db
from trainers.geo import locate
from trainers.models import delete_everything
from trainers.network.models import Group, Topic
from trainers.outbox.services import deliver_outbox
from trainers.profiles.models import AvailabilityWindow, TrainerProfile, TrainerTopic
from trainers.timeutil import LONDON, format_datetime, format_time, utcnow

CHROMIUM = Path("/usr/bin/chromium-headless-shell")
AXE = ROOT / "tools" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
# The axe-core impact levels that fail a page.
FAILING_IMPACTS = {"serious", "critical"}
SERVER_START_SECONDS = 30
STEP_TIMEOUT_MS = 15_000


def group_at(name: str, district: str) -> Group:
    """A group placed at a postcode district, as a journey's world needs one."""
    place = locate(district)
    return Group(
        name=name,
        region=place.region,
        postcode_district=place.district,
        latitude=place.latitude,
        longitude=place.longitude,
    )


def profile_at(
    district: str, topic: Topic, weekday: int | None = None, cap: int = 4
) -> TrainerProfile:
    """A trainer at home in `district` within 30 km, qualified in `topic`, free
    on `weekday` evenings (6 to 9) if one is given."""
    home = locate(district)
    return TrainerProfile(
        home_district=home.district,
        latitude=home.latitude,
        longitude=home.longitude,
        region=home.region,
        travel_radius_km=30,
        monthly_cap=cap,
        topics=[TrainerTopic(topic=topic, level="qualified")],
        availability=[]
        if weekday is None
        else [
            AvailabilityWindow(
                weekday=weekday, start_time=clock_time(18), end_time=clock_time(21)
            )
        ],
    )


def free_port() -> int:
    """A loopback port nobody is listening on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpMailbox(Mailbox):
    """What the loopback SMTP server received, oldest first. Reading it first
    delivers the outbox over SMTP, as the scheduler would."""

    def __init__(self, app: Flask, server: SmtpServer):
        self.app, self.server = app, server

    def messages(self) -> list[email.message.EmailMessage]:
        with self.app.app_context():
            deliver_outbox(utcnow())
        return [
            email.message_from_bytes(raw, policy=email.policy.default)
            for _, raw in self.server.recorder.received
        ]

    def subjects(self, address: str) -> list[str]:
        return [str(message["Subject"]) for message in self.to(address)]


# One server (and its database, mailbox and SMTP server) for all of a worker's
# journeys, as one Chromium is: starting them for each journey took about as
# long as a short journey's steps. Each journey still starts on an empty
# database and an empty mailbox, and keeps its own screenshots.


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def site_url() -> str:
    """Where the server will listen: links in emails must point here."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def site(
    tmp_path_factory, postgres_url: str | None, smtp_server, site_url: str
) -> Iterator[Flask]:
    """The tests' own handle on the database the server uses."""
    folder = tmp_path_factory.mktemp("site")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": postgres_url
            or f"sqlite:///{folder / 'site.db'}",
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
            "BASE_URL": site_url,
        }
    )
    if not POSTGRES_URL:
        with app.app_context():
            db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module", autouse=True)
def site_app(site: Flask) -> Iterator[Flask]:
    """The journey's handle on the server's database, for setup, delivering the
    outbox and reading back; emptied when any journey ends. The app context is
    pushed only around each use, so the test never holds a SQLite lock while
    the server writes."""
    yield site
    with site.app_context():
        delete_everything()
        db.session.commit()


@pytest.fixture(scope="module")
def smtp_mailbox(site_app: Flask, smtp_server: SmtpServer) -> SmtpMailbox:
    """What the SMTP server receives from this journey on, refusing no one."""
    smtp_server.recorder.received.clear()
    smtp_server.recorder.refuse.clear()
    return SmtpMailbox(site_app, smtp_server)


@pytest.fixture(scope="module")
def artifacts(request) -> Path:
    """Screenshots, a folder per database and journey (gitignored), so journeys
    on other cores never clear each other's."""
    journey = request.module.__name__.rpartition(".")[2]
    folder = _artifacts_root() / journey
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _artifacts_root() -> Path:
    return ARTIFACTS / ("postgresql" if POSTGRES_URL else "sqlite")


@dataclass
class LiveServer:
    url: str
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def live_server(site: Flask, smtp_server, site_url: str) -> Iterator[LiveServer]:
    """The web unit's gunicorn serving wsgi:app on a free loopback port, as in
    production but with two workers, on the test database and mailing the
    loopback SMTP server. Its log is kept beside the journeys' screenshots."""
    url = site_url
    _artifacts_root().mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    log = _artifacts_root() / f"server-{worker}.log"
    environment = {
        **os.environ,
        "APP_ENV": "development",  # plain http on loopback: no Secure cookies
        "SECRET_KEY": "browser-journey-secret",
        "DATABASE_URL": site.config["SQLALCHEMY_DATABASE_URI"],
        "BASE_URL": url,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_server.port),
    }
    port = int(url.rsplit(":", 1)[1])
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - the unit's own command
            web_unit_command(port, workers=2),
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url, log)
    try:
        _wait_until_up(process, f"{url}/healthz", server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(process: subprocess.Popen, health: str, server: LiveServer) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited ({process.returncode}):\n{server.log_tail()}")
        try:
            # The port accepts before the workers have loaded the app: wait for them.
            with urllib.request.urlopen(health, timeout=10) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer {health}:\n{server.log_tail()}")


def _skip_without_tools() -> None:
    # `make test` installs both first; a bare `pytest` without them skips.
    if not CHROMIUM.exists() or not AXE.exists():
        pytest.skip(
            "Chromium or axe-core is missing: run `make browser` "
            "(bash tools/browser/install.sh)."
        )


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One Chromium for all of a worker's journeys; each person in each journey
    has a browser context (cookies, storage) of their own."""
    _skip_without_tools()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        yield browser
        browser.close()


@dataclass
class Person:
    """Someone using the site in a browser of their own (own cookies), and every
    5xx answer that browser has had."""

    name: str
    email: str
    page: Page
    server_errors: list[str] = field(default_factory=list)


@dataclass
class Checker:
    """Checks pages with axe-core and at 375 px wide; screenshots a page that
    fails, and every page with BROWSER_SCREENSHOTS=1 (to look the layouts over:
    taking them all costs the journeys a sixth of their time)."""

    artifacts: Path
    axe_source: str = field(repr=False)
    shots: int = 0

    def check(self, person: Person, step: str, what: str) -> None:
        """Assert, on the page `person` is on as it is, no server error so far,
        no serious or critical axe-core violation on a desktop and then 375 px
        wide, and no sideways scrolling at 375 px."""
        page = person.page
        page.wait_for_load_state()
        assert person.server_errors == [], f"server errors: {person.server_errors}"
        self.shots += 1
        name = f"{self.shots:02d}-{step}-{_slug(what)}"
        with self._shown(page, name):
            self.assert_accessible(page, what)
        # The same page, state and all (errors, flashed messages), on a phone:
        # without JavaScript, resizing lays it out exactly as loading it there would.
        page.set_viewport_size(PHONE)
        try:
            with self._shown(page, f"{name}-375px"):
                self.assert_accessible(page, f"{what} at 375 px")
                width, too_wide = page.evaluate(WIDEST_ELEMENTS, PHONE["width"])
                assert width <= PHONE["width"], (
                    f"{what} ({page.url}) scrolls sideways at 375 px: {width} px "
                    f"wide; reaching past the edge: {too_wide}"
                )
        finally:
            page.set_viewport_size(DESKTOP)

    @contextmanager
    def _shown(self, page: Page, name: str) -> Iterator[None]:
        """Keep a screenshot of the page if the checks inside fail, or if asked
        for every page."""
        try:
            yield
        except AssertionError:
            page.screenshot(path=self.artifacts / f"{name}-failed.png", full_page=True)
            raise
        if os.environ.get("BROWSER_SCREENSHOTS") == "1":
            page.screenshot(path=self.artifacts / f"{name}.png", full_page=True)

    def assert_accessible(self, page: Page, what: str) -> None:
        """No serious or critical axe-core violation, each listed if there are.

        The CSP lets no injected <script> run, so axe's source is evaluated through
        the DevTools protocol (page.evaluate), which the page's CSP does not govern."""
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe_source)
        results = page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations']})"
        )
        violations = [
            f"  {rule['impact']}: {rule['id']}: {rule['help']} -> "
            f"{', '.join(' '.join(node['target']) for node in rule['nodes'])}"
            for rule in results["violations"]
            if rule["impact"] in FAILING_IMPACTS
        ]
        assert violations == [], f"axe-core on {what} ({page.url}):\n" + "\n".join(
            violations
        )


# The page's full width, and the first few elements that reach past `limit` px.
WIDEST_ELEMENTS = """limit => [
  document.documentElement.scrollWidth,
  [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > limit + 1)
    .slice(0, 8)
    .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
              + (typeof e.className === "string" && e.className
                 ? "." + e.className.trim().split(/\\s+/).join(".") : "")),
]"""


def calendar_parts(message: email.message.EmailMessage) -> list:
    """The text/calendar parts of an email."""
    return [p for p in message.walk() if p.get_content_type() == "text/calendar"]


def calendar_of(message: email.message.EmailMessage) -> Calendar:
    """The calendar an email carries (its text/calendar part and its invite.ics
    attachment, which must be the same)."""
    parts = calendar_parts(message)
    assert parts, f"no calendar in {message['Subject']!r}"
    assert len({p.get_content() for p in parts}) == 1, "calendar parts differ"
    return Calendar.from_ical(parts[0].get_content())


@dataclass
class JourneyBase:
    """What a journey's steps share: the server, its mailbox, the page checker,
    the test's handle on the app, and the people in their browsers. A journey
    adds what its steps make."""

    server: LiveServer
    mailbox: SmtpMailbox
    checker: Checker
    app: Flask
    people: dict[str, Person] = field(default_factory=dict)

    def open(self, person: Person, path_or_url: str) -> None:
        """`person` opens a path on the site or a link (e.g. from an email)."""
        url = path_or_url if "://" in path_or_url else self.server.url + path_or_url
        person.page.goto(url)

    def check(self, person: Person, step: str, what: str) -> None:
        self.checker.check(person, step, what)


def open_menu(page: Page, label: str) -> None:
    """Open one of the header's disclosure menus (Network, Coverage, Account...)
    by its summary, as a person clicks it, so its links can be followed."""
    page.locator("header summary", has_text=label).click()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@pytest.fixture(scope="module")
def checker(artifacts: Path) -> Checker:
    _skip_without_tools()
    return Checker(artifacts, AXE.read_text())


@pytest.fixture(scope="module")
def open_browser(chromium: Browser):
    """`open_browser(name, email)`: a Person with a fresh browser of their own."""
    contexts: list[BrowserContext] = []

    def start(name: str, address: str) -> Person:
        context = chromium.new_context(viewport=DESKTOP, accept_downloads=True)
        context.set_default_timeout(STEP_TIMEOUT_MS)
        contexts.append(context)
        person = Person(name, address, context.new_page())

        def note_server_error(response: Response) -> None:
            if response.status >= 500:
                person.server_errors.append(f"{response.status} {response.url}")

        context.on("response", note_server_error)
        return person

    yield start
    for context in contexts:
        context.close()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "journey: an ordered step of a browser journey (see conftest)"
    )


# Within one module the journey's steps run in order; after a failed step the rest
# are skipped rather than failing for the same reason.
def pytest_runtest_makereport(item, call):
    failed = call.excinfo is not None and not call.excinfo.errisinstance(
        pytest.skip.Exception
    )
    if "journey" in item.keywords and failed and call.when == "call":
        item.parent._journey_failed = item.name


def pytest_runtest_setup(item):
    if "journey" in item.keywords:
        failed = getattr(item.parent, "_journey_failed", None)
        if failed is not None:
            pytest.skip(f"an earlier step of the journey failed: {failed}")


TUESDAY = 1


def next_tuesdays(count: int) -> list[date]:
    """Tuesdays at least three weeks away: not short notice, inside availability."""
    day = utcnow().astimezone(LONDON).date() + timedelta(days=21)
    day += timedelta(days=(TUESDAY - day.weekday()) % 7)
    return [day + timedelta(weeks=n) for n in range(count)]


def when(slot: tuple[datetime, datetime]) -> str:
    """A time as the pages write it: 'Tue 3 Mar 2026, 18:30–20:30'."""
    return f"{format_datetime(slot[0])}–{format_time(slot[1])}"


def sign_in(person: Person) -> None:
    """Sign in on the sign-in page `person` is on, and wait to be let in."""
    page = person.page
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
