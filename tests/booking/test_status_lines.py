"""The line on a request's page that says where it stands and what to do, and
the words sent when it moves: each claims only what happened (one trainer is
not "the trainers"; nobody looks for a trainer once it is cancelled)."""

import html
import re
from datetime import date

from tests.booking.conftest import ask, book
from tests.booking.test_reschedule import second_slot, take_day_off


def status_line_of(browser, request_id: int) -> str:
    text = browser.get(f"/requests/{request_id}").get_data(as_text=True)
    line = re.search(r'<p class="status-line" id="status-line">(.*?)</p>', text, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", line[1]))


def test_the_line_counts_the_trainers_it_is_offered_to(world, client_for, app, mailbox):
    browser = client_for(world.organiser)
    both = ask(world, client_for)
    assert status_line_of(browser, both.id).startswith(
        "Where it stands: Offered to 2 trainers: the first to accept runs it"
    )
    offer = mailbox.to(world.priya.email)[-1].get_body(("plain",)).get_content()
    assert "and we think you are well placed to run it" in offer
    assert "if other trainers are asked too, the first to accept gets" in offer
    assert "the offer ends and we look for someone else" in offer

    app.config["OFFERS_AT_ONCE"] = 1
    response = browser.post(
        f"/requests/new?group_id={world.group.id}",
        data={
            "topic_id": str(world.online_topic.id),
            "slot_1_date": "2027-06-15",
            "slot_1_start": "18:30",
            "is_online": "online",
            "expected_attendance": "10",
        },
        follow_redirects=True,
    )
    text = html.unescape(response.get_data(as_text=True))
    assert "Your request has been sent. Offered to 1 trainer. We'll email" in text
    request_id = int(response.request.path.rsplit("/", 1)[-1])
    assert status_line_of(browser, request_id).startswith(
        "Where it stands: Offered to 1 trainer. We'll email you when they accept"
    )


def test_booked_cancelled_and_unfilled_requests_say_what_happened(world, client_for):
    browser = client_for(world.organiser)
    training_session = book(world, client_for)
    request_id = training_session.request_id
    assert status_line_of(browser, request_id).startswith(
        "Where it stands: Booked: Priya Trainer will run it."
    )

    browser.post(f"/requests/{request_id}/cancel", data={"reason": "Hall closed"})
    line = status_line_of(browser, request_id)
    assert line.startswith("Where it stands: Cancelled: nobody is looking")
    assert "trainer will" not in line

    # Wednesdays: nobody is free.
    unfilled = ask(
        world,
        client_for,
        slot_1_date="2027-06-16",
        slot_2_date="2027-06-23",
    )
    assert status_line_of(browser, unfilled.id).startswith(
        "Where it stands: No trainer is free and near enough at these times yet"
    )


def test_a_released_trainers_group_is_told_it_is_offered_again_not_to_whom(
    world, client_for, mailbox
):
    training_session = book(world, client_for)
    take_day_off(world.priya, date(2027, 6, 22))
    browser = client_for(world.organiser)
    url = f"/requests/{training_session.request_id}/reschedule"
    choice = {"slot": str(second_slot(training_session).id)}
    text = browser.post(url, data=choice).get_data(as_text=True)
    key = re.search(r'name="release_for" type="hidden" value="([^"]+)"', text)[1]

    browser.post(url, data={**choice, "release": "y", "release_for": key})

    cancelled = [
        message.get_body(("plain",)).get_content()
        for message in mailbox.to(world.organiser.email)
        if message["Subject"].startswith("Cancelled:")
    ]
    (body,) = cancelled
    assert (
        "We have offered the request again and will email you as soon as a trainer "
        "accepts." in body
    )
    assert "other trainers" not in body
