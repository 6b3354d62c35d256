"""Days off over a booked session, and deactivating a trainer, ask first and
leave nothing hanging (problem 8)."""

from sqlalchemy import select

from tests.booking.conftest import ask, book
from trainers.auth.models import User
from trainers.extensions import db
from trainers.matching.models import Offer
from trainers.profiles.models import DayOff
from trainers.sessions.models import TrainingSession


def test_days_off_over_a_booked_session_ask_before_anything_changes(
    world, client_for, mailbox
):
    training_session = book(world, client_for)
    browser = client_for(world.priya)
    url = f"/trainers/{world.priya.id}/profile/days-off"
    days = {"first_on": "2027-06-14", "last_on": "2027-06-16", "note": "Away"}
    asked = browser.post(url, data=days)
    assert asked.status_code == 200
    text = asked.get_data(as_text=True)
    assert "These days cover sessions you are booked for" in text
    assert (
        "Door-knocking and canvassing for Hastings Action, Tue 15 Jun 2027, 18:30"
        in text
    )
    assert "Hand those sessions back and add the days off" in text
    assert db.session.scalars(select(DayOff)).all() == []
    assert db.session.get(TrainingSession, training_session.id).status == "booked"

    done = browser.post(url, data={**days, "hand_back": "y"})
    assert done.status_code == 302
    assert len(db.session.scalars(select(DayOff)).all()) == 1
    training_session = db.session.get(TrainingSession, training_session.id)
    assert training_session.status == "cancelled"
    assert training_session.handed_back_at is not None
    assert (
        "days off, Mon 14 Jun 2027 to Wed 16 Jun 2027" in training_session.cancel_reason
    )
    assert training_session.training_request.status == "offered"
    assert mailbox.to(world.organiser.email)[-1]["Subject"].startswith(
        "Finding a new trainer"
    )


def test_days_off_elsewhere_are_added_at_once(world, client_for):
    book(world, client_for)
    response = client_for(world.priya).post(
        f"/trainers/{world.priya.id}/profile/days-off",
        data={"first_on": "2027-07-01", "last_on": "2027-07-02", "note": ""},
    )
    assert response.status_code == 302
    assert len(db.session.scalars(select(DayOff)).all()) == 1


def test_deactivating_a_trainer_shows_what_it_affects_and_hands_it_back(
    world, client_for, mailbox
):
    training_session = book(world, client_for)
    other = ask(world, client_for, slot_1_date="2027-06-29", slot_2_date="2027-07-06")
    browser = client_for(world.office)
    url = f"/office/people/{world.priya.id}/deactivate"
    page = browser.get(url).get_data(as_text=True)
    assert "Booked to run" in page and "Tue 15 Jun 2027, 18:30" in page
    assert "waiting for their answer: withdrawn" in page

    refused = browser.post(url)
    assert refused.status_code == 200
    assert "still booked or offered sessions" in refused.get_data(as_text=True)
    assert db.session.get(User, world.priya.id).is_active

    assert browser.post(url, data={"confirm": "y"}).status_code == 302
    assert not db.session.get(User, world.priya.id).is_active
    training_session = db.session.get(TrainingSession, training_session.id)
    assert training_session.status == "cancelled"
    assert training_session.training_request.status == "offered"  # to Sam now
    priya_offer = db.session.scalar(
        select(Offer).where(
            Offer.request_id == other.id, Offer.trainer_id == world.priya.id
        )
    )
    assert priya_offer.status == "withdrawn"
    subjects = [m["Subject"] for m in mailbox.to(world.priya.email)]
    assert any(s.startswith("Cancelled:") for s in subjects)
    assert any(s.endswith("is taken, thank you") for s in subjects)
    assert mailbox.to(world.organiser.email)[-1]["Subject"].startswith(
        "Finding a new trainer"
    )


def test_deactivating_someone_with_nothing_booked_is_one_step(world, client_for):
    response = client_for(world.office).post(
        f"/office/people/{world.sam.id}/deactivate"
    )
    assert response.status_code == 302
    assert not db.session.get(User, world.sam.id).is_active
