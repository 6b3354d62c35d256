"""What an invite tells both sides, as Mozilla's ical.js (Thunderbird) and libical
(Evolution) read it: the meeting link, the headcount, access needs, notes and
everyone's contacts; nobody asked to reply; the organiser is the email's sender."""

from datetime import UTC, datetime, time, timedelta
from email.utils import parseaddr

import pytest
from sqlalchemy import select

from tests import calendar_parsers
from trainers.calendar import services as calendar
from trainers.extensions import db
from trainers.matching.answers import accept_offer
from trainers.matching.offers import offer_request
from trainers.profiles.models import AvailabilityWindow
from trainers.requests.models import RequestSlot, TrainingRequest
from trainers.sessions.models import TrainingSession

calendar_parsers.require_parsers()

# Tuesday 13 April 2027, 18:00-19:30 BST.
START = datetime(2027, 4, 13, 17, 0, tzinfo=UTC)
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
MEETING = "https://meet.example.org/abc-defg-hij?pwd=x1,y2;z3"
ACCESS = "Captions, please; one of us is hard of hearing."
NOTES = "We meet in the back room.\nBring the canvassing sheets, please."


@pytest.fixture
def online(make_group, make_topic, make_user, make_trainer):
    """An online session booked through matching, with a meeting link, access
    needs and notes; two organisers, one with a phone number, and a trainer with
    one."""
    group = make_group("Hastings Action", "TN34")
    topic = make_topic("Phone banking", minutes=90, online=True)
    first = make_user("ann@example.org", "Ann Organiser", groups=[group])
    first.phone = "07700 900111"
    second = make_user("bo@example.org", "Bo Organiser", groups=[group])
    trainer = make_trainer("zoe@example.org", topics=[topic])
    trainer.name, trainer.phone = "Zoë Trainer", "07700 900222"
    trainer.trainer_profile.availability.append(
        AvailabilityWindow(weekday=1, start_time=time(17), end_time=time(21))
    )
    training_request = TrainingRequest(
        group=group,
        topic=topic,
        status="submitted",
        is_online=True,
        meeting_url=MEETING,
        expected_attendance=14,
        accessibility_needs=ACCESS,
        notes=NOTES,
        slots=[RequestSlot(starts_at=START, ends_at=START + timedelta(minutes=90))],
    )
    db.session.add(training_request)
    db.session.commit()
    (offer,) = offer_request(training_request, NOW)
    accept_offer(offer.id, trainer, NOW)
    db.session.commit()
    return {
        "session": db.session.scalar(select(TrainingSession)),
        "trainer": trainer,
        "organisers": [first, second],
    }


def invite_to(mailbox, address: str) -> tuple:
    """The last email to `address`, and the invite in its text/calendar part."""
    message = mailbox.to(address)[-1]
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return message, part.get_payload(decode=True)


def test_an_online_session_shows_its_meeting_link_in_location_url_and_description(
    online, mailbox
):
    for person in [online["trainer"], *online["organisers"]]:
        _, ics = invite_to(mailbox, person.email)
        for parser, reading in calendar_parsers.parse_with_all(ics).items():
            assert calendar_parsers.problems(reading) == [], parser
            (event,) = reading["events"]
            assert event["location"] == MEETING, parser
            assert event["url"] == MEETING, parser
            assert f"Where: Online\nMeeting link: {MEETING}\n" in event["description"]


def test_the_invite_says_headcount_access_needs_notes_and_how_to_reach_everyone(
    online, mailbox
):
    session_id = online["session"].id
    _, ics = invite_to(mailbox, "zoe@example.org")
    readings = calendar_parsers.parse_with_all(ics)
    assert readings["ical.js"]["events"] == readings["libical"]["events"]
    (event,) = readings["libical"]["events"]
    assert event["description"] == (
        "Phone banking for Hastings Action.\n"
        "Trainer: Zoë Trainer\n"
        "Where: Online\n"
        f"Meeting link: {MEETING}\n"
        "About 14 people.\n"
        f"Access needs: {ACCESS}\n"
        f"Notes: {NOTES}\n"
        "\n"
        "Contacts:\n"
        "Zoë Trainer (trainer): zoe@example.org, 07700 900222\n"
        "Ann Organiser (organiser): ann@example.org, 07700 900111\n"
        "Bo Organiser (organiser): bo@example.org\n"
        "\n"
        f"Details and changes: http://localhost/sessions/{session_id}"
    )


def test_nobody_is_asked_to_reply_and_the_organiser_is_the_sender(app, online, mailbox):
    for person in [online["trainer"], *online["organisers"]]:
        message, ics = invite_to(mailbox, person.email)
        name, address = parseaddr(message["From"])
        for parser, reading in calendar_parsers.parse_with_all(ics).items():
            (event,) = reading["events"]
            assert event["organizer"] == {"address": f"mailto:{address}", "cn": name}
            assert len(event["attendees"]) == 3, parser
            for attendee in event["attendees"]:
                assert attendee["partstat"] == "ACCEPTED", parser
                assert attendee["rsvp"] is None, parser
        assert b"RSVP" not in ics
        assert b"NEEDS-ACTION" not in ics


def test_the_organiser_follows_mail_from_whatever_it_is(app, online, mailbox):
    app.config["MAIL_FROM"] = '"Network Office" <office@trainers.example>'
    training_session = db.session.get(TrainingSession, online["session"].id)
    calendar.send_invites(training_session, "session_reminder", now=NOW)
    db.session.commit()
    message, ics = invite_to(mailbox, "zoe@example.org")
    assert parseaddr(message["From"]) == ("Network Office", "office@trainers.example")
    for reading in calendar_parsers.parse_with_all(ics).values():
        assert reading["events"][0]["organizer"] == {
            "address": "mailto:office@trainers.example",
            "cn": "Network Office",
        }
    # A bare address: an organiser without a name.
    app.config["MAIL_FROM"] = "sender@trainers.example"
    calendar.send_invites(training_session, "session_reminder", now=NOW)
    db.session.commit()
    _, ics = invite_to(mailbox, "zoe@example.org")
    assert b"ORGANIZER:mailto:sender@trainers.example\r\n" in ics


def test_a_cancellation_asks_nobody_to_reply_either(online, mailbox):
    training_session = db.session.get(TrainingSession, online["session"].id)
    calendar.send_invites(
        training_session,
        "session_cancelled",
        people=[online["trainer"]],
        removed=True,
        by=online["organisers"][0],
    )
    db.session.commit()
    _, ics = invite_to(mailbox, "zoe@example.org")
    reading = calendar_parsers.parse_with_libical(ics)
    assert calendar_parsers.problems(reading) == []
    assert reading["method"] == "CANCEL"
    assert {a["partstat"] for a in reading["events"][0]["attendees"]} == {"ACCEPTED"}
    assert b"RSVP" not in ics
