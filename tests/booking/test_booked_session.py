"""A booked session both sides can rely on: the booked time everywhere (problem
3), what the trainer needs kept after acceptance (4), contacts and meeting links
(5), and changes after booking (6)."""

from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from tests.booking.conftest import FIRST, SECOND, accept, ask, book
from trainers.extensions import db
from trainers.requests.models import RequestEvent
from trainers.sessions import jobs
from trainers.sessions.models import TrainingSession


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def invite_of(message) -> Calendar:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"][:1]
    return Calendar.from_ical(part.get_payload(decode=True))


def booked_at_second(world, client_for) -> TrainingSession:
    """Booked at the second proposed time: Priya takes it instead of the first."""
    training_request = ask(world, client_for)
    second = next(s for s in training_request.slots if s.starts_at == SECOND)
    return accept(client_for, world.priya, training_request, slot_id=second.id)


def test_booked_requests_show_the_booked_time_not_the_first_proposed(world, client_for):
    training_session = booked_at_second(world, client_for)
    assert training_session.starts_at == SECOND
    organiser = client_for(world.organiser)
    booked, first_proposed = "Tue 22 Jun 2027, 18:30", "Tue 15 Jun 2027, 18:30"
    for path in (
        "/",
        "/requests/",
        f"/requests/{training_session.request_id}/cancel",
    ):
        text = organiser.get(path).get_data(as_text=True)
        assert booked in text, path
        assert first_proposed not in text, path
    office_list = client_for(world.office).get("/requests/").get_data(as_text=True)
    assert booked in office_list and first_proposed not in office_list


def test_the_trainer_keeps_what_the_group_asked_for_after_accepting(
    world, client_for, mailbox, clock
):
    training_session = book(world, client_for)
    page = client_for(world.priya).get(f"/sessions/{training_session.id}")
    text = page.get_data(as_text=True)
    for needed in (
        "About 24 people",
        "Step-free entrance at the back",
        "Bring flipchart pens",
        "Hastings Library<br>Brassey Road",
    ):
        assert needed in text
    booked = next(
        m for m in mailbox.to(world.priya.email) if m["Subject"].startswith("Booked:")
    )
    for needed in ("about 24 people", "Step-free entrance", "Bring flipchart pens"):
        assert needed in plain(booked)
    clock.set(FIRST - timedelta(hours=47))
    assert jobs.send_reminders(FIRST - timedelta(hours=47)) == "1 reminders sent"
    reminder = mailbox.to(world.priya.email)[-1]
    assert reminder["Subject"].startswith("Reminder:")
    for needed in ("about 24 people", "Step-free entrance", "Bring flipchart pens"):
        assert needed in plain(reminder)


def test_each_side_sees_how_to_reach_the_other_and_nobody_else_does(
    world, client_for, make_user, make_group
):
    training_session = book(world, client_for)
    url = f"/sessions/{training_session.id}"
    organiser_view = client_for(world.organiser).get(url).get_data(as_text=True)
    assert 'href="mailto:priya@example.org"' in organiser_view
    assert 'href="tel:07700900123"' in organiser_view
    trainer_view = client_for(world.priya).get(url).get_data(as_text=True)
    assert 'href="mailto:org@example.org"' in trainer_view
    assert "01424 555 010" in trainer_view
    stranger = make_user("x@example.org", groups=[make_group("Rye Rising", "TN31")])
    assert client_for(stranger).get(url).status_code == 404
    assert client_for(world.sam).get(url).status_code == 404


def test_a_person_keeps_their_phone_number_on_their_account(world, client_for):
    browser = client_for(world.sam)
    bad = browser.post("/account/contact", data={"phone": "call me maybe"})
    assert bad.status_code == 200
    assert "Enter a phone number" in bad.get_data(as_text=True)
    assert db.session.get(type(world.sam), world.sam.id).phone is None
    assert (
        browser.post(
            "/account/contact", data={"phone": " +44 7700  900456 "}
        ).status_code
        == 302
    )
    assert db.session.get(type(world.sam), world.sam.id).phone == "+44 7700 900456"
    browser.post("/account/contact", data={"phone": ""})
    assert db.session.get(type(world.sam), world.sam.id).phone is None


def test_an_online_session_carries_its_meeting_link(world, client_for, mailbox):
    training_session = book(
        world,
        client_for,
        topic_id=str(world.online_topic.id),
        is_online="online",
        venue_postcode="",
        venue_address="",
        meeting_url="https://meet.example.org/abc-defg",
    )
    text = (
        client_for(world.priya)
        .get(f"/sessions/{training_session.id}")
        .get_data(as_text=True)
    )
    assert 'href="https://meet.example.org/abc-defg"' in text
    booked = next(
        m for m in mailbox.to(world.priya.email) if m["Subject"].startswith("Booked:")
    )
    assert "online, https://meet.example.org/abc-defg" in plain(booked)


