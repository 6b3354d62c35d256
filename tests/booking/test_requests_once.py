"""A form sent twice makes one request; a request overlapping an open one of the
group for the topic warns first (problem 7)."""

import re

from sqlalchemy import func, select

from tests.booking.conftest import request_form
from trainers.extensions import db
from trainers.matching.models import Offer
from trainers.requests.models import TrainingRequest


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def the_form_key(browser, world) -> str:
    page = browser.get(f"/requests/new?group_id={world.group.id}")
    return re.search(
        r'name="submission_key" type="hidden" value="([^"]+)"',
        page.get_data(as_text=True),
    )[1]


def test_the_same_form_sent_twice_makes_one_request_and_one_offer_each(
    world, client_for, mailbox
):
    browser = client_for(world.organiser)
    data = request_form(world, submission_key=the_form_key(browser, world))
    url = f"/requests/new?group_id={world.group.id}"
    first = browser.post(url, data=data)
    second = browser.post(url, data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert "You had already sent this request" in browser.get(
        second.headers["Location"]
    ).get_data(as_text=True)
    assert count(TrainingRequest) == 1
    assert count(Offer) == 2
    for trainer in (world.priya, world.sam):
        assert len(mailbox.to(trainer.email)) == 1


def test_each_new_form_has_its_own_key(world, client_for):
    browser = client_for(world.organiser)
    assert the_form_key(browser, world) != the_form_key(browser, world)


def test_an_altered_key_is_replaced_and_the_request_still_made(world, client_for):
    browser = client_for(world.organiser)
    data = request_form(world, submission_key="A" * 5000)
    sent = browser.post(f"/requests/new?group_id={world.group.id}", data=data)
    assert sent.status_code == 302
    made = db.session.scalars(select(TrainingRequest)).one()
    assert made.submission_key != "A" * 5000
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", made.submission_key)


def test_an_overlapping_request_for_the_same_topic_warns_first(world, client_for):
    browser = client_for(world.organiser)
    url = f"/requests/new?group_id={world.group.id}"
    browser.post(
        url, data=request_form(world, submission_key=the_form_key(browser, world))
    )
    again = request_form(
        world,
        submission_key=the_form_key(browser, world),
        slot_1_start="19:00",  # overlaps the first request's first time
        slot_1_end="21:00",
        slot_2_date="",
        slot_2_start="",
        slot_2_end="",
    )
    warned = browser.post(url, data=again)
    assert warned.status_code == 200
    text = warned.get_data(as_text=True)
    assert (
        "Hastings Action already has a request for Door-knocking and canvassing" in text
    )
    assert "Yes, send this request as well" in text
    assert count(TrainingRequest) == 1
    sent = browser.post(url, data={**again, "confirm_overlap": "y"})
    assert sent.status_code == 302
    assert count(TrainingRequest) == 2


def test_another_topic_or_time_is_not_a_duplicate(world, client_for):
    browser = client_for(world.organiser)
    url = f"/requests/new?group_id={world.group.id}"
    browser.post(
        url, data=request_form(world, submission_key=the_form_key(browser, world))
    )
    later = request_form(
        world,
        submission_key=the_form_key(browser, world),
        slot_1_date="2027-06-29",
        slot_2_date="",
        slot_2_start="",
        slot_2_end="",
    )
    assert browser.post(url, data=later).status_code == 302
    assert count(TrainingRequest) == 2
