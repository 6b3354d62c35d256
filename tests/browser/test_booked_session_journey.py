"""A booked session both sides can rely on, as its people live it, in real Chromium.

An organiser adds a phone number and asks for a session at two times. A trainer who
has just taken a day off on the first time opens the emailed offer, sees when to
answer by, and takes it at the second time; trainer and organiser see each other's
contacts on the session's page. Moving it to the trainer's day off asks first. The
organiser changes the headcount and notes, and everyone gets an update of the same
event. The trainer's days off over the session ask first too; then the trainer
hands it back, gets a CANCEL, and the group is told without losing its event. A
second trainer takes the re-offer from the email and carries the same event on;
the office deactivates that trainer, seeing the session first. Every page on the
way passes axe-core and fits a 375 px phone, confirmation states included.

The steps run in order and share one server, database and set of browsers; see
conftest.py for those and for the page checks. People, group and topic are made
in the database: tests/browser/test_journey.py walks through inviting them.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.browser.conftest import (
    TUESDAY,
    Checker,
    LiveServer,
    Person,
    SmtpMailbox,
    calendar_of,
    calendar_parts,
    group_at,
    next_tuesdays,
    open_menu,
    profile_at,
    sign_in,
    when,
)
from tests.conftest import password_hash
from trainers.auth.models import User
from trainers.extensions import db
from trainers.matching.models import Offer
from trainers.matching.offers import answer_by
from trainers.network.models import Topic
from trainers.profiles.models import (
    DayOff,
)
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import TrainingSession
from trainers.timeutil import LONDON, format_datetime

pytestmark = [pytest.mark.journey, pytest.mark.slow]

TOPIC = "Running a members' meeting"
GROUP = "Bexhill Renters' Network"
ORGANISER_PHONE = "01424 555 010"
TRAINER_PHONE = "07700 900123"


@dataclass
class Booked:
    """What the steps share: the people in their browsers and what they made."""

    server: LiveServer
    mailbox: SmtpMailbox
    checker: Checker
    app: Flask
    people: dict[str, Person] = field(default_factory=dict)
    slots: list[tuple[datetime, datetime]] = field(default_factory=list)
    session_id: int | None = None
    uid: str | None = None
    sequence: int | None = None  # the newest invite's

    def go(self, person: Person, path_or_url: str, step: str, what: str) -> None:
        """`person` opens a link (e.g. from an email) and the page is checked."""
        url = path_or_url if "://" in path_or_url else self.server.url + path_or_url
        person.page.goto(url)
        self.checker.check(person, step, what)

    def check(self, person: Person, step: str, what: str) -> None:
        self.checker.check(person, step, what)

    def link_in(self, message: EmailMessage) -> str:
        """The last link in an email; it must point at this server."""
        body = message.get_body(("plain",)).get_content()
        links = re.findall(r"https?://\S+", body)
        assert links, f"no link in {message['Subject']!r}"
        assert links[-1].startswith(self.server.url + "/"), links[-1]
        return links[-1]

    def count(self, person: Person, subject_start: str) -> int:
        return len(emails(self.mailbox, person, subject_start))


@pytest.fixture(scope="module")
def booked(live_server, smtp_mailbox, checker, site_app, open_browser) -> Booked:
    journey = Booked(live_server, smtp_mailbox, checker, site_app)
    people = (
        ("office", "Oona Office", "oona@office.example.org"),
        ("organiser", "Omar Organiser", "omar@renters.example.org"),
        ("trainer", "Tamsin Trainer", "tamsin@volunteers.example.org"),
        ("second", "Theo Trainer", "theo@volunteers.example.org"),
    )
    with site_app.app_context():
        group = group_at(GROUP, "TN39")
        topic = Topic(
            name=TOPIC,
            summary="Agenda, chairing, and decisions everyone owns.",
            default_minutes=120,
            is_online_capable=False,
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
            if key in ("trainer", "second"):
                user.trainer_profile = profile_at("TN40", topic, TUESDAY)
            db.session.add(user)
        db.session.commit()
    for key, name, address in people:
        journey.people[key] = open_browser(name, address)
    return journey


def emails(mailbox: SmtpMailbox, person: Person, subject_start: str) -> list:
    """The emails to `person` whose subject starts so, oldest first."""
    # A subject of 69 to 77 characters is folded straight after "Subject:", and
    # Python 3.11's parser keeps the fold's space (CPython gh-124452): strip it.
    return [
        m
        for m in mailbox.to(person.email)
        if str(m["Subject"]).strip().startswith(subject_start)
    ]


def newest(mailbox: SmtpMailbox, person: Person, subject_start: str) -> EmailMessage:
    found = emails(mailbox, person, subject_start)
    assert found, f"no email {subject_start!r}… to {person.email}: " + repr(
        mailbox.subjects(person.email)
    )
    return found[-1]


def invite_of(message: EmailMessage) -> tuple[str, str, int, datetime]:
    """(METHOD, UID, SEQUENCE, DTSTART) of the one event in an email's calendar."""
    calendar = calendar_of(message)
    (event,) = calendar.walk("VEVENT")
    return (
        str(calendar["METHOD"]),
        str(event["UID"]),
        int(event.get("SEQUENCE", 0)),
        event.decoded("DTSTART"),
    )


