"""Every event is recorded by the services that make the change, in the same
transaction, whichever page or job makes it; and says ids, never personal data."""

import json
import re

import pytest
from sqlalchemy import select

from tests.booking.conftest import NOW, World, ask, book, request_form
from tests.booking.test_reschedule import second_slot
from trainers.extensions import db
from trainers.timeutil import utcnow
from trainers.webhooks import services
from trainers.webhooks.models import EventType, WebhookDelivery


@pytest.fixture
def world(clock, make_group, make_topic, make_user, make_trainer, endpoint) -> World:
    """The booking tests' world, with an endpoint wanting every event."""
    clock.set(NOW)
    return World(make_group, make_topic, make_user, make_trainer)


def recorded() -> list[dict]:
    return [
        json.loads(d.payload)
        for d in db.session.scalars(select(WebhookDelivery).order_by("id"))
    ]


def types() -> list[str]:
    return [event["type"] for event in recorded()]


def test_a_request_made_and_booked(world, client_for):
    training_session = book(world, client_for)
    created, booked = recorded()
    assert created == {
        "type": "request.created",
        "timestamp": created["timestamp"],
        "data": {
            "id": training_session.request_id,
            "request_id": training_session.request_id,
            "group_id": world.group.id,
            "topic_id": world.topic.id,
        },
    }
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", created["timestamp"]
    )
    assert booked["type"] == "request.booked"
    assert booked["data"]["session_id"] == training_session.id


def test_a_request_nobody_can_take_is_unfilled(world, client_for):
    # A Wednesday: nobody is free.
    ask(
        world,
        client_for,
        slot_1_date="2027-06-16",
        slot_2_date="2027-06-23",
    )
    assert types() == ["request.created", "request.unfilled"]


def test_a_booked_request_cancelled(world, client_for):
    training_session = book(world, client_for)
    response = client_for(world.organiser).post(
        f"/requests/{training_session.request_id}/cancel",
        data={"reason": "Hall closed"},
    )
    assert response.status_code == 302
    assert types()[2:] == ["request.cancelled", "session.cancelled"]
    assert recorded()[3]["data"]["session_id"] == training_session.id


def test_a_session_rescheduled(world, client_for):
    training_session = book(world, client_for)
    response = client_for(world.organiser).post(
        f"/requests/{training_session.request_id}/reschedule",
        data={"slot": str(second_slot(training_session).id)},
    )
    assert response.status_code == 302
    assert types()[2:] == ["session.rescheduled"]


def test_a_session_changed(world, client_for):
    training_session = book(world, client_for)
    response = client_for(world.organiser).post(
        f"/sessions/{training_session.id}/details",
        data={
            **request_form(world),
            "venue_address": "Hastings Library\nRoom 2, first floor",
        },
    )
    assert response.status_code == 302
    assert types()[2:] == ["session.changed"]


def test_attendance_recorded(world, client_for, clock):
    training_session = book(world, client_for)
    clock.set(training_session.ends_at)
    response = client_for(world.organiser).post(
        f"/sessions/{training_session.id}/attendance", data={"headcount": "17"}
    )
    assert response.status_code == 302
    assert types()[2:] == ["attendance.recorded"]
    assert recorded()[2]["data"]["session_id"] == training_session.id


def test_a_change_refused_records_nothing(world, client_for):
    training_session = book(world, client_for)
    response = client_for(world.organiser).post(
        f"/requests/{training_session.request_id}/cancel", data={"reason": ""}
    )
    assert response.status_code == 200
    assert types() == ["request.created", "request.booked"]


def test_only_the_events_an_endpoint_wants_are_recorded(world, client_for, endpoint):
    services.change_events(endpoint.id, [EventType.REQUEST_BOOKED])
    services.disable(endpoint.id, utcnow())
    services.enable(endpoint.id)
    db.session.commit()
    book(world, client_for)
    assert types() == ["request.booked"]


def test_no_personal_data_in_any_event(world, client_for, clock):
    training_session = book(world, client_for)
    client_for(world.organiser).post(
        f"/sessions/{training_session.id}/details",
        data={**request_form(world), "notes": "Ring Olu on 01424 555 010"},
    )
    clock.set(training_session.ends_at)
    client_for(world.organiser).post(
        f"/sessions/{training_session.id}/attendance", data={"headcount": "17"}
    )
    payloads = [d.payload for d in db.session.scalars(select(WebhookDelivery))]
    assert len(payloads) == 4
    for payload in payloads:
        for personal in (
            world.organiser.email,
            world.organiser.name,
            world.priya.email,
            world.priya.name,
            world.group.name,
            "Hastings Library",
            "Ring Olu",
            "01424",
            "TN34",
        ):
            assert personal not in payload
        data = json.loads(payload)["data"]
        assert set(data) <= {"id", "request_id", "session_id", "group_id", "topic_id"}
        assert all(isinstance(value, int) for value in data.values())
