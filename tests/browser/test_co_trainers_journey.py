"""A session that needs two trainers, as its people live it, in real Chromium.

An organiser asks for a session on a topic taught in pairs; a trainer accepts the
emailed offer and leads it, and everyone sees one place still open. A second
trainer finds the co-trainer place on their home and takes it: the session is
fully staffed and the co-trainer gets the invite. Then the co-trainer gives the
place back with a reason: only that place reopens, the lead stays, and a third
trainer is offered it and takes it. Every page on the way passes axe-core and
fits a 375 px phone.

The steps run in order and share one server, database and set of browsers; see
conftest.py for those and for the page checks. People, group and topic are made
in the database; the request goes through the form.
"""

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from tests.browser.conftest import (
    TUESDAY,
    JourneyBase,
    Person,
    calendar_of,
    group_at,
    next_tuesdays,
    profile_at,
    sign_in,
    when,
)
from tests.conftest import password_hash
from trainers.auth.models import User
from trainers.extensions import db
from trainers.matching.models import Offer
from trainers.network.models import Topic
from trainers.sessions.models import SessionPlace
from trainers.timeutil import LONDON, format_datetime

pytestmark = [pytest.mark.journey, pytest.mark.slow]

TOPIC = "Door-knocking in pairs"
GROUP = "Hastings Renters' Union"
TITLE = f"{TOPIC} for {GROUP}"
OPEN = "1 place still open"
REASON = "My shifts changed that week"


@dataclass
class Journey(JourneyBase):
    """What the steps share, and what they made."""

    slot: tuple[datetime, datetime] | None = None
    session_id: int | None = None
    request_id: int | None = None

    def link_in(self, message: EmailMessage) -> str:
        """The last link in an email; it must point at this server."""
        body = message.get_body(("plain",)).get_content()
        links = re.findall(r"https?://\S+", body)
        assert links, f"no link in {message['Subject']!r}"
        assert links[-1].startswith(self.server.url + "/"), links[-1]
        return links[-1]

    def emails(self, person: Person, subject_start: str) -> list[EmailMessage]:
        """The emails to `person` whose subject starts so, oldest first."""
        # A folded subject keeps the fold's space on Python 3.11: strip it.
        return [
            m
            for m in self.mailbox.to(person.email)
            if str(m["Subject"]).strip().startswith(subject_start)
        ]

    def newest(self, person: Person, subject_start: str) -> EmailMessage:
        found = self.emails(person, subject_start)
        assert found, f"no email {subject_start!r}… to {person.email}: " + repr(
            self.mailbox.subjects(person.email)
        )
        return found[-1]

    def place_offers(self) -> dict[str, str]:
        """Who is offered a place beside the lead now, and each offer's status,
        newest offer per trainer."""
        with self.app.app_context():
            rows = db.session.execute(
                select(User.email, Offer.status, Offer.place)
                .join(User, User.id == Offer.trainer_id)
                .where(Offer.request_id == self.request_id, Offer.place > 1)
                .order_by(Offer.id)
            ).all()
        assert {row.place for row in rows} <= {2}, rows
        return {row.email: str(row.status) for row in rows}

    def holders(self) -> dict[int, str | None]:
        """Each place beside the lead and the email of the trainer in it."""
        with self.app.app_context():
            rows = db.session.execute(
                select(SessionPlace.place, User.email)
                .outerjoin(User, User.id == SessionPlace.trainer_id)
                .where(SessionPlace.session_id == self.session_id)
            ).all()
        return dict(rows)


@pytest.fixture(scope="module")
def journey(live_server, smtp_mailbox, checker, site_app, open_browser) -> Journey:
    journey = Journey(live_server, smtp_mailbox, checker, site_app)
    people = (
        ("organiser", "Orla Organiser", "orla@renters.example.org"),
        ("lead", "Lena Lead", "lena@volunteers.example.org"),
        ("co", "Cal Cotrainer", "cal@volunteers.example.org"),
        ("third", "Tess Third", "tess@volunteers.example.org"),
    )
    with site_app.app_context():
        group = group_at(GROUP, "TN34")
        topic = Topic(
            name=TOPIC,
            summary="Two at each door: one talks, one notes.",
            default_minutes=120,
            is_online_capable=False,
            trainers_needed=2,
        )
        for key, name, address in people:
            user = User(email=address, name=name, password_hash=password_hash())
            if key == "organiser":
                user.groups.append(group)
            else:
                user.trainer_profile = profile_at("TN35", topic, TUESDAY)
            db.session.add(user)
        db.session.commit()
    for key, name, address in people:
        journey.people[key] = open_browser(name, address)
    (day,) = next_tuesdays(1)
    starts = datetime.combine(day, time(18, 30), tzinfo=LONDON)
    journey.slot = (starts, starts + timedelta(hours=2))
    return journey


