"""The office connects a CRM by webhook, in real Chromium: it adds an endpoint
from the Mail menu (told first what it missed), keeps the secret shown once,
sends a test event that a real receiver verifies with that secret, and reads
the endpoint's log. Every page on the way passes axe-core and fits a 375 px
phone.

The steps run in order and share one server, database, browser and receiver.
"""

from collections.abc import Iterator

import pytest

from tests.browser.conftest import Checker, Person, open_menu, sign_in
from tests.conftest import password_hash
from tests.webhooks.receiver import Receiver, running_receiver
from trainers.auth.models import User
from trainers.extensions import db
from trainers.timeutil import utcnow
from trainers.webhooks.delivery import deliver_webhooks

pytestmark = [pytest.mark.journey, pytest.mark.slow]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as found:
        yield found


@pytest.fixture(scope="module")
def office(site_app, open_browser, live_server) -> Person:
    with site_app.app_context():
        db.session.add(
            User(
                email="oona@office.example.org",
                name="Oona Office",
                password_hash=password_hash(),
                is_office=True,
            )
        )
        db.session.commit()
    person = open_browser("Oona Office", "oona@office.example.org")
    person.page.goto(live_server.url + "/login")
    sign_in(person)
    return person


def test_1_the_office_adds_an_endpoint_and_keeps_its_secret(
    office: Person, receiver: Receiver, checker: Checker
):
    page = office.page
    open_menu(page, "Mail")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_text("No endpoints yet.").wait_for()
    checker.check(office, "1", "webhooks")
    page.get_by_role("link", name="Add an endpoint").click()
    page.get_by_label("Endpoint address").fill(receiver.url)
    page.get_by_role("button", name="Add endpoint").click()
    page.get_by_role("alert").get_by_text("Tick at least one event").wait_for()
    checker.check(office, "1", "an endpoint with no events")
    page.get_by_label("A request is booked").check()
    page.get_by_role("button", name="Add endpoint").click()
    page.get_by_role("heading", name="Endpoint added").wait_for()
    receiver.secret = page.get_by_label("Secret").input_value()
    assert receiver.secret.startswith("whsec_")
    checker.check(office, "1", "the secret shown once")


def test_2_a_test_event_arrives_verified_and_shows_in_the_log(
    office: Person, receiver: Receiver, checker: Checker, site_app
):
    page = office.page
    page.get_by_role("link", name="I have kept it: go to the endpoint").click()
    assert receiver.secret not in page.content()
    page.get_by_role("button", name="Send a test event").click()
    page.get_by_text("A test event will be sent in a moment").wait_for()
    with site_app.app_context():
        assert deliver_webhooks(utcnow()).startswith("delivered 1,")
    assert receiver.forged == [] and len(receiver.taken("webhook.test")) == 1
    page.reload()
    page.get_by_role("cell", name="delivered").wait_for()
    checker.check(office, "2", "the endpoint's log")
