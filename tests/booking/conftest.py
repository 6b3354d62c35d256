"""A group, its organiser, two trainers free on Tuesday evenings and the office,
with the app's clock six weeks before the first proposed time; and helpers that
ask for, offer and book a session through the pages, as people do."""

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from trainers.extensions import db
from trainers.matching.models import Offer
from trainers.profiles.models import AvailabilityWindow
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import TrainingSession

TUESDAY = 1
# Tuesdays in June 2027, 18:30-20:30 UK time (BST): 17:30-19:30 UTC.
FIRST = datetime(2027, 6, 15, 17, 30, tzinfo=UTC)
SECOND = datetime(2027, 6, 22, 17, 30, tzinfo=UTC)
NOW = datetime(2027, 5, 3, 9, tzinfo=UTC)
SLOTS = {
    "slot_1_date": "2027-06-15",
    "slot_1_start": "18:30",
    "slot_1_end": "20:30",
    "slot_2_date": "2027-06-22",
    "slot_2_start": "18:30",
    "slot_2_end": "20:30",
}


class World:
    """The people and things every test here starts from."""

    def __init__(self, make_group, make_topic, make_user, make_trainer):
        self.group = make_group("Hastings Action", "TN34")
        self.topic = make_topic("Door-knocking and canvassing")
        self.online_topic = make_topic("Phone banking", online=True)
        self.organiser = make_user(
            "org@example.org", "Olu Organiser", groups=[self.group]
        )
        self.organiser.phone = "01424 555 010"
        self.office = make_user("office@example.org", "Otto Office", office=True)
        self.priya = self._trainer(make_trainer, "priya@example.org", "Priya Trainer")
        self.sam = self._trainer(make_trainer, "sam@example.org", "Sam Trainer")
        self.priya.phone = "07700 900123"
        db.session.commit()

    def _trainer(self, make_trainer, email, name, district="TN34"):
        trainer = make_trainer(
            email, district=district, topics=[self.topic, self.online_topic]
        )
        trainer.name = name
        trainer.trainer_profile.monthly_cap = 4
        trainer.trainer_profile.availability.append(
            AvailabilityWindow(weekday=TUESDAY, start_time=time(18), end_time=time(21))
        )
        return trainer


@pytest.fixture
def world(clock, make_group, make_topic, make_user, make_trainer) -> World:
    clock.set(NOW)
    return World(make_group, make_topic, make_user, make_trainer)


def request_form(world: World, **overrides) -> dict:
    """The request form as an organiser fills it in: two Tuesdays, a venue."""
    data = {
        "topic_id": str(world.topic.id),
        **SLOTS,
        "is_online": "venue",
        "venue_postcode": "TN34 1AA",
        "venue_address": "Hastings Library\nBrassey Road",
        "expected_attendance": "24",
        "accessibility_needs": "Step-free entrance at the back",
        "notes": "Bring flipchart pens",
    }
    data.update(overrides)
    return data


def ask(world: World, client_for, **overrides) -> TrainingRequest:
    """The organiser sends the request form; the request it made."""
    response = client_for(world.organiser).post(
        f"/requests/new?group_id={world.group.id}",
        data=request_form(world, **overrides),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(
        select(TrainingRequest).order_by(TrainingRequest.id.desc())
    ).first()


def offer_of(trainer, training_request: TrainingRequest) -> Offer:
    """The trainer's latest offer of the request."""
    return db.session.scalar(
        select(Offer)
        .where(
            Offer.trainer_id == trainer.id,
            Offer.request_id == training_request.id,
        )
        .order_by(Offer.id.desc())
        .limit(1)
    )


def accept(client_for, trainer, training_request, **form) -> TrainingSession:
    """The trainer accepts their offer on its page; the session booked."""
    offer = offer_of(trainer, training_request)
    response = client_for(trainer).post(f"/offers/{offer.id}/accept", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].startswith("/sessions/")
    return db.session.scalar(
        select(TrainingSession).where(
            TrainingSession.request_id == training_request.id,
            TrainingSession.status == "booked",
        )
    )


def book(world: World, client_for, trainer=None, **overrides) -> TrainingSession:
    """A request asked for and accepted (by Priya, unless said) at FIRST."""
    return accept(
        client_for, trainer or world.priya, ask(world, client_for, **overrides)
    )
