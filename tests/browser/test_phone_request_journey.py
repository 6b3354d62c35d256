"""An organiser on a 375 x 667 phone reads the topics and asks for a session, in real
Chromium: the group,
topic, first time and venue fit the first screen; choosing the topic and a start
fills the end with its usual length and rules out "Online" for a topic that cannot
run online; "Add another time" shows a second row; the optional details follow
under "Anything else?"; the request's page says in a line where it stands.

People, group and topics are made in the database; see conftest.py for the server,
the browsers and the page checks.
"""

from datetime import timedelta

import pytest

from tests.browser.conftest import (
    Person,
    group_at,
    sign_in,
)
from tests.conftest import password_hash
from trainers.auth.models import User
from trainers.extensions import db
from trainers.network.models import Topic
from trainers.timeutil import LONDON, utcnow

pytestmark = [pytest.mark.journey, pytest.mark.slow]

SCREEN = {"width": 375, "height": 667}
GROUP = "St Leonards Food Co-op"
TOPIC = "Running a members' meeting"


@pytest.fixture(scope="module")
def organiser(live_server, site_app, open_browser) -> Person:
    with site_app.app_context():
        group = group_at(GROUP, "TN38")
        user = User(
            email="ola@coop.example.org",
            name="Ola Organiser",
            password_hash=password_hash(),
        )
        user.groups.append(group)
        db.session.add_all(
            [
                user,
                Topic(name=TOPIC, summary="Agenda and chairing.", default_minutes=120),
                Topic(
                    name="Phone banking",
                    summary="Calling members.",
                    default_minutes=90,
                    is_online_capable=True,
                ),
            ]
        )
        db.session.commit()
    person = open_browser("Ola Organiser", "ola@coop.example.org")
    person.page.set_viewport_size(SCREEN)
    page = person.page
    page.goto(f"{live_server.url}/login")
    sign_in(person)
    return person


def bottom(locator) -> float:
    box = locator.bounding_box()
    return box["y"] + box["height"]


def test_a_phone_asks_for_a_session_in_one_screen(live_server, checker, organiser):
    page = organiser.page
    page.goto(f"{live_server.url}/topics/")
    topic = page.get_by_role("listitem").filter(has_text=TOPIC)
    assert "Usual length\n2 hours" in topic.inner_text()
    assert "No: at a venue only" in topic.inner_text()
    checker.check(organiser, "1-organiser", "topics to ask for")
    page.set_viewport_size(SCREEN)
    page.get_by_role("link", name="Ask for a session").click()
    page.get_by_role("heading", name="Ask for a training session").wait_for()
    assert page.evaluate("scrollY") == 0
    for part in ("Topic", "Slot 1 date", "Slot 1 start time", "Venue postcode"):
        assert bottom(page.get_by_label(part)) <= SCREEN["height"], part
    assert page.get_by_text(f"For {GROUP}.").is_visible()
    assert not page.get_by_label("Slot 2 date").is_visible()

    day = utcnow().astimezone(LONDON).date() + timedelta(days=28)
    page.get_by_label("Topic").select_option(label=f"{TOPIC} (2 hours, at a venue)")
    page.get_by_label("Slot 1 date").fill(day.isoformat())
    page.get_by_label("Slot 1 start time").fill("18:30")
    assert page.get_by_label("Slot 1 end time").input_value() == "20:30"
    assert page.get_by_label("Online").is_disabled()
    checker.check(organiser, "1-organiser", "short request form")
    page.set_viewport_size(SCREEN)

    page.get_by_role("button", name="Add another time").click()
    assert page.get_by_label("Slot 2 date").evaluate(
        "e => e === document.activeElement"
    )
    page.get_by_label("Slot 2 date").fill((day + timedelta(days=7)).isoformat())
    page.get_by_label("Slot 2 start time").fill("10:00")
    page.get_by_label("Venue postcode").fill("TN38 0AA")
    page.get_by_label("Venue address").fill("The Co-op Hall, Norman Road")
    page.get_by_label("Expected attendance").fill("15")
    assert page.get_by_role("heading", name="Anything else?").is_visible()
    page.get_by_label("Accessibility needs (optional)").fill("Step-free entrance")
    page.get_by_label("Notes for the trainer (optional)").fill("Tea from 18:15")
    page.get_by_role("button", name="Send request").click()

    page.get_by_role("heading", name=f"{TOPIC} for {GROUP}").wait_for()
    status = page.locator("#status-line")
    assert status.inner_text().startswith(
        "Where it stands: No trainer is free and near enough at these times yet"
    )
    assert page.get_by_text("Step-free entrance").is_visible()
    assert page.get_by_role("cell", name="18:30–20:30").is_visible()
    assert page.get_by_role("cell", name="10:00–12:00").is_visible()
    checker.check(organiser, "1-organiser", "request sent with its status line")
