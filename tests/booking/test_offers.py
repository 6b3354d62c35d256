"""Offers say when to answer by, and a trainer who can't do the offered time
takes another proposed time they can do (problem 9)."""

from datetime import date

from sqlalchemy import select

from tests.booking.conftest import FIRST, SECOND, ask, offer_of
from trainers.extensions import db
from trainers.profiles.models import DayOff
from trainers.requests.models import RequestEvent
from trainers.sessions.models import TrainingSession


def test_the_offer_page_and_the_trainers_home_say_when_to_answer_by(
    world, client_for, app
):
    app.config["OFFER_EXPIRY_HOURS"] = 48
    training_request = ask(world, client_for)
    offer = offer_of(world.priya, training_request)
    # Made at 09:00 UTC on Mon 3 May 2027 (10:00 BST): 48 hours to answer.
    expected = "Answer by Wed 5 May 2027, 10:00"
    page = client_for(world.priya).get(f"/offers/{offer.id}").get_data(as_text=True)
    assert expected in page
    home = client_for(world.priya).get("/").get_data(as_text=True)
    assert expected in home


def test_a_trainer_takes_another_proposed_time_they_can_do(world, client_for):
    world.priya.trainer_profile.days_off.append(
        DayOff(first_on=date(2027, 6, 15), last_on=date(2027, 6, 15), note="")
    )
    db.session.commit()
    training_request = ask(world, client_for)
    # Priya was offered the second time; Sam the first. Sam takes the second.
    offer = offer_of(world.sam, training_request)
    assert offer.slot.starts_at == FIRST
    page = client_for(world.sam).get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "The group proposed 1 other time" in page
    times = (
        client_for(world.sam).get(f"/offers/{offer.id}/times").get_data(as_text=True)
    )
    assert "Tue 22 Jun 2027, 18:30–20:30: you can do this" in times
    second = next(s for s in training_request.slots if s.starts_at == SECOND)
    response = client_for(world.sam).post(
        f"/offers/{offer.id}/accept", data={"slot_id": str(second.id)}
    )
    assert response.status_code == 302
    booked = db.session.scalar(select(TrainingSession))
    assert (booked.trainer_id, booked.starts_at) == (world.sam.id, SECOND)
    assert any(
        "another proposed time" in e.detail
        for e in db.session.scalars(select(RequestEvent))
    )


def test_a_time_the_trainer_cannot_do_is_shown_and_refused(world, client_for):
    world.sam.trainer_profile.days_off.append(
        DayOff(first_on=date(2027, 6, 22), last_on=date(2027, 6, 22), note="")
    )
    db.session.commit()
    training_request = ask(world, client_for)
    offer = offer_of(world.sam, training_request)
    times = (
        client_for(world.sam).get(f"/offers/{offer.id}/times").get_data(as_text=True)
    )
    assert "Tue 22 Jun 2027, 18:30–20:30: you can't (on a day off)" in times
    assert "Accept at the time I chose" not in times
    second = next(s for s in training_request.slots if s.starts_at == SECOND)
    response = client_for(world.sam).post(
        f"/offers/{offer.id}/accept", data={"slot_id": str(second.id)}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/offers/{offer.id}"
    assert db.session.scalar(select(TrainingSession)) is None


def test_only_the_offered_trainer_sees_the_other_times(world, client_for):
    training_request = ask(world, client_for)
    offer = offer_of(world.sam, training_request)
    for person in (world.priya, world.organiser, world.office):
        assert client_for(person).get(f"/offers/{offer.id}/times").status_code == 404
