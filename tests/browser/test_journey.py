"""One request's whole life, as its people live it, in real Chromium.

The office sets up a group and invites its organiser and a trainer, who join from the
emailed links; the trainer fills in a profile, the organiser asks for a session, the
trainer accepts the emailed offer and both get a calendar invite; the organiser moves
it and both get an update of the same event; the session takes place, the trainer
records who came, the organiser rates it, and the office sees it in coverage and
exports it. Every page on the way passes axe-core and fits a 375 px phone.

The steps run in order and share one server, database and set of browsers; see
conftest.py for those and for the page checks.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from email.message import EmailMessage

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import (
    JourneyBase,
    Person,
    SmtpMailbox,
    calendar_of,
    next_tuesdays,
    open_menu,
)
from tests.browser.conftest import (
    sign_in as sign_in_on_page,
)
from tests.conftest import PASSWORD, password_hash
from trainers import scheduler
from trainers.auth.models import User
from trainers.extensions import db
from trainers.sessions.models import TrainingSession
from trainers.timeutil import LONDON, format_datetime, format_time, utcnow

pytestmark = [pytest.mark.journey, pytest.mark.slow]

TOPIC = "Door-knocking and canvassing"
GROUP = "Hastings Tenants Union"


@dataclass
class Journey(JourneyBase):
    """What the steps share, and what they made."""

    slots: list[tuple[datetime, datetime]] = field(default_factory=list)
    session_id: int | None = None
    calendar_uid: str | None = None
    calendar_sequence: int | None = None
    took_place_at: datetime | None = None

    def go(self, person: Person, path_or_url: str, step: str, what: str) -> None:
        """`person` opens a path or a link and the page is checked."""
        self.open(person, path_or_url)
        self.check(person, step, what)

    def emailed_link(self, person: Person) -> str:
        """The link in the newest email to `person`; it must point at this server."""
        link = self.server.url + self.mailbox.last_link(person.email)
        body = self.mailbox.to(person.email)[-1].get_body(("plain",)).get_content()
        assert link in body, f"the email links elsewhere than {self.server.url}"
        return link

    def run_job(self, job_id: str) -> str:
        """Run a scheduler job now, as `flask scheduler run-job` does."""
        with self.app.app_context():
            run = scheduler.run_job(scheduler.job_by_id(job_id), utcnow())
        assert run.last_ok, run.last_outcome
        return run.last_outcome


@pytest.fixture(scope="module")
def journey(live_server, smtp_mailbox, checker, site_app, open_browser) -> Journey:
    journey = Journey(live_server, smtp_mailbox, checker, site_app)
    with site_app.app_context():
        # The first office account is made by whoever installs the site.
        db.session.add(
            User(
                email="olive@office.example.org",
                name="Olive Office",
                password_hash=password_hash(),
                is_office=True,
            )
        )
        db.session.commit()
    for key, name, address in (
        ("office", "Olive Office", "olive@office.example.org"),
        ("organiser", "Orla Organiser", "orla@tenants.example.org"),
        ("trainer", "Tariq Trainer", "tariq@volunteers.example.org"),
    ):
        journey.people[key] = open_browser(name, address)
    return journey


def event_of(message: EmailMessage) -> tuple[str, str, int]:
    """(METHOD, UID, SEQUENCE) of the one event in an email's calendar."""
    calendar = calendar_of(message)
    (event,) = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), str(event["UID"]), int(event.get("SEQUENCE", 0))


def newest(mailbox: SmtpMailbox, person: Person, subject_start: str) -> EmailMessage:
    found = [
        m for m in mailbox.to(person.email) if m["Subject"].startswith(subject_start)
    ]
    assert found, f"no email {subject_start!r}… to {person.email}: " + repr(
        mailbox.subjects(person.email)
    )
    return found[-1]


def sign_in(journey: Journey, person: Person, step: str) -> None:
    journey.go(person, "/login", step, "sign in")
    page = person.page
    # The real browser enforces the CSP: no injected inline script runs. (This is
    # why the checker hands axe-core to the page through DevTools instead.)
    with pytest.raises(PlaywrightError, match="Content Security Policy"):
        page.add_script_tag(content="window.injected = true")
    sign_in_on_page(person)
    page.get_by_role("heading", name=f"Hello, {person.name}").wait_for()
    journey.check(person, step, "home")


