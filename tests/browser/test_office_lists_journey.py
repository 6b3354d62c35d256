"""The office at national size, in real Chromium: it finds a person and a group's
requests with the lists' searches (the filters kept in the address), ticks the
plan's offers to make and reads why a request cannot be covered, and reads the
cold-spot map on a phone by touch and by keyboard. Every page on the way passes
axe-core and fits a 375 px phone.

The steps run in order and share one server, database and browser; see
conftest.py for those and for the page checks. Everyone is made in the database.
"""

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from tests.browser.conftest import (
    PHONE,
    TUESDAY,
    Checker,
    LiveServer,
    Person,
    group_at,
    sign_in,
)
from tests.conftest import password_hash
from trainers.auth.models import User
from trainers.extensions import db
from trainers.geo import locate
from trainers.matching.models import Offer
from trainers.network.models import Group, Topic
from trainers.profiles.models import AvailabilityWindow, TrainerProfile, TrainerTopic
from trainers.requests.models import RequestSlot, TrainingRequest
from trainers.timeutil import LONDON, utcnow

pytestmark = [pytest.mark.journey, pytest.mark.slow]


def next_tuesday_evening() -> datetime:
    """18:00 London time on a Tuesday a fortnight or so ahead."""
    today = utcnow().astimezone(LONDON).date() + timedelta(days=14)
    day = today + timedelta(days=(TUESDAY - today.weekday()) % 7)
    return datetime.combine(day, time(18), tzinfo=LONDON)


def request_for(group: Group, topic: Topic, starts_at: datetime) -> TrainingRequest:
    return TrainingRequest(
        group=group,
        topic=topic,
        status="submitted",
        expected_attendance=12,
        venue_postcode=group.postcode_district,
        venue_district=group.postcode_district,
        venue_latitude=group.latitude,
        venue_longitude=group.longitude,
        slots=[
            RequestSlot(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2))
        ],
    )


@pytest.fixture(scope="module")
def office(site_app, open_browser, live_server) -> Person:
    """The office, signed in; two Hastings groups a trainer reaches, and two
    Ballymena groups nobody does, each with a request."""
    starts_at = next_tuesday_evening()
    with site_app.app_context():
        topic = Topic(name="Running a members' meeting", summary="Agendas.")
        hastings = [
            group_at("Hastings Renters", "TN34"),
            group_at("Ore Valley", "TN35"),
        ]
        ballymena = [
            group_at("Ballymena Tenants", "BT42"),
            group_at("Braid Youth", "BT42"),
        ]
        for group in [*hastings, *ballymena]:
            db.session.add(request_for(group, topic, starts_at))
        home = locate("TN38")
        trainer = User(
            email="tamsin@volunteers.example.org",
            name="Tamsin Trainer",
            password_hash="!",
            trainer_profile=TrainerProfile(
                home_district=home.district,
                latitude=home.latitude,
                longitude=home.longitude,
                region=home.region,
                travel_radius_km=30,
                monthly_cap=1,
            ),
        )
        trainer.trainer_profile.topics.append(
            TrainerTopic(topic=topic, level="qualified")
        )
        trainer.trainer_profile.availability.append(
            AvailabilityWindow(weekday=TUESDAY, start_time=time(17), end_time=time(22))
        )
        db.session.add_all([trainer, *hastings, *ballymena])
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
    page = person.page
    page.goto(live_server.url + "/login")
    sign_in(person)
    return person


def test_1_the_office_finds_a_person_and_a_groups_requests(
    office: Person, live_server: LiveServer, checker: Checker
):
    page = office.page
    page.goto(live_server.url + "/office/people")
    page.get_by_label("Name or email").fill("tamsin")
    page.get_by_label("Role").select_option("trainer")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/office/people?*search=tamsin*")
    page.get_by_text("1 account matching.").wait_for()
    checker.check(office, "1", "people found")

    page.goto(live_server.url + "/requests/")
    page.get_by_label("Group name").fill("ore")
    page.get_by_role("button", name="Show").click()
    page.get_by_text("1 request matching.").wait_for()
    assert page.get_by_role("cell", name="Ore Valley", exact=True).count() == 1
    assert page.get_by_label("Group name").input_value() == "ore"


def test_2_the_office_makes_the_ticked_offers_and_reads_why_not_the_rest(
    office: Person, live_server: LiveServer, checker: Checker, site_app
):
    page = office.page
    page.goto(live_server.url + "/office/plan")
    boxes = page.get_by_role("checkbox")
    # Tamsin's cap of one covers one Hastings group; nobody reaches Ballymena.
    assert boxes.count() == 1 and boxes.first.is_checked()
    page.get_by_text(
        "The one trainer who could take it is planned for another"
    ).wait_for()
    assert page.get_by_text("No qualified trainer within reach").count() == 2
    checker.check(office, "2", "the plan")
    page.get_by_role("button", name="Make the ticked offers").click()
    page.get_by_text("1 offer made.").wait_for()
    with site_app.app_context():
        assert db.session.scalar(select(func.count(Offer.id))) == 1


def test_3_the_cold_spot_map_answers_a_tap_and_the_keyboard_on_a_phone(
    office: Person, live_server: LiveServer, checker: Checker, chromium
):
    page = office.page
    page.goto(live_server.url + "/office/cold-spots")
    # The two Ballymena groups share one marker, with their count.
    marker = page.locator("a.map-marker")
    assert marker.count() == 1
    assert marker.get_attribute("aria-label") == "Ballymena (BT42): 2 groups"
    assert page.get_by_role("cell", name="Ballymena (BT42)", exact=True).count() == 2
    checker.check(office, "3", "cold spots")

    # On a touch phone, signed in as the office is.
    phone = chromium.new_context(
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        storage_state=page.context.storage_state(),
    )
    try:
        touch = phone.new_page()
        touch.goto(live_server.url + "/office/cold-spots")
        details = touch.locator("#map-details")
        assert details.is_hidden()
        touch.locator("a.map-marker").tap()
        details.get_by_text("Braid Youth (BT42): never trained").wait_for()
        assert touch.url.endswith("/office/cold-spots")  # shown, not followed
        touch.keyboard.press("Escape")
        assert details.is_hidden()
        # By keyboard: the marker comes straight after the link that skips it.
        touch.get_by_role("link", name="Skip the map to its list of places").focus()
        touch.keyboard.press("Tab")
        details.get_by_text("Ballymena Tenants (BT42): never trained").wait_for()
    finally:
        phone.close()
