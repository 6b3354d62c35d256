"""Invites and feeds as real calendar clients read them: Mozilla's ical.js
(Thunderbird) and libical (Evolution), with awkward data and a DST day."""

from datetime import UTC, datetime, time, timedelta
from email.utils import parseaddr

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tests import calendar_parsers
from trainers.calendar import feed, feed_links
from trainers.extensions import db
from trainers.matching import lifecycle
from trainers.matching.answers import accept_offer
from trainers.matching.offers import offer_request
from trainers.profiles.models import AvailabilityWindow
from trainers.requests.models import RequestSlot, TrainingRequest
from trainers.sessions.models import TrainingSession

calendar_parsers.require_parsers()

# Sunday 28 March 2027, the day the clocks go forward: 10:00-12:00 BST.
DST_START = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)
LATER = datetime(2027, 4, 4, 9, 0, tzinfo=UTC)
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
AWKWARD_NAME = 'Zoë "Zee" O\'Neil, Jr; 😀'
ADDRESS = "Flat 2; The Old Forge\nHigh St, Hastings\\East Sussex"


@pytest.fixture
def booked(make_group, make_topic, make_user, make_trainer):
    group = make_group("Hastings, Rye & District", "TN34")
    topic = make_topic("Door-knocking; the basics")
    organiser = make_user("org@example.org", "Ann Organiser", groups=[group])
    trainer = make_trainer("zoe@example.org", topics=[topic])
    trainer.name = AWKWARD_NAME
    trainer.trainer_profile.monthly_cap = 4
    trainer.trainer_profile.availability.append(
        AvailabilityWindow(weekday=6, start_time=time(9), end_time=time(17))
    )
    training_request = TrainingRequest(
        group=group,
        topic=topic,
        status="submitted",
        expected_attendance=10,
        venue_postcode="TN34 1AA",
        venue_address=ADDRESS,
        venue_latitude=group.latitude,
        venue_longitude=group.longitude,
        slots=[
            RequestSlot(starts_at=DST_START, ends_at=DST_START + timedelta(hours=2)),
            RequestSlot(starts_at=LATER, ends_at=LATER + timedelta(hours=2)),
        ],
    )
    db.session.add(training_request)
    db.session.commit()
    (offer,) = offer_request(training_request, NOW)
    accept_offer(offer.id, trainer, NOW)
    db.session.commit()
    return {
        "request": training_request,
        "session": db.session.scalar(select(TrainingSession)),
        "trainer": trainer,
        "organiser": organiser,
    }


def calendar_part(message):
    """The text/calendar alternative and the invite.ics attachment of a message;
    fails unless there is one of each."""
    inline = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    attached = [p for p in message.walk() if p.get_filename() == "invite.ics"]
    assert len(inline) == len(attached) == 1
    assert inline[0].get_filename() is None
    return inline[0], attached[0]


def last_invite(mailbox, address):
    message = mailbox.to(address)[-1]
    inline, attachment = calendar_part(message)
    ics = inline.get_payload(decode=True)
    assert attachment.get_payload(decode=True) == ics
    return message, inline, ics


