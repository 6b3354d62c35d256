"""Rescheduling a booked session: the page says whether the trainer can do each
time, the trainer is kept by default, releasing them is confirmed for the very
time chosen, and no proposed time is lost (problem 1)."""

import re
from datetime import date

from sqlalchemy import select

from tests.booking.conftest import FIRST, SECOND, book
from trainers.extensions import db
from trainers.profiles.models import DayOff
from trainers.requests.models import RequestEvent, RequestSlot
from trainers.sessions.models import TrainingSession


def second_slot(training_session) -> RequestSlot:
    return db.session.scalar(
        select(RequestSlot).where(
            RequestSlot.request_id == training_session.request_id,
            RequestSlot.starts_at == SECOND,
        )
    )


def take_day_off(trainer, day: date) -> None:
    trainer.trainer_profile.days_off.append(DayOff(first_on=day, last_on=day, note=""))
    db.session.commit()


def test_the_page_says_whether_the_trainer_can_do_each_time(world, client_for):
    training_session = book(world, client_for)
    url = f"/requests/{training_session.request_id}/reschedule"
    text = client_for(world.organiser).get(url).get_data(as_text=True)
    assert "Tue 22 Jun 2027, 18:30–20:30: Priya Trainer can do this" in text
    take_day_off(world.priya, date(2027, 6, 22))
    text = client_for(world.organiser).get(url).get_data(as_text=True)
    assert (
        "Tue 22 Jun 2027, 18:30–20:30: Priya Trainer can&#39;t (on a day off)" in text
    )


def test_a_time_the_trainer_cannot_do_is_confirmed_before_they_are_released(
    world, client_for, mailbox
):
    training_session = book(world, client_for)
    take_day_off(world.priya, date(2027, 6, 22))
    browser = client_for(world.organiser)
    url = f"/requests/{training_session.request_id}/reschedule"
    choice = {"slot": str(second_slot(training_session).id), "reason": "Hall flooded"}
    sent_before = len(mailbox.messages())

    first = browser.post(url, data=choice)
    text = first.get_data(as_text=True)
    assert first.status_code == 200
    assert (
        "Priya Trainer can&#39;t do Tue 22 Jun 2027, 18:30 (on a day off): they will "
        "be released and we will look for another trainer." in text
    )
    # Nothing changed: still booked with Priya at the first time, both times kept.
    training_session = db.session.get(TrainingSession, training_session.id)
    assert (training_session.status, training_session.starts_at) == ("booked", FIRST)
    assert training_session.training_request.status == "booked"
    assert len(training_session.training_request.slots) == 2
    assert len(mailbox.messages()) == sent_before
    key = re.search(r'name="release_for" type="hidden" value="([^"]+)"', text)[1]

    done = browser.post(url, data={**choice, "release": "y", "release_for": key})
    assert done.status_code == 302
    flashed = browser.get(done.headers["Location"]).get_data(as_text=True)
    assert "Priya Trainer couldn&#39;t do that time, so they were released." in flashed
    assert "We have offered it to 1 other trainer" in flashed

    training_session = db.session.get(TrainingSession, training_session.id)
    training_request = training_session.training_request
    assert training_session.status == "cancelled"
    assert training_request.status == "offered"
    # Proposed times are never deleted; the new one is the one matching offers.
    slots = {(s.starts_at, s.is_settled) for s in training_request.slots}
    assert slots == {(FIRST, False), (SECOND, True)}
    (event,) = db.session.scalars(
        select(RequestEvent).where(
            RequestEvent.request_id == training_request.id,
            RequestEvent.action == "rescheduled",
        )
    )
    assert event.actor_id == world.organiser.id
    assert "Hall flooded" in event.detail and "on a day off" in event.detail
    sam_offer = mailbox.to(world.sam.email)[-1]
    assert "Tue 22 Jun 2027, 18:30" in sam_offer.get_body(("plain",)).get_content()


def test_a_release_confirmed_for_one_time_does_not_carry_to_another(world, client_for):
    training_session = book(world, client_for)
    take_day_off(world.priya, date(2027, 6, 22))
    browser = client_for(world.organiser)
    url = f"/requests/{training_session.request_id}/reschedule"
    text = browser.post(
        url, data={"slot": str(second_slot(training_session).id)}
    ).get_data(as_text=True)
    key = re.search(r'name="release_for" type="hidden" value="([^"]+)"', text)[1]
    # Confirmed for 22 June, then sent with a new time on the 29th she can't do.
    take_day_off(world.priya, date(2027, 6, 29))
    again = browser.post(
        url,
        data={
            "slot": "new",
            "new_date": "2027-06-29",
            "new_start": "18:30",
            "new_end": "20:30",
            "release": "y",
            "release_for": key,
        },
    )
    assert again.status_code == 200
    assert "can&#39;t do Tue 29 Jun 2027, 18:30" in again.get_data(as_text=True)
    assert db.session.get(TrainingSession, training_session.id).status == "booked"


def test_a_time_the_trainer_can_do_keeps_them_and_every_proposed_time(
    world, client_for, mailbox
):
    training_session = book(world, client_for)
    browser = client_for(world.organiser)
    response = browser.post(
        f"/requests/{training_session.request_id}/reschedule",
        data={"slot": str(second_slot(training_session).id)},
    )
    assert response.status_code == 302
    flashed = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Priya Trainer will still run it" in flashed
    training_session = db.session.get(TrainingSession, training_session.id)
    assert (training_session.status, training_session.starts_at) == ("booked", SECOND)
    assert training_session.ical_sequence == 1
    assert {s.starts_at for s in training_session.training_request.slots} == {
        FIRST,
        SECOND,
    }
    moved = mailbox.to(world.priya.email)[-1]
    assert moved["Subject"].startswith("Moved:")


def test_a_new_time_becomes_a_proposed_time(world, client_for):
    training_session = book(world, client_for)
    response = client_for(world.organiser).post(
        f"/requests/{training_session.request_id}/reschedule",
        data={
            "slot": "new",
            "new_date": "2027-06-29",
            "new_start": "18:00",
            "new_end": "20:00",
        },
    )
    assert response.status_code == 302
    training_request = db.session.get(
        TrainingSession, training_session.id
    ).training_request
    assert len(training_request.slots) == 3
    assert [s.is_settled for s in training_request.slots] == [False, False, True]