def description_of(control) -> str:
    """What a screen reader reads after a control's name: its hint and errors."""
    ids = (control.get_attribute("aria-describedby") or "").split()
    assert ids, "the control has no description"
    page = control.page
    return " ".join(page.locator(f"[id='{i}']").inner_text() for i in ids)


def answer_by_for(journey: Booked, person: Person) -> str:
    """When `person`'s newest offer must be answered by, as the pages write it."""
    with journey.app.app_context():
        made_at = db.session.scalar(
            select(Offer.created_at)
            .join(User, User.id == Offer.trainer_id)
            .where(User.email == person.email)
            .order_by(Offer.id.desc())
            .limit(1)
        )
        return format_datetime(answer_by(made_at))


def session_state(journey: Booked) -> tuple[str, str, datetime]:
    """The booked session's status, its trainer's email and its start, as stored."""
    with journey.app.app_context():
        return tuple(
            db.session.execute(
                select(TrainingSession.status, User.email, TrainingSession.starts_at)
                .join(User, User.id == TrainingSession.trainer_id)
                .where(TrainingSession.id == journey.session_id)
            ).one()
        )


def test_1_the_organiser_and_the_trainer_add_their_phone_numbers(booked: Booked):
    organiser, trainer = booked.people["organiser"], booked.people["trainer"]
    for key, phone in (("organiser", ORGANISER_PHONE), ("trainer", TRAINER_PHONE)):
        person, step = booked.people[key], f"1-{key}"
        booked.go(person, "/login", step, "sign in")
        sign_in(person)
        page = person.page
        page.get_by_role("heading", name=f"Hello, {person.name}").wait_for()
        booked.check(person, step, "home")
        open_menu(page, "Account")
        page.get_by_role("navigation", name="Your account").get_by_role(
            "link", name="Contact details"
        ).click()
        page.get_by_role("heading", name="Your contact details").wait_for()
        booked.check(person, step, "contact details")
        page.get_by_label("Phone number (optional)").fill("ring me after six")
        page.get_by_role("button", name="Save").click()
        page.get_by_role("alert").get_by_text("Please correct the following").wait_for()
        booked.check(person, step, "contact details with an error")
        page.get_by_label("Phone number (optional)").fill(phone)
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Phone number saved.").wait_for()
        booked.check(person, step, "contact details saved")
        assert page.get_by_label("Phone number (optional)").input_value() == phone
    with booked.app.app_context():
        phones = db.session.execute(
            select(User.email, User.phone).where(User.phone.is_not(None))
        ).all()
    assert sorted(phones) == sorted(
        [(organiser.email, ORGANISER_PHONE), (trainer.email, TRAINER_PHONE)]
    )