def test_booking_sends_each_participant_an_invite_both_clients_read_alike(
    booked, mailbox, app
):
    for person in (booked["trainer"], booked["organiser"]):
        message, inline, ics = last_invite(mailbox, person.email)
        assert message.get_content_type() == "multipart/mixed"
        alternative = message.get_payload()[0]
        assert alternative.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in alternative.get_payload()] == [
            "text/plain",
            "text/html",
            "text/calendar",
        ]
        assert inline.get_param("method") == "REQUEST"
        assert inline.get_param("charset").upper() == "UTF-8"
        _, attachment = calendar_part(message)
        assert attachment.get_content_type() == "application/ics"
        assert attachment.get_content_disposition() == "attachment"
        sender_name, sender = parseaddr(message["From"])
        assert b"\r\nMETHOD:REQUEST\r\n" in ics
        assert all(len(line) <= 75 for line in ics.split(b"\r\n"))
        assert b"\n" not in ics.replace(b"\r\n", b"")

        readings = calendar_parsers.parse_with_all(ics)
        for parser, reading in readings.items():
            assert calendar_parsers.problems(reading) == [], parser
            assert reading["method"] == "REQUEST"
            (event,) = reading["events"]
            assert event["uid"] == booked["session"].ical_uid
            assert event["sequence"] == 0
            assert event["dtstart"] == "2027-03-28T09:00:00Z"
            assert event["dtend"] == "2027-03-28T11:00:00Z"
            assert event["status"] == "CONFIRMED"
            assert (
                event["summary"]
                == "Door-knocking; the basics: Hastings, Rye & District"
            )
            assert (
                "Flat 2; The Old Forge, High St, Hastings\\East Sussex"
                in event["location"]
            )
            assert f"Trainer: {AWKWARD_NAME}" in event["description"]
            # At a venue, the link is the session's page; no access needs or
            # notes were given, so none are said.
            link = f"http://localhost/sessions/{booked['session'].id}"
            assert event["url"] == link
            assert "TN34 1AA\nAbout 10 people.\n\nContacts:\n" in event["description"]
            assert "Access needs" not in event["description"]
            assert "Notes" not in event["description"]
            # The invite's organiser is the email's sender, name and address.
            assert event["organizer"] == {
                "address": "mailto:" + sender,
                "cn": sender_name,
            }
            attendees = {a["address"].lower(): a for a in event["attendees"]}
            assert "mailto:" + sender not in attendees
            assert set(attendees) == {
                "mailto:" + p.email for p in (booked["trainer"], booked["organiser"])
            }
            # Replies are not read: nobody is asked for one.
            for attendee in attendees.values():
                assert (attendee["role"], attendee["partstat"], attendee["rsvp"]) == (
                    "REQ-PARTICIPANT",
                    "ACCEPTED",
                    None,
                )
            assert AWKWARD_NAME.replace('"', "'") in {
                a["cn"] for a in event["attendees"]
            }


def test_reschedule_then_cancel_update_the_same_event(booked, mailbox, app):
    trainer, organiser = booked["trainer"], booked["organiser"]
    _, _, first = last_invite(mailbox, trainer.email)
    training_request = db.session.get(TrainingRequest, booked["request"].id)
    moved_at = NOW + timedelta(days=1)
    lifecycle.reschedule(
        training_request, LATER, LATER + timedelta(hours=2), organiser, moved_at
    )
    db.session.commit()
    _, _, moved = last_invite(mailbox, trainer.email)
    lifecycle.cancel_training_request(
        training_request, "Venue flooded", organiser, NOW + timedelta(days=2)
    )
    db.session.commit()
    message, inline, cancelled = last_invite(mailbox, trainer.email)
    assert inline.get_param("method") == "CANCEL"

    versions = [
        calendar_parsers.parse_with_all(ics) for ics in (first, moved, cancelled)
    ]
    for parser in ("ical.js", "libical"):
        events = [v[parser]["events"][0] for v in versions]
        assert [v[parser]["method"] for v in versions] == [
            "REQUEST",
            "REQUEST",
            "CANCEL",
        ]
        assert len({e["uid"] for e in events}) == 1
        assert [e["sequence"] for e in events] == [0, 1, 2]
        assert events[0]["dtstamp"] < events[1]["dtstamp"] < events[2]["dtstamp"]
        assert events[1]["dtstart"] == "2027-04-04T09:00:00Z"
        assert events[2]["status"] == "CANCELLED"
        assert all(calendar_parsers.problems(v[parser]) == [] for v in versions)
    # The organiser's copy of the cancellation is the same event too.
    _, _, theirs = last_invite(mailbox, organiser.email)
    assert (
        Calendar.from_ical(theirs).walk("VEVENT")[0]["UID"]
        == booked["session"].ical_uid
    )


