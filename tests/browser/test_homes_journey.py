"""Each person's home says first what needs them, in real Chromium.

A group has asked for a session a trainer was offered, and for one nobody could
take. The trainer's home lists the offer to answer; once accepted it is gone.
The organiser's home no longer shows that request waiting, and lists the one
nobody could take. The office's home lists that one too, under a header of six
top-level entries whose menus open from the keyboard, one at a time. Every page
checked passes axe-core and fits a 375 px phone, an open menu included.

People and requests are made in the database (the offer through matching); see
conftest.py for the server, the browsers and the page checks.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import pytest
from flask import Flask

from tests.browser.conftest import (
    Checker,
    LiveServer,
    Person,
    group_at,
    open_menu,
    profile_at,
    sign_in,
)
from tests.conftest import password_hash
from trainers.auth.models import User
from trainers.extensions import db
from trainers.matching.offers import offer_request
from trainers.network.models import Topic
from trainers.requests.models import RequestSlot, RequestStatus, TrainingRequest
from trainers.timeutil import LONDON, utcnow

pytestmark = [pytest.mark.journey, pytest.mark.slow]

TOPIC = "Holding a stall"
GROUP = "Rye Tenants Together"
WEDNESDAY = 2


@dataclass
class Homes:
    """What the steps share: the people in their browsers."""

    server: LiveServer
    checker: Checker
    people: dict[str, Person] = field(default_factory=dict)

    def sign_in(self, key: str) -> Person:
        """`key` signs in from the sign-in page and lands on their home."""
        person = self.people[key]
        page = person.page
        page.goto(self.server.url + "/login")
        sign_in(person)
        page.get_by_role("heading", name="Needs you").wait_for()
        return person


def _wednesday_evenings(weeks: int) -> list[datetime]:
    """18:30 London time on Wednesdays from three weeks on: not short notice."""
    day = utcnow().astimezone(LONDON).date() + timedelta(days=21)
    day += timedelta(days=(WEDNESDAY - day.weekday()) % 7)
    return [
        datetime.combine(day + timedelta(weeks=n), time(18, 30), tzinfo=LONDON)
        for n in range(weeks)
    ]


@pytest.fixture(scope="module")
def homes(live_server, checker, site_app: Flask, open_browser) -> Homes:
    journey = Homes(live_server, checker)
    people = (
        ("office", "Orla Office", "orla@office.example.org"),
        ("organiser", "Obi Organiser", "obi@rye.example.org"),
        ("trainer", "Tara Trainer", "tara@volunteers.example.org"),
    )
    with site_app.app_context():
        group = group_at(GROUP, "TN31")
        topic = Topic(
            name=TOPIC,
            summary="Where to stand, what to say, what to take.",
            default_minutes=120,
        )
        for key, name, address in people:
            user = User(
                email=address,
                name=name,
                password_hash=password_hash(),
                is_office=key == "office",
            )
            if key == "organiser":
                user.groups.append(group)
            if key == "trainer":
                user.trainer_profile = profile_at("TN31", topic, WEDNESDAY)
            db.session.add(user)
        offered, unfilled = (
            TrainingRequest(
                group=group,
                topic=topic,
                status=status,
                expected_attendance=12,
                venue_postcode="TN31 7AA",
                venue_address="Rye Community Centre",
                venue_latitude=group.latitude,
                venue_longitude=group.longitude,
                slots=[
                    RequestSlot(starts_at=starts, ends_at=starts + timedelta(hours=2))
                ],
            )
            for status, starts in zip(
                (RequestStatus.SUBMITTED, RequestStatus.UNFILLED),
                _wednesday_evenings(2),
                strict=True,
            )
        )
        db.session.add_all([offered, unfilled])
        db.session.flush()
        offer_request(offered, utcnow())
        db.session.commit()
    for key, name, address in people:
        journey.people[key] = open_browser(name, address)
    return journey


def test_1_the_trainer_answers_the_offer_their_home_lists(homes: Homes):
    trainer = homes.sign_in("trainer")
    page = trainer.page
    needs = page.get_by_role("region", name="Needs you")
    assert needs.get_by_role("heading", name="Offers to answer 1").is_visible()
    homes.checker.check(trainer, "1-trainer", "home with an offer to answer")

    needs.get_by_role("link", name="Accept or decline").click()
    page.get_by_role("button", name="Accept: I'll run it").click()
    page.get_by_text("the session is booked").wait_for()
    page.get_by_role("link", name="Home", exact=True).click()
    # Waits for the home page to load (a click does not), failing if the line
    # never shows.
    page.get_by_text("Nothing needs you right now.").wait_for()
    assert not page.get_by_role("heading", name="Offers to answer").count()


def test_2_the_organiser_sees_it_booked_and_the_request_nobody_took(homes: Homes):
    organiser = homes.sign_in("organiser")
    page = organiser.page
    needs = page.get_by_role("region", name="Needs you")
    assert needs.get_by_role(
        "heading", name="Requests nobody could take 1"
    ).is_visible()
    assert needs.get_by_role("link", name=f"{TOPIC} for {GROUP}").count() == 1
    in_progress = page.locator("table").filter(has_text="Status")
    assert in_progress.locator(".badge-booked").count() == 1
    assert not in_progress.locator(".badge-offered, .badge-submitted").count()
    homes.checker.check(organiser, "2-organiser", "home with an unfilled request")


def test_3_the_office_sees_the_unfilled_request_under_a_short_header(homes: Homes):
    office = homes.sign_in("office")
    page = office.page
    needs = page.get_by_role("region", name="Needs you")
    assert needs.get_by_role("heading", name="Unfilled requests 1").is_visible()
    assert needs.get_by_role("link", name=f"{TOPIC} for {GROUP}").is_visible()
    top_level = page.locator("header nav > ul > li")
    assert top_level.count() == 6

    # From the keyboard: Enter opens the account menu; its links can be reached.
    page.locator("header summary", has_text="Account").focus()
    page.keyboard.press("Enter")
    sign_ins = page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Sign-ins"
    )
    assert sign_ins.is_visible()
    homes.checker.check(office, "3-office", "home with the account menu open")
    # Menus open one at a time.
    open_menu(page, "Network")
    assert page.get_by_role("link", name="Groups").is_visible()
    assert not sign_ins.is_visible()