def fill_request(page, slots: list[tuple[datetime, datetime]]) -> None:
    page.get_by_label("Topic").select_option(label=f"{TOPIC} (2 hours, at a venue)")
    for row, (starts, ends) in enumerate(slots, start=1):
        if row > 1:
            page.get_by_role("button", name="Add another time").click()
        page.get_by_label(f"Slot {row} date").fill(starts.date().isoformat())
        page.get_by_label(f"Slot {row} start time").fill(f"{starts:%H:%M}")
        page.get_by_label(f"Slot {row} end time").fill(f"{ends:%H:%M}")
    page.get_by_label("At a venue").check()
    page.get_by_label("Venue postcode").fill("TN39 3AB")
    page.get_by_label("Venue address").fill("St Mark's Hall, Little Common Road")
    page.get_by_label("Expected attendance").fill("14")
    page.get_by_label("Accessibility needs (optional)").fill("Step-free entrance")
    page.get_by_label("Notes for the trainer (optional)").fill("Tea from 18:15")


def test_2_the_organiser_asks_for_a_session_at_two_times(booked: Booked):
    organiser = booked.people["organiser"]
    page = organiser.page
    page.get_by_role("link", name="Home", exact=True).click()
    page.get_by_role("link", name=f"Request a session for {GROUP}").click()
    page.get_by_role("heading", name="Ask for a training session").wait_for()
    booked.check(organiser, "2-organiser", "request a session")
    assert page.get_by_label("Meeting link (optional)").is_visible()
    for day in next_tuesdays(2):
        starts = datetime.combine(day, time(18, 30), tzinfo=LONDON)
        booked.slots.append((starts, starts + timedelta(hours=2)))
    fill_request(page, booked.slots)
    page.get_by_role("button", name="Send request").click()
    page.get_by_role("heading", name=f"{TOPIC} for {GROUP}", exact=True).wait_for()
    booked.check(organiser, "2-organiser", "request sent")

    # Asking again for the same topic at an overlapping time warns first.
    page.get_by_role("link", name="Home", exact=True).click()
    page.get_by_role("link", name=f"Request a session for {GROUP}").click()
    fill_request(page, booked.slots[:1])
    page.get_by_role("button", name="Send request").click()
    page.get_by_label("Yes, send this request as well").wait_for()
    booked.check(organiser, "2-organiser", "request overlapping an open one")
    assert not page.get_by_label("Yes, send this request as well").is_checked()
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("heading", name="Training requests").wait_for()
    with booked.app.app_context():
        requests = db.session.scalar(select(func.count()).select_from(TrainingRequest))
    assert requests == 1

    # Both trainers are free at the first time and are offered it.
    for key in ("trainer", "second"):
        (offer,) = emails(booked.mailbox, booked.people[key], f"Can you run {TOPIC}")
        body = offer.get_body(("plain",)).get_content()
        assert f"When: {format_datetime(booked.slots[0][0])} to" in body


def test_3_a_trainer_off_on_the_first_time_takes_the_offer_at_the_second(
    booked: Booked,
):
    trainer = booked.people["trainer"]
    page = trainer.page
    first_day = booked.slots[0][0].date()
    page.get_by_role("link", name="My trainer profile").click()
    page.get_by_role("link", name="Add or remove days off").click()
    booked.check(trainer, "3-trainer", "days off")
    page.get_by_label("First day off").fill(first_day.isoformat())
    page.get_by_label("Last day off").fill(first_day.isoformat())
    page.get_by_label("Note (optional)").fill("family wedding")
    page.get_by_role("button", name="Add days off").click()
    page.get_by_text("Added days off").wait_for()
    booked.check(trainer, "3-trainer", "day off added")

    deadline = answer_by_for(booked, trainer)
    page.get_by_role("link", name="Home", exact=True).click()
    # Waits for the home page to load (a click does not), failing if it never
    # says when to answer by.
    page.get_by_text(f"Answer by {deadline}").wait_for()
    booked.check(trainer, "3-trainer", "home with an offer")

    message = newest(booked.mailbox, trainer, f"Can you run {TOPIC}")
    booked.go(trainer, booked.link_in(message), "3-trainer", "offer")
    assert page.get_by_text(f"Answer by {deadline}").is_visible()
    page.get_by_role("link", name="see which you can do, and take one").click()
    booked.check(trainer, "3-trainer", "the other times")
    assert page.get_by_text(f"Answer by {deadline}").is_visible()
    # The offered time is not listed again: the second is the only other one.
    assert page.get_by_role("radio").count() == 1
    page.get_by_label(f"{when(booked.slots[1])}: you can do this").check()
    page.get_by_role("button", name="Accept at the time I chose").click()
    page.get_by_text("Thank you: the session is booked").wait_for()
    booked.check(trainer, "3-trainer", "booked session")
    booked.session_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    assert page.get_by_text(f"{when(booked.slots[1])} (UK time)").is_visible()

    organiser = booked.people["organiser"]
    invites = [newest(booked.mailbox, p, "Booked:") for p in (trainer, organiser)]
    events = [invite_of(message) for message in invites]
    assert {method for method, *_ in events} == {"REQUEST"}, events
    assert len({(uid, seq) for _, uid, seq, _ in events}) == 1, events
    assert events[0][3] == booked.slots[1][0]
    _, booked.uid, booked.sequence, _ = events[0]
    # The other trainer's offer is withdrawn.
    newest(booked.mailbox, booked.people["second"], f"{TOPIC} for {GROUP} is taken")