def test_a_trainer_who_hands_back_gets_a_cancel(booked, mailbox):
    training_session = db.session.get(TrainingSession, booked["session"].id)
    lifecycle.hand_back(
        training_session, booked["trainer"], "Ill", NOW + timedelta(days=1)
    )
    db.session.commit()
    _, inline, ics = last_invite(mailbox, booked["trainer"].email)
    assert inline.get_param("method") == "CANCEL"
    reading = calendar_parsers.parse_with_libical(ics)
    assert reading["events"][0]["status"] == "CANCELLED"
    assert calendar_parsers.problems(reading) == []


def test_private_feed_publishes_sessions_and_answers_304_when_unchanged(
    booked, client_for, client, clock
):
    clock.set(NOW)  # the feed's window is counted from the app's clock
    browser = client_for(booked["trainer"])
    page = browser.post("/account/calendar", data={"action": "start"})
    text = page.get_data(as_text=True)
    assert "webcal://" in text
    https = text.split('id="feed-https" type="text" readonly value="')[1].split('"')[0]
    path = https.replace("http://localhost", "")

    first = client.get(path)
    assert first.status_code == 200
    assert first.content_type.startswith("text/calendar")
    second = client.get(path)
    assert second.data == first.data  # identical bytes when nothing changed
    assert (
        client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code
        == 304
    )

    for parser, reading in calendar_parsers.parse_with_all(first.data).items():
        assert calendar_parsers.problems(reading) == [], parser
        assert reading["method"] == "PUBLISH"
        (event,) = reading["events"]
        assert event["uid"] == booked["session"].ical_uid
        assert event["attendees"] == []
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in first.data
    assert b"X-PUBLISHED-TTL:PT1H" in first.data

    browser.post("/account/calendar", data={"action": "stop"})
    assert client.get(path).status_code == 404


def test_a_cancelled_session_stays_in_the_feed_as_cancelled_for_30_days(booked):
    training_request = db.session.get(TrainingRequest, booked["request"].id)
    lifecycle.cancel_training_request(training_request, "Off", booked["organiser"], NOW)
    token = feed_links.start_feed(booked["organiser"], NOW)
    db.session.commit()
    body, _ = feed.feed_for_token(token, NOW + timedelta(days=29))
    (event,) = calendar_parsers.parse_with_icaljs(body)["events"]
    assert event["status"] == "CANCELLED"
    body, _ = feed.feed_for_token(token, NOW + timedelta(days=31))
    assert calendar_parsers.parse_with_icaljs(body)["events"] == []


def test_unknown_feed_tokens_are_404(client):
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_session_page_offers_an_ics_download(booked, client_for):
    browser = client_for(booked["organiser"])
    session_id = booked["session"].id
    assert "Add to calendar" in browser.get(f"/sessions/{session_id}").get_data(
        as_text=True
    )
    response = browser.get(f"/sessions/{session_id}/calendar.ics")
    assert response.headers["Content-Disposition"].startswith("attachment")
    reading = calendar_parsers.parse_with_libical(response.data)
    assert calendar_parsers.problems(reading) == []
    assert reading["events"][0]["dtstart"] == "2027-03-28T09:00:00Z"


def test_the_office_feed_is_network_wide_and_an_organisers_is_their_groups(
    booked, make_user, make_group
):
    office = make_user("office@example.org", office=True)
    stranger = make_user("other@example.org", groups=[make_group("Elsewhere", "SK1")])
    office_token = feed_links.start_feed(office, NOW)
    stranger_token = feed_links.start_feed(stranger, NOW)
    db.session.commit()
    # The day before: inside the office's window, which is short.
    office_feed, _ = feed.feed_for_token(office_token, DST_START - timedelta(1))
    stranger_feed, _ = feed.feed_for_token(stranger_token, NOW)
    assert booked["session"].ical_uid.encode() in office_feed
    assert booked["session"].ical_uid.encode() not in stranger_feed
    assert b"BEGIN:VEVENT" not in stranger_feed


def test_an_unknown_feed_action_changes_nothing(booked, client_for):
    response = client_for(booked["trainer"]).post(
        "/account/calendar", data={"action": "x"}
    )
    assert response.status_code == 400
    assert not feed_links.has_feed(booked["trainer"])
