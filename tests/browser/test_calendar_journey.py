"""A trainer links their own calendar, in real Chromium: from their profile
they paste a wrong address and are told so, then their calendar's secret
address (served by a real calendar server on loopback); the scheduler reads
it, and the profile says how many busy times are known, never the whole
address. Each page passes axe-core and fits a 375 px phone.

The steps run in order and share one server, database and browser.
"""

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.browser.conftest import Checker, Person, profile_at, sign_in
from tests.busy.feeds import FeedServer, running_feed_server
from tests.conftest import password_hash
from trainers.auth.models import User
from trainers.busy.jobs import read_busy_feeds
from trainers.extensions import db
from trainers.network.models import Topic
from trainers.timeutil import utcnow

pytestmark = [pytest.mark.journey, pytest.mark.slow]

SECRET = "/private-4f9a2c7e/basic.ics"


def choir_on_three_evenings() -> bytes:
    """A weekly evening event, starting tomorrow, three times."""
    start = (utcnow() + timedelta(days=1)).replace(hour=18, minute=0, second=0)
    stamp = f"{start:%Y%m%dT%H%M%SZ}"
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Journey//EN\r\n"
        "BEGIN:VEVENT\r\nUID:choir@journey\r\n"
        f"DTSTAMP:{stamp}\r\nDTSTART:{stamp}\r\n"
        f"DTEND:{start + timedelta(hours=2):%Y%m%dT%H%M%SZ}\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Choir practice\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


@pytest.fixture(scope="module")
def feeds() -> Iterator[FeedServer]:
    with running_feed_server() as server:
        yield server


@pytest.fixture(scope="module")
def trainer(site_app, open_browser, live_server) -> Person:
    with site_app.app_context():
        topic = Topic(name="Phone banking", default_minutes=120)
        db.session.add(
            User(
                email="tara@example.org",
                name="Tara Trainer",
                password_hash=password_hash(),
                trainer_profile=profile_at("TN34", topic, weekday=1),
            )
        )
        db.session.commit()
    person = open_browser("Tara Trainer", "tara@example.org")
    person.page.goto(live_server.url + "/login")
    sign_in(person)
    return person


def test_1_a_wrong_address_is_refused_in_words(trainer: Person, checker: Checker):
    page = trainer.page
    page.get_by_role("link", name="My trainer profile").click()
    page.get_by_role("link", name="Link your own calendar").click()
    page.get_by_role("heading", name="Your own calendar").wait_for()
    checker.check(trainer, "1", "no calendar linked")
    page.get_by_label("Your calendar's secret address").fill("my google calendar")
    page.get_by_role("button", name="Link the calendar").click()
    page.get_by_role("alert").wait_for()
    checker.check(trainer, "1", "a wrong address")


def test_2_the_calendar_is_read_and_its_busy_times_count(
    trainer: Person, checker: Checker, feeds: FeedServer, site_app
):
    page = trainer.page
    address = feeds.serve(SECRET, choir_on_three_evenings())
    page.get_by_label("Your calendar's secret address").fill(address)
    page.get_by_role("button", name="Link the calendar").click()
    page.get_by_text("Calendar address saved").wait_for()
    page.get_by_text("Waiting for its first read").wait_for()
    with site_app.app_context():
        assert read_busy_feeds(utcnow()) == "read 1, unchanged 0, failed 0"
    page.reload()
    page.get_by_text("3 in the months ahead").wait_for()
    assert "4f9a2c7e" not in page.content()
    checker.check(trainer, "2", "the calendar read")