def test_4_trainer_and_organiser_see_each_others_contacts(booked: Booked):
    trainer, organiser = booked.people["trainer"], booked.people["organiser"]
    trainer_page = trainer.page
    contacts = trainer_page.get_by_role("definition").filter(has_text=organiser.name)
    assert contacts.get_by_role("link", name=organiser.email).get_attribute("href") == (
        f"mailto:{organiser.email}"
    )
    phone = contacts.get_by_role("link", name=ORGANISER_PHONE)
    assert phone.get_attribute("href") == "tel:" + ORGANISER_PHONE.replace(" ", "")
    assert trainer_page.get_by_text(f"{trainer.name} (you)").is_visible()

    message = newest(booked.mailbox, organiser, "Booked:")
    booked.go(organiser, booked.link_in(message), "4-organiser", "booked session")
    page = organiser.page
    assert page.get_by_text(f"{when(booked.slots[1])} (UK time)").is_visible()
    contacts = page.get_by_role("definition").filter(has_text=trainer.name)
    assert contacts.get_by_role("link", name=trainer.email).get_attribute("href") == (
        f"mailto:{trainer.email}"
    )
    phone = contacts.get_by_role("link", name=TRAINER_PHONE)
    assert phone.get_attribute("href") == "tel:" + TRAINER_PHONE.replace(" ", "")
    for shown in ("About 14 people", "Step-free entrance", "Tea from 18:15"):
        assert page.get_by_text(shown).is_visible(), shown
    assert page.get_by_text(f"{organiser.name} (you)").is_visible()


def test_5_moving_it_to_the_trainers_day_off_asks_first(booked: Booked):
    organiser, trainer = booked.people["organiser"], booked.people["trainer"]
    page = organiser.page
    page.get_by_role("link", name="The request, its history").click()
    page.get_by_role("link", name="Reschedule").click()
    booked.check(organiser, "5-organiser", "reschedule")
    day_off = f"{when(booked.slots[0])}: {trainer.name} can't (on a day off)"
    page.get_by_label(day_off).check()
    page.get_by_role("button", name="Reschedule").click()
    page.get_by_label("Yes, move it and release the trainer").wait_for()
    booked.check(organiser, "5-organiser", "reschedule asking to release the trainer")
    release = page.get_by_label("Yes, move it and release the trainer")
    assert not release.is_checked()
    assert (
        f"{trainer.name} can't do {format_datetime(booked.slots[0][0])} "
        "(on a day off): they will be released"
    ) in description_of(release)
    page.get_by_role("link", name="Keep the current time").click()
    page.get_by_role("heading", name=f"{TOPIC} for {GROUP}", exact=True).wait_for()

    assert session_state(booked) == ("booked", trainer.email, booked.slots[1][0])
    for person in (trainer, organiser):
        assert booked.count(person, "Moved:") == 0, person.email
        assert booked.count(person, "Cancelled:") == 0, person.email