def join_from_invitation(journey: Journey, person: Person, step: str) -> None:
    assert journey.mailbox.subjects(person.email)[-1].startswith(
        "You're invited to Trainers' Network"
    )
    journey.go(person, journey.emailed_link(person), step, "accept invitation")
    page = person.page
    assert page.get_by_label("Your name").input_value() == person.name
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.get_by_text(f"Welcome to Trainers' Network, {person.name}.").wait_for()
    journey.check(person, step, "home")


def test_1_office_invites_an_organiser_and_a_trainer_who_join(journey: Journey):
    office = journey.people["office"]
    page = office.page
    # Signed out, the front door says what this is and links the privacy notice.
    journey.go(office, "/", "1-office", "welcome")
    page.get_by_role("heading", name="How to get an account").wait_for()
    page.get_by_role("link", name="Privacy notice", exact=True).click()
    page.get_by_role("heading", name="Who sees it").wait_for()
    journey.check(office, "1-office", "privacy notice")
    sign_in(journey, office, "1-office")

    open_menu(page, "Network")
    page.get_by_role("link", name="Topics").click()
    journey.check(office, "1-office", "topics")
    page.get_by_role("link", name="Add a topic").click()
    journey.check(office, "1-office", "add a topic")
    page.get_by_label("Topic name").fill(TOPIC)
    page.get_by_label("Summary").fill("Plan a canvass, knock, listen and record.")
    page.get_by_role("button", name="Save topic").click()
    page.get_by_text(f"{TOPIC} saved.").wait_for()
    journey.check(office, "1-office", "topics with the new topic")

    open_menu(page, "Network")
    page.get_by_role("link", name="Groups").click()
    journey.check(office, "1-office", "groups")
    page.get_by_role("link", name="Add a group").click()
    journey.check(office, "1-office", "add a group")
    page.get_by_label("Group name").fill(GROUP)
    page.get_by_label("Postcode district").fill("TN34 1AA")
    page.get_by_role("button", name="Save group").click()
    page.get_by_role("heading", name=GROUP).wait_for()
    journey.check(office, "1-office", "group")

    organiser = journey.people["organiser"]
    page.get_by_role("link", name="Invite an organiser").click()
    journey.check(office, "1-office", "invite an organiser")
    assert page.get_by_label("Role").input_value() == "organiser"
    assert GROUP in page.get_by_label("Group (for organisers)").inner_text()
    page.get_by_label("Their name").fill(organiser.name)
    page.get_by_label("Their email address").fill(organiser.email)
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text(f"Invitation emailed to {organiser.email}.").wait_for()
    journey.check(office, "1-office", "people")

    trainer = journey.people["trainer"]
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("Their name").fill(trainer.name)
    page.get_by_label("Their email address").fill(trainer.email)
    page.get_by_label("Role").select_option(label="Trainer")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text(f"Invitation emailed to {trainer.email}.").wait_for()

    join_from_invitation(journey, organiser, "1-organiser")
    join_from_invitation(journey, trainer, "1-trainer")
    open_menu(page, "Network")
    page.get_by_role("link", name="People").click()
    journey.check(office, "1-office", "people after both joined")
    assert page.get_by_text("No invitations are waiting.").is_visible()