def test_a_meeting_link_must_be_https(world, client_for):
    response = client_for(world.organiser).post(
        f"/requests/new?group_id={world.group.id}",
        data={
            "topic_id": str(world.online_topic.id),
            "slot_1_date": "2027-06-15",
            "slot_1_start": "18:30",
            "slot_1_end": "20:30",
            "is_online": "online",
            "meeting_url": "javascript:alert(1)",
            "expected_attendance": "10",
        },
    )
    assert response.status_code == 200
    assert "full https address" in response.get_data(as_text=True)
    assert db.session.scalar(select(TrainingSession)) is None


def test_organisers_are_asked_for_a_missing_meeting_link_once(
    world, client_for, mailbox
):
    training_session = book(
        world,
        client_for,
        topic_id=str(world.online_topic.id),
        is_online="online",
        venue_postcode="",
        venue_address="",
    )
    early = FIRST - timedelta(hours=49)
    assert jobs.nudge_meeting_links(early).startswith("0 ")
    due = FIRST - timedelta(hours=47)
    assert jobs.nudge_meeting_links(due) == "1 online sessions without a link nudged"
    assert jobs.nudge_meeting_links(due).startswith("0 ")
    (nudge,) = [
        m
        for m in mailbox.to(world.organiser.email)
        if m["Subject"].startswith("Add the meeting link")
    ]
    assert f"/sessions/{training_session.id}/details" in plain(nudge)


def test_organisers_change_a_booked_session_and_everyone_gets_the_update(
    world, client_for, mailbox
):
    training_session = book(world, client_for)
    uid, sequence = training_session.ical_uid, training_session.ical_sequence
    browser = client_for(world.organiser)
    url = f"/sessions/{training_session.id}/details"
    form = browser.get(url).get_data(as_text=True)
    assert "Hastings Library" in form  # prefilled with what the group asked for
    response = browser.post(
        url,
        data={
            "venue_postcode": "TN34 1AA",
            "venue_address": "Hastings Library\nRoom 2, first floor",
            "expected_attendance": "40",
            "accessibility_needs": "Step-free entrance at the back",
            "notes": "Bring flipchart pens",
        },
    )
    assert response.status_code == 302
    training_session = db.session.get(TrainingSession, training_session.id)
    assert training_session.venue_address == "Hastings Library\nRoom 2, first floor"
    assert training_session.training_request.expected_attendance == 40
    assert training_session.ical_uid == uid
    assert training_session.ical_sequence == sequence + 1
    changed = mailbox.to(world.priya.email)[-1]
    assert changed["Subject"].startswith("Changed:")
    assert "address changed; expected attendance from 24 to 40" in plain(changed)
    event = invite_of(changed).walk("VEVENT")[0]
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, sequence + 1)
    page = client_for(world.priya).get(f"/sessions/{training_session.id}")
    assert "Room 2, first floor" in page.get_data(as_text=True)


def test_a_change_inside_the_notice_window_is_confirmed_and_flagged(
    world, client_for, clock, mailbox
):
    training_session = book(world, client_for)
    clock.set(FIRST - timedelta(hours=20))
    data = {
        "venue_postcode": "TN34 1AA",
        "venue_address": "Hastings Library\nBrassey Road",
        "expected_attendance": "30",
        "accessibility_needs": "Step-free entrance at the back",
        "notes": "Bring flipchart pens",
    }
    url = f"/sessions/{training_session.id}/details"
    refused = client_for(world.organiser).post(url, data=data)
    assert refused.status_code == 200
    assert "Tick the box to confirm" in refused.get_data(as_text=True)
    assert db.session.get(TrainingSession, training_session.id).ical_sequence == 0
    assert (
        client_for(world.organiser).post(url, data={**data, "confirm": "y"}).status_code
        == 302
    )
    flagged = db.session.scalars(
        select(RequestEvent).where(RequestEvent.is_flagged)
    ).all()
    assert [e.detail for e in flagged] == [
        "Changed inside the notice window: expected attendance from 24 to 30"
    ]
    assert any(
        m["Subject"].startswith("Needs a look") for m in mailbox.to(world.office.email)
    )


def test_a_new_venue_out_of_the_trainers_reach_is_refused(world, client_for):
    training_session = book(world, client_for)
    response = client_for(world.organiser).post(
        f"/sessions/{training_session.id}/details",
        data={
            "venue_postcode": "M1 1AA",
            "venue_address": "Manchester Central Library",
            "expected_attendance": "24",
        },
    )
    assert response.status_code == 200
    assert "Priya Trainer can&#39;t run it there" in response.get_data(as_text=True)
    assert db.session.get(TrainingSession, training_session.id).venue_postcode == (
        "TN34 1AA"
    )


def test_only_its_organisers_and_the_office_change_a_booked_session(world, client_for):
    training_session = book(world, client_for)
    url = f"/sessions/{training_session.id}/details"
    assert client_for(world.priya).get(url).status_code == 404
    assert client_for(world.office).get(url).status_code == 200
    assert client_for(world.organiser).get(url).status_code == 200