def test_6_the_organiser_changes_the_details_and_everyone_gets_the_update(
    booked: Booked,
):
    organiser, trainer = booked.people["organiser"], booked.people["trainer"]
    page = organiser.page
    booked.go(organiser, f"/sessions/{booked.session_id}", "6-organiser", "session")
    page.get_by_role("link", name="Change the details").click()
    page.get_by_role("heading", name=f"Change {TOPIC} for {GROUP}").wait_for()
    booked.check(organiser, "6-organiser", "change the details")
    assert page.get_by_label("Expected attendance").input_value() == "14"
    page.get_by_label("Expected attendance").fill("0")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("alert").get_by_text("Please correct the following").wait_for()
    booked.check(organiser, "6-organiser", "change the details with an error")
    page.get_by_label("Expected attendance").fill("20")
    page.get_by_label("Notes for the trainer (optional)").fill(
        "Tea from 18:15; we have booked the projector"
    )
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text(
        "Everyone on the session has been sent the updated invite."
    ).wait_for()
    booked.check(organiser, "6-organiser", "session with the new details")
    for shown in ("About 20 people", "we have booked the projector"):
        assert page.get_by_text(shown).is_visible(), shown

    for person in (trainer, organiser):
        message = newest(booked.mailbox, person, f"Changed: {TOPIC} for {GROUP}")
        method, uid, sequence, starts = invite_of(message)
        assert (method, uid, starts) == ("REQUEST", booked.uid, booked.slots[1][0])
        assert sequence > booked.sequence, (person.email, sequence, booked.sequence)
        body = message.get_body(("plain",)).get_content()
        assert "What changed: expected attendance from 14 to 20; notes changed." in body
        assert "Expected: about 20 people" in body
    booked.sequence = sequence


def test_7_days_off_over_the_session_ask_the_trainer_first(booked: Booked):
    trainer = booked.people["trainer"]
    page = trainer.page
    second_day = booked.slots[1][0].date()
    page.get_by_role("link", name="My trainer profile").click()
    page.get_by_role("link", name="Add or remove days off").click()
    page.get_by_label("First day off").fill(second_day.isoformat())
    page.get_by_label("Last day off").fill(second_day.isoformat())
    page.get_by_role("button", name="Add days off").click()
    hand_back = page.get_by_label("Hand those sessions back and add the days off")
    hand_back.wait_for()
    booked.check(trainer, "7-trainer", "days off covering a booked session")
    assert not hand_back.is_checked()
    listed = f"{TOPIC} for {GROUP}, {format_datetime(booked.slots[1][0])}"
    assert listed in description_of(hand_back)
    # Thinking better of it: the days off are not added, the session stays.
    page.get_by_role("link", name="Back to the profile").click()
    page.get_by_role("heading", name="Days off", exact=True, level=2).wait_for()
    with booked.app.app_context():
        days_off = db.session.scalars(
            select(DayOff.first_on)
            .join(User, User.id == DayOff.trainer_id)
            .where(User.email == trainer.email)
        ).all()
    assert days_off == [booked.slots[0][0].date()]
    assert session_state(booked) == ("booked", trainer.email, booked.slots[1][0])


def test_8_the_trainer_hands_the_session_back(booked: Booked):
    trainer, organiser = booked.people["trainer"], booked.people["organiser"]
    second = booked.people["second"]
    offers_before = booked.count(second, f"Can you run {TOPIC}")
    page = trainer.page
    booked.go(trainer, f"/sessions/{booked.session_id}", "8-trainer", "session")
    page.get_by_role("button", name="Hand this session back").click()
    page.get_by_role("alert").get_by_text("Please correct the following").wait_for()
    booked.check(trainer, "8-trainer", "hand back without a reason")
    page.get_by_label("Why can't you do it?").fill("My car has been written off")
    page.get_by_role("button", name="Hand this session back").click()
    page.get_by_text("You have handed the session back.").wait_for()
    booked.check(trainer, "8-trainer", "home after handing back")

    method, uid, sequence, _ = invite_of(newest(booked.mailbox, trainer, "Cancelled:"))
    assert (method, uid) == ("CANCEL", booked.uid)
    assert sequence > booked.sequence
    booked.sequence = sequence
    told = newest(booked.mailbox, organiser, f"Finding a new trainer: {TOPIC}")
    assert calendar_parts(told) == []
    assert not any((part.get_filename() or "").endswith(".ics") for part in told.walk())
    assert "My car has been written off" in told.get_body(("plain",)).get_content()
    assert booked.count(organiser, "Cancelled:") == 0

    # Matching re-offers the same time to the trainer whose offer was withdrawn.
    assert booked.count(second, f"Can you run {TOPIC}") == offers_before + 1
    body = newest(booked.mailbox, second, f"Can you run {TOPIC}").get_body(("plain",))
    assert f"When: {format_datetime(booked.slots[1][0])} to" in body.get_content()