def test_2_trainer_sets_up_a_profile_and_the_organiser_requests_a_session(
    journey: Journey,
):
    trainer = journey.people["trainer"]
    page = trainer.page
    page.get_by_role("link", name="My trainer profile").click()
    journey.check(trainer, "2-trainer", "profile")
    page.get_by_role("link", name="Choose topics").click()
    journey.check(trainer, "2-trainer", "topics")
    page.get_by_role("group", name=TOPIC).get_by_label("Qualified").check()
    page.get_by_role("button", name="Save topics").click()

    page.get_by_role("link", name="Change home district").click()
    journey.check(trainer, "2-trainer", "home district and radius")
    page.get_by_label("Home postcode district").fill("TN35")
    page.get_by_label("Travel radius (km)").fill("30")
    page.get_by_label("Monthly cap").fill("4")
    page.get_by_role("button", name="Save", exact=True).click()

    page.get_by_role("link", name="Add or remove times").click()
    journey.check(trainer, "2-trainer", "availability")
    page.get_by_label("Day of the week").select_option(label="Tuesday")
    page.get_by_label("Start time").fill("18:00")
    page.get_by_label("End time").fill("21:00")
    page.get_by_role("button", name="Add time").click()
    page.get_by_role("row", name=re.compile("^Tuesday 18:00 21:00")).wait_for()
    page.get_by_role("link", name="Back to the profile").click()
    page.get_by_text("Nothing is missing").wait_for()
    journey.check(trainer, "2-trainer", "complete profile")

    organiser = journey.people["organiser"]
    page = organiser.page
    page.get_by_role("link", name=f"Request a session for {GROUP}").click()
    journey.check(organiser, "2-organiser", "request a session")
    page.get_by_role("button", name="Send request").click()  # too soon: nothing filled
    page.get_by_role("alert").get_by_text("Please correct the following").wait_for()
    journey.check(organiser, "2-organiser", "request with errors")
    page.get_by_role("alert").get_by_role("link", name="Topic").click()
    assert page.get_by_label("Topic").evaluate("e => e === document.activeElement")
    page.get_by_label("Topic").select_option(label=f"{TOPIC} (2 hours, at a venue)")
    for row, day in enumerate(next_tuesdays(2), start=1):
        if row > 1:
            page.get_by_role("button", name="Add another time").click()
        page.get_by_label(f"Slot {row} date").fill(day.isoformat())
        page.get_by_label(f"Slot {row} start time").fill("18:30")
        page.get_by_label(f"Slot {row} end time").fill("20:30")
        starts = datetime.combine(day, time(18, 30), tzinfo=LONDON)
        journey.slots.append((starts, starts + timedelta(hours=2)))
    page.get_by_label("At a venue").check()
    page.get_by_label("Venue postcode").fill("TN34 1AA")
    page.get_by_label("Venue address").fill("Community Hall, 1 High Street, Hastings")
    page.get_by_label("Expected attendance").fill("14")
    page.get_by_role("button", name="Send request").click()
    page.get_by_role("heading", name=f"{TOPIC} for {GROUP}").wait_for()
    journey.check(organiser, "2-organiser", "request sent")
    status = page.locator("#status-line")
    assert status.inner_text().startswith("Where it stands: Offered to 1 trainer.")


def test_3_trainer_accepts_the_emailed_offer_and_both_get_an_invite(
    journey: Journey,
):
    trainer, organiser = journey.people["trainer"], journey.people["organiser"]
    newest(journey.mailbox, trainer, f"Can you run {TOPIC} for {GROUP}?")
    journey.go(trainer, journey.emailed_link(trainer), "3-trainer", "offer")
    trainer.page.get_by_role("button", name="Accept: I'll run it").click()
    trainer.page.get_by_role("heading", name=f"{TOPIC} for {GROUP}").wait_for()
    journey.check(trainer, "3-trainer", "booked session")
    journey.session_id = int(trainer.page.url.rstrip("/").rsplit("/", 1)[-1])

    invites = [newest(journey.mailbox, p, "Booked:") for p in (trainer, organiser)]
    events = [event_of(message) for message in invites]
    assert {method for method, _, _ in events} == {"REQUEST"}
    assert len({uid for _, uid, _ in events}) == 1, events
    assert len({sequence for _, _, sequence in events}) == 1, events
    _, journey.calendar_uid, journey.calendar_sequence = events[0]
    (event,) = calendar_of(invites[0]).walk("VEVENT")
    assert event.decoded("DTSTART") == journey.slots[0][0]

    journey.go(organiser, journey.emailed_link(organiser), "3-organiser", "session")
    organiser.page.get_by_text(trainer.name).first.wait_for()


