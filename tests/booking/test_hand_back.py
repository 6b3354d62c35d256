"""A trainer who can't make it hands the session back: a CANCEL for them, the
group told at once and keeping the event, matching for the same time, and the
next trainer invited to the same event."""

from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from tests.booking.conftest import FIRST, accept, book
from trainers.extensions import db
from trainers.requests.models import RequestEvent
from trainers.sessions.models import TrainingSession


def calendar_part(message):
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return parts[0] if parts else None


def event_of(message):
    part = calendar_part(message)
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    return part.get_param("method"), calendar.walk("VEVENT")[0]


def test_a_trainer_hands_back_and_the_next_carries_on_the_same_event(
    world, client_for, mailbox
):
    training_session = book(world, client_for)
    uid = training_session.ical_uid
    before = {
        person.email: len(mailbox.to(person.email))
        for person in (world.priya, world.organiser, world.sam)
    }
    response = client_for(world.priya).post(
        f"/sessions/{training_session.id}/hand-back", data={"reason": "Family illness"}
    )
    assert response.status_code == 302

    # Priya: a CANCEL of the event.
    (cancel,) = mailbox.to(world.priya.email)[before[world.priya.email] :]
    method, event = event_of(cancel)
    assert method == "CANCEL" and str(event["UID"]) == uid
    # The organiser: told at once, no calendar change (the event stays for the next).
    (told,) = mailbox.to(world.organiser.email)[before[world.organiser.email] :]
    assert told["Subject"].startswith("Finding a new trainer")
    assert calendar_part(told) is None
    assert "Family illness" in told.get_body(("plain",)).get_content()
    # Matching re-opened for the same time: Sam is offered it.
    training_request = db.session.get(
        TrainingSession, training_session.id
    ).training_request
    assert training_request.status == "offered"
    (offer,) = mailbox.to(world.sam.email)[before[world.sam.email] :]
    assert "Tue 15 Jun 2027, 18:30" in offer.get_body(("plain",)).get_content()
    assert any(
        e.action == "handed back" and e.is_flagged
        for e in db.session.scalars(select(RequestEvent))
    )

    following = accept(client_for, world.sam, training_request)
    assert following.id != training_session.id
    assert following.starts_at == FIRST
    assert following.ical_uid == uid
    assert following.ical_sequence == 2  # booked 0, handed back 1, carried on 2
    for person in (world.sam, world.organiser):
        method, event = event_of(mailbox.to(person.email)[-1])
        assert (method, str(event["UID"]), int(event["SEQUENCE"])) == (
            "REQUEST",
            uid,
            2,
        )


def test_a_request_cancelled_while_waiting_cancels_the_groups_event(
    world, client_for, mailbox
):
    training_session = book(world, client_for)
    client_for(world.priya).post(
        f"/sessions/{training_session.id}/hand-back", data={"reason": "Ill"}
    )
    client_for(world.organiser).post(
        f"/requests/{training_session.request_id}/cancel",
        data={"reason": "We found a local trainer"},
    )
    method, event = event_of(mailbox.to(world.organiser.email)[-1])
    assert (method, str(event["UID"])) == ("CANCEL", training_session.ical_uid)
    assert int(event["SEQUENCE"]) == 2


def test_handing_back_close_to_the_day_needs_confirming(world, client_for, clock):
    training_session = book(world, client_for)
    clock.set(FIRST - timedelta(hours=10))
    url = f"/sessions/{training_session.id}/hand-back"
    refused = client_for(world.priya).post(url, data={"reason": "Ill"})
    assert refused.status_code == 400
    assert "Tick the box to confirm" in refused.get_data(as_text=True)
    assert db.session.get(TrainingSession, training_session.id).status == "booked"
    done = client_for(world.priya).post(url, data={"reason": "Ill", "confirm": "y"})
    assert done.status_code == 302
    assert db.session.get(TrainingSession, training_session.id).status == "cancelled"


def test_only_its_trainer_hands_a_session_back(world, client_for):
    training_session = book(world, client_for)
    url = f"/sessions/{training_session.id}/hand-back"
    for person in (world.sam, world.organiser, world.office):
        assert client_for(person).post(url, data={"reason": "x"}).status_code == 404
    assert db.session.get(TrainingSession, training_session.id).status == "booked"