def test_9_a_second_trainer_takes_the_re_offer_and_carries_the_event_on(
    booked: Booked,
):
    second, organiser = booked.people["second"], booked.people["organiser"]
    page = second.page
    message = newest(booked.mailbox, second, f"Can you run {TOPIC}")
    booked.go(second, booked.link_in(message), "9-second", "sign in from the offer")
    sign_in(second)
    page.get_by_role("heading", name=f"{TOPIC} for {GROUP}", exact=True).wait_for()
    booked.check(second, "9-second", "offer")
    assert page.get_by_text(f"{when(booked.slots[1])} (UK time)").is_visible()
    assert page.get_by_text(f"Answer by {answer_by_for(booked, second)}").is_visible()
    page.get_by_role("button", name="Accept: I'll run it").click()
    page.get_by_text("Thank you: the session is booked").wait_for()
    booked.check(second, "9-second", "booked session")
    booked.session_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    assert session_state(booked) == ("booked", second.email, booked.slots[1][0])

    invites = [newest(booked.mailbox, p, "Booked:") for p in (second, organiser)]
    events = [invite_of(message) for message in invites]
    assert {event[:3] for event in events} == {("REQUEST", booked.uid, events[0][2])}
    assert events[0][2] > booked.sequence, (events, booked.sequence)
    assert {starts for *_, starts in events} == {booked.slots[1][0]}
    booked.sequence = events[0][2]


def test_10_the_office_deactivates_the_second_trainer_seeing_the_session(
    booked: Booked,
):
    office, second = booked.people["office"], booked.people["second"]
    organiser = booked.people["organiser"]
    page = office.page
    booked.go(office, "/login", "10-office", "sign in")
    sign_in(office)
    open_menu(page, "Network")
    page.get_by_role("link", name="People").click()
    booked.check(office, "10-office", "people")
    page.get_by_role("link", name=f"Deactivate {second.name}").click()
    page.get_by_role("heading", name=f"Deactivate {second.name}").wait_for()
    booked.check(office, "10-office", "deactivate")
    listed = page.get_by_role("listitem").filter(has_text="Booked to run")
    assert listed.get_by_role("link", name=f"{TOPIC} for {GROUP}").get_attribute(
        "href"
    ) == (f"/sessions/{booked.session_id}")
    assert format_datetime(booked.slots[1][0]) in listed.inner_text()

    page.get_by_role("button", name=f"Deactivate {second.name}").click()
    page.get_by_role("alert").get_by_text("Please correct the following").wait_for()
    booked.check(office, "10-office", "deactivate without confirming")
    assert session_state(booked) == ("booked", second.email, booked.slots[1][0])
    page.get_by_label("Yes: hand back their sessions").check()
    page.get_by_role("button", name=f"Deactivate {second.name}").click()
    page.get_by_text(f"{second.name} is deactivated and cannot sign in.").wait_for()
    booked.check(office, "10-office", "people after deactivating")

    assert session_state(booked)[0] == "cancelled"
    method, uid, sequence, _ = invite_of(newest(booked.mailbox, second, "Cancelled:"))
    assert (method, uid) == ("CANCEL", booked.uid)
    assert sequence > booked.sequence
    told = emails(booked.mailbox, organiser, f"Finding a new trainer: {TOPIC}")
    assert len(told) == 2 and calendar_parts(told[-1]) == []
    assert second.name in told[-1].get_body(("plain",)).get_content()
    # Nobody else is left to ask: the group and the office hear so.
    for person in (organiser, office):
        newest(booked.mailbox, person, f"No trainer yet: {TOPIC} for {GROUP}")