def test_4_organiser_reschedules_and_both_get_an_update_of_the_same_event(
    journey: Journey,
):
    trainer, organiser = journey.people["trainer"], journey.people["organiser"]
    page = organiser.page
    page.get_by_role("link", name="The request, its history").click()
    journey.check(organiser, "4-organiser", "request booked")
    page.get_by_role("link", name="Reschedule").click()
    journey.check(organiser, "4-organiser", "reschedule")
    starts, ends = journey.slots[1]
    page.get_by_label(f"{format_datetime(starts)}–{format_time(ends)}").check()
    page.get_by_role("button", name="Reschedule").click()
    page.get_by_text(f"{trainer.name} will still run it").wait_for()
    journey.check(organiser, "4-organiser", "request moved")

    for person in (trainer, organiser):
        method, uid, sequence = event_of(newest(journey.mailbox, person, "Moved:"))
        assert (method, uid) == ("REQUEST", journey.calendar_uid), person.email
        assert sequence > journey.calendar_sequence, person.email


def test_5_the_session_takes_place_trainer_records_attendance_organiser_rates(
    journey: Journey,
):
    trainer, organiser = journey.people["trainer"], journey.people["organiser"]
    # Time moves on: the session, booked weeks ahead, ended three hours ago.
    with journey.app.app_context():
        training_session = db.session.get(TrainingSession, journey.session_id)
        ends_at = utcnow().replace(second=0, microsecond=0) - timedelta(hours=3)
        journey.took_place_at = ends_at - timedelta(hours=2)
        training_session.starts_at = journey.took_place_at
        training_session.ends_at = ends_at
        db.session.commit()
    assert journey.run_job("follow-up-sessions").endswith(", 1 asked")

    newest(journey.mailbox, trainer, "how did")
    journey.go(trainer, journey.emailed_link(trainer), "5-trainer", "attendance")
    page = trainer.page
    page.get_by_label("How many people came?").fill("17")
    page.get_by_role("button", name="Record attendance").click()
    page.get_by_text("17 people counted").wait_for()
    page.get_by_label("Name", exact=True).fill("Sam Activist")
    page.get_by_label("They ticked").check()
    page.get_by_role("button", name="Add to the roster").click()
    page.get_by_role("cell", name=re.compile("^Sam Activist")).wait_for()
    journey.check(trainer, "5-trainer", "attendance recorded")
    with journey.app.app_context():
        status = db.session.get(TrainingSession, journey.session_id).status
    assert status == "delivered"

    newest(journey.mailbox, organiser, "how did")
    journey.go(organiser, journey.emailed_link(organiser), "5-organiser", "attendance")
    page = organiser.page
    page.get_by_text("17 people counted").wait_for()
    page.get_by_role("link", name="Back to the session").click()
    journey.check(organiser, "5-organiser", "session delivered")
    page.get_by_role("link", name="Rate this session").click()
    journey.check(organiser, "5-organiser", "rate the session")
    page.get_by_label("5: excellent").check()
    page.get_by_label("Comment").fill("Clear, practical, and everyone had a go.")
    page.get_by_role("button", name="Save the rating").click()
    page.get_by_text("5 out of 5").wait_for()
    journey.check(organiser, "5-organiser", "rated session")


def test_6_office_sees_the_session_in_coverage_and_exports_it(journey: Journey):
    office, trainer = journey.people["office"], journey.people["trainer"]
    page = office.page
    open_menu(page, "Coverage")
    page.get_by_role("link", name="Coverage").click()
    journey.check(office, "6-office", "coverage")
    page.get_by_label("Topic", exact=True).select_option(label=TOPIC)
    page.get_by_role("button", name="Show").click()
    page.get_by_text("Showing").get_by_text(TOPIC).wait_for()
    journey.check(office, "6-office", "coverage of the topic")
    south_east = page.get_by_role("row", name=re.compile("^South East"))
    assert south_east.get_by_role("cell").all_inner_texts()[:3] == [
        "1 of 1 (100%)",
        "1",
        "17",
    ]

    with page.expect_download() as download:
        page.get_by_role("link", name="Delivered sessions in the range (CSV)").click()
    failure = download.value.failure()
    assert failure is None, f"download {failure}:\n{journey.server.log_tail()}"
    text = download.value.path().read_text("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(text))
    took_place = journey.took_place_at.astimezone(LONDON)
    assert row == {
        "Date": took_place.date().isoformat(),
        "Start": took_place.strftime("%H:%M"),
        "Group": GROUP,
        "Nation or region": "South East",
        "Topic": TOPIC,
        "Trainer": trainer.name,
        "People trained": "17",
        "Rating": "5",
    }
    assert "Sam Activist" not in text  # this export names no attendee, as it says