def invite_of(message: EmailMessage) -> tuple[str, set[str]]:
    """(METHOD, attendees' emails) of the one event in an email's calendar."""
    calendar = calendar_of(message)
    (event,) = calendar.walk("VEVENT")
    attendees = event.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    return str(calendar["METHOD"]), {
        str(a).lower().removeprefix("mailto:") for a in attendees
    }


def staffing(page) -> str:
    """What the session page says under Staffing."""
    return page.locator("dt:text-is('Staffing') + dd").inner_text()


def offer_card(page):
    """The home's card for the session's offer, under "Offers to answer"."""
    return page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=TOPIC)
    )


def place_2(page) -> str:
    """The session page's line for the co-trainer place."""
    return page.get_by_role("listitem").filter(has_text="Place 2:").inner_text()


def test_1_the_organiser_asks_and_a_lead_trainer_books_it(journey: Journey):
    organiser, lead = journey.people["organiser"], journey.people["lead"]
    page = organiser.page
    journey.open(organiser, "/login")
    sign_in(organiser)
    page.get_by_role("link", name=f"Request a session for {GROUP}").click()
    page.get_by_role("heading", name="Ask for a training session").wait_for()
    journey.check(organiser, "1-organiser", "request a session")
    starts, ends = journey.slot
    page.get_by_label("Topic").select_option(label=f"{TOPIC} (2 hours, at a venue)")
    page.get_by_label("Slot 1 date").fill(starts.date().isoformat())
    page.get_by_label("Slot 1 start time").fill(f"{starts:%H:%M}")
    page.get_by_label("Slot 1 end time").fill(f"{ends:%H:%M}")
    page.get_by_label("At a venue").check()
    page.get_by_label("Venue postcode").fill("TN34 1AA")
    page.get_by_label("Venue address").fill("The Observer Building")
    page.get_by_label("Expected attendance").fill("16")
    page.get_by_role("button", name="Send request").click()
    page.get_by_role("heading", name=TITLE, exact=True).wait_for()
    journey.check(organiser, "1-organiser", "request sent")
    needed = page.locator("dt:text-is('Trainers needed') + dd")
    assert needed.inner_text() == "2"
    journey.request_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])

    # Every trainer is offered the lead's place first; Lena answers hers.
    for key in ("lead", "co", "third"):
        journey.newest(journey.people[key], f"Can you run {TITLE}?")
    assert journey.place_offers() == {}
    message = journey.newest(lead, f"Can you run {TITLE}?")
    journey.open(lead, journey.link_in(message))
    sign_in(lead)
    lead_page = lead.page
    lead_page.get_by_role("heading", name=TITLE, exact=True).wait_for()
    journey.check(lead, "1-lead", "offer")
    assert lead_page.get_by_text(f"{when(journey.slot)} (UK time)").is_visible()
    lead_page.get_by_role("button", name="Accept: I'll run it").click()
    lead_page.get_by_text("Thank you: the session is booked").wait_for()
    journey.check(lead, "1-lead", "booked session")
    journey.session_id = int(lead_page.url.rstrip("/").rsplit("/", 1)[-1])
    assert lead_page.get_by_text(f"{lead.name} (you)").is_visible()
    assert staffing(lead_page) == OPEN
    assert place_2(lead_page) == "Place 2: open"

    # The organiser follows the booking email to the session: one place open.
    booked = journey.newest(organiser, f"Booked: {TITLE}")
    journey.open(organiser, journey.link_in(booked))
    page.get_by_role("heading", name=TITLE, exact=True).wait_for()
    journey.check(organiser, "1-organiser", "booked session, a place open")
    assert staffing(page) == OPEN
    assert place_2(page) == "Place 2: open"
    assert page.get_by_text("Fully staffed").count() == 0
    page.get_by_role("link", name="The request, its history").click()
    page.get_by_text(f"Trainers: {lead.name} (lead).").wait_for()
    journey.check(organiser, "1-organiser", "request booked, a place open")
    assert page.get_by_text(f"{OPEN}: we are offering it to trainers.").is_visible()
    assert journey.holders() == {2: None}
    # The place goes to the two trainers not on the session.
    assert journey.place_offers() == {
        journey.people["co"].email: "pending",
        journey.people["third"].email: "pending",
    }


