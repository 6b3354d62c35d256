"""The open board as its people live it, in real Chromium: a trainer finds an
open request nobody has been offered, on the board, and takes it at the second
of its times; the organiser sees it booked and gets the invite. Each page passes
axe-core and fits a 375 px phone.

The steps run in order and share one server, database and set of browsers (see
conftest.py). People, group, topic and the request are made in the database.
"""

from datetime import time

import pytest

from tests.browser.conftest import (
    TUESDAY,
    Checker,
    LiveServer,
    Person,
    SmtpMailbox,
    group_at,
    next_tuesdays,
    profile_at,
    sign_in,
    when,
)
from tests.conftest import password_hash
from trainers.auth.models import User
from trainers.extensions import db
from trainers.network.models import Topic
from trainers.requests.models import RequestSlot, TrainingRequest
from trainers.timeutil import local_to_utc

pytestmark = [pytest.mark.journey, pytest.mark.slow]

TOPIC = "Holding a street stall"
GROUP = "Bexhill Tenants' Union"
NOTES = "Ask for Jo at the side door"


class Journey:
    def __init__(self, server, mailbox, checker, people, slots):
        self.server: LiveServer = server
        self.mailbox: SmtpMailbox = mailbox
        self.checker: Checker = checker
        self.people: dict[str, Person] = people
        self.slots = slots

    def go(self, person: Person, path: str) -> None:
        person.page.goto(self.server.url + path)


@pytest.fixture(scope="module")
def journey(live_server, smtp_mailbox, checker, site_app, open_browser) -> Journey:
    days = next_tuesdays(2)
    slots = [
        (local_to_utc(day, time(18, 30)), local_to_utc(day, time(20, 30)))
        for day in days
    ]
    with site_app.app_context():
        group = group_at(GROUP, "TN39")
        topic = Topic(name=TOPIC, summary="Pitch, banner, sign-ups.")
        organiser = User(
            email="ola@tenants.example.org",
            name="Ola Organiser",
            password_hash=password_hash(),
        )
        organiser.groups.append(group)
        trainer = User(
            email="tariq@volunteers.example.org",
            name="Tariq Trainer",
            password_hash=password_hash(),
            trainer_profile=profile_at("TN40", topic, TUESDAY),
        )
        db.session.add_all([organiser, trainer])
        db.session.add(
            TrainingRequest(
                group=group,
                topic=topic,
                created_by=organiser,
                status="unfilled",
                venue_postcode="TN39 3AA",
                venue_district="TN39",
                venue_address="The Old Library",
                venue_latitude=group.latitude,
                venue_longitude=group.longitude,
                expected_attendance=15,
                notes=NOTES,
                slots=[RequestSlot(starts_at=s, ends_at=e) for s, e in slots],
            )
        )
        db.session.commit()
    people = {
        "organiser": open_browser("Ola Organiser", "ola@tenants.example.org"),
        "trainer": open_browser("Tariq Trainer", "tariq@volunteers.example.org"),
    }
    return Journey(live_server, smtp_mailbox, checker, people, slots)


def test_1_a_trainer_finds_the_request_on_the_board_and_takes_it(journey: Journey):
    trainer = journey.people["trainer"]
    page = trainer.page
    journey.go(trainer, "/login?next=/board")
    sign_in(trainer)
    page.get_by_role("heading", name="Open requests you could take").wait_for()
    card = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=TOPIC)
    )
    assert "Near TN39, South East" in card.inner_text()
    assert GROUP not in page.content() and NOTES not in page.content()
    journey.checker.check(trainer, "1", "the open board")

    second = when(journey.slots[1])
    card.get_by_role("button", name=f"I can do this on {second.split('–')[0]}").click()
    page.get_by_text("the session is yours").wait_for()
    assert second in page.content()
    assert NOTES in page.content()  # booked: now the group's notes are the trainer's
    journey.checker.check(trainer, "1", "the session taken from the board")


def test_2_the_organiser_sees_it_booked(journey: Journey):
    organiser = journey.people["organiser"]
    page = organiser.page
    journey.go(organiser, "/login?next=/requests/")
    sign_in(organiser)
    page.get_by_role("link", name=TOPIC).click()
    page.get_by_text(f"Booked: {when(journey.slots[1])} with Tariq Trainer").wait_for()
    page.get_by_text("Tariq Trainer took it from the open board").wait_for()
    journey.checker.check(organiser, "2", "the request booked from the board")
    subjects = journey.mailbox.subjects(organiser.email)
    assert any(s.strip().startswith("Booked:") for s in subjects), subjects