def test_2_a_second_trainer_takes_the_place_and_it_is_fully_staffed(
    journey: Journey,
):
    co, lead = journey.people["co"], journey.people["lead"]
    organiser, third = journey.people["organiser"], journey.people["third"]
    # The place's offer is emailed, and waits on the trainer's home.
    message = journey.newest(co, f"Can you co-train {TITLE}?")
    assert "needs another trainer beside its lead (place 2)" in (
        message.get_body(("plain",)).get_content()
    )
    page = co.page
    journey.open(co, "/login")
    sign_in(co)
    offers = page.get_by_role("heading", name="Offers to answer")
    offers.wait_for()
    journey.check(co, "2-co", "home with the place's offer")
    assert "Co-trainer beside the session's lead (place 2)" in (
        offer_card(page).inner_text()
    )
    # The link's name says which offer, read as one phrase.
    page.get_by_role(
        "link", name=f"Accept or decline the offer of {TOPIC} for {GROUP}", exact=True
    ).click()
    page.get_by_text("Co-trainer beside the session's lead (place 2)").wait_for()
    journey.check(co, "2-co", "the place's offer")
    assert page.get_by_text("The first trainer to accept gets the place.").is_visible()
    page.get_by_role("button", name="Accept: I'll co-train it").click()
    page.get_by_text("Thank you: your place beside the lead is yours").wait_for()
    journey.check(co, "2-co", "session with the place taken")
    assert staffing(page) == "Fully staffed"
    assert place_2(page) == f"Place 2: {co.name} (you)"
    assert page.get_by_role("heading", name="Can no longer do it?").is_visible()
    assert page.get_by_role("button", name="Give my place back").is_visible()
    assert page.get_by_role("button", name="Hand this session back").count() == 0

    journey.open(organiser, f"/sessions/{journey.session_id}")
    organiser.page.get_by_role("heading", name=TITLE, exact=True).wait_for()
    journey.check(organiser, "2-organiser", "session fully staffed")
    assert staffing(organiser.page) == "Fully staffed"
    # The organiser reaches the co-trainer as they reach the lead.
    assert place_2(organiser.page) == f"Place 2: {co.name}: {co.email}"
    trainer = organiser.page.locator("dt:text-is('Trainer') + dd")
    assert trainer.inner_text().startswith(f"{lead.name}:")
    assert journey.holders() == {2: co.email}

    # Everyone on it gets the event with Cal on it; Tess's offer is taken.
    for person in (co, lead, organiser):
        method, attendees = invite_of(
            journey.newest(person, f"Who is training: {TITLE}")
        )
        assert method == "REQUEST"
        assert {lead.email, co.email} <= attendees, (person.email, attendees)
    body = journey.newest(co, f"Who is training: {TITLE}").get_body(("plain",))
    assert f"{co.name} has joined the session as co-trainer." in body.get_content()
    assert "The session is fully staffed." in body.get_content()
    journey.newest(third, f"{TITLE} is taken")
    assert journey.place_offers() == {co.email: "accepted", third.email: "withdrawn"}


def test_3_the_co_trainer_gives_the_place_back_and_it_is_offered_again(
    journey: Journey,
):
    co, lead = journey.people["co"], journey.people["lead"]
    organiser, third = journey.people["organiser"], journey.people["third"]
    page = co.page
    page.get_by_role("button", name="Give my place back").click()
    page.get_by_role("alert").get_by_text("Please correct the following").wait_for()
    journey.check(co, "3-co", "give the place back without a reason")
    page.get_by_label("Why can't you do it?").fill(REASON)
    page.get_by_role("button", name="Give my place back").click()
    page.get_by_text("You have left the session.").wait_for()
    journey.check(co, "3-co", "home after giving the place back")
    assert journey.holders() == {2: None}

    method, _ = invite_of(journey.newest(co, f"No longer on: {TITLE}"))
    assert method == "CANCEL"
    for person in (lead, organiser):
        told = journey.newest(person, f"Who is training: {TITLE}")
        method, attendees = invite_of(told)
        assert method == "REQUEST" and co.email not in attendees
        body = told.get_body(("plain",)).get_content()
        assert f"{co.name} is no longer on the session" in body and REASON in body

    page = organiser.page
    journey.open(organiser, f"/sessions/{journey.session_id}")
    page.get_by_role("heading", name=TITLE, exact=True).wait_for()
    journey.check(organiser, "3-organiser", "session with the place open again")
    assert staffing(page) == OPEN
    assert place_2(page) == "Place 2: open"
    trainer = page.locator("dt:text-is('Trainer') + dd")
    assert trainer.inner_text().startswith(f"{lead.name}:")

    # Only Cal's place reopens, offered to Tess, not to Cal again.
    assert journey.place_offers() == {co.email: "accepted", third.email: "pending"}
    journey.newest(third, f"Can you co-train {TITLE}?")
    third_page = third.page
    journey.open(third, "/login")
    sign_in(third)
    third_page.get_by_role("heading", name="Offers to answer").wait_for()
    journey.check(third, "3-third", "home with the reopened place")
    assert "Co-trainer beside the session's lead (place 2)" in (
        offer_card(third_page).inner_text()
    )
    offer_card(third_page).get_by_role("link", name="Accept or decline").click()
    third_page.get_by_text("Co-trainer beside the session's lead (place 2)").wait_for()
    journey.check(third, "3-third", "the reopened place's offer")
    assert third_page.get_by_text(f"{format_datetime(journey.slot[0])}–").is_visible()
    third_page.get_by_role("button", name="Accept: I'll co-train it").click()
    third_page.get_by_text("Thank you: your place beside the lead is yours").wait_for()
    journey.check(third, "3-third", "session fully staffed again")
    assert staffing(third_page) == "Fully staffed"
    assert place_2(third_page) == f"Place 2: {third.name} (you)"
    assert journey.holders() == {2: third.email}
