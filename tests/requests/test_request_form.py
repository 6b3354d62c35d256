"""The short request form: one time shown and "Add another time" (no script
needed), an empty end that is the topic's usual length, topics that say their
length and whether they run online, the warnings that ask to be confirmed (a
time much shorter than usual, a venue far from the group), and the topic
catalogue organisers and trainers read. The clock stands at NOW."""

import re
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from trainers.extensions import db
from trainers.requests.models import TrainingRequest
from trainers.requests.slots import parse_slots
from trainers.requests.status_lines import status_line

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def stopped_clock(clock) -> None:
    clock.set(NOW)


@pytest.fixture
def as_organiser(client_for, organiser):
    return client_for(organiser)


def sent(topic, **overrides: str) -> dict[str, str]:
    """The form as a phone sends it: one time on 15 June 2027, a Hastings venue."""
    return {
        "topic_id": str(topic.id),
        "slot_1_date": "2027-06-15",
        "slot_1_start": "10:00",
        "slot_1_end": "12:00",
        "is_online": "venue",
        "venue_postcode": "TN34 1AA",
        "venue_address": "Hastings Library",
        "expected_attendance": "12",
        **overrides,
    }


def requests_made() -> int:
    return db.session.scalar(select(func.count()).select_from(TrainingRequest))


def shown_rows(text: str) -> list[int]:
    """The time rows the page shows (not hidden), by number."""
    return [
        int(row)
        for row, hidden in re.findall(
            r'<div class="slot" id="slot-(\d)"( hidden)?>', text
        )
        if not hidden
    ]


def test_the_form_shows_one_time_and_adds_another_without_saving(
    as_organiser, group, topic
):
    url = f"/requests/new?group_id={group.id}"
    first = as_organiser.get(url).get_data(as_text=True)
    assert shown_rows(first) == [1]
    assert '<input id="times_shown" name="times_shown" type="hidden" value="1">' in (
        first
    )

    added = as_organiser.post(
        url, data={**sent(topic), "times_shown": "1", "add_time": "y"}
    ).get_data(as_text=True)

    assert shown_rows(added) == [1, 2]
    assert 'value="2027-06-15"' in added and 'value="TN34 1AA"' in added
    assert 'autofocus id="slot_2_date"' in added
    assert "Please correct the following" not in added
    assert requests_made() == 0

    # Rows typed in stay shown; the button goes once all five are.
    full = as_organiser.post(
        url,
        data={**sent(topic), "slot_4_date": "2027-06-18", "add_time": "y"},
    ).get_data(as_text=True)
    assert shown_rows(full) == [1, 2, 3, 4, 5]
    assert 'name="add_time"' not in full
    assert requests_made() == 0


@pytest.mark.parametrize("shown", ["²", "-1", "99999999999999999999", "x"])
def test_a_mangled_count_of_rows_shows_one(as_organiser, group, topic, shown):
    response = as_organiser.post(
        f"/requests/new?group_id={group.id}",
        data={"topic_id": str(topic.id), "times_shown": shown, "add_time": "y"},
    )

    assert response.status_code == 200
    assert shown_rows(response.get_data(as_text=True)) == [1, 2]


def test_editing_shows_as_many_rows_as_the_request_has_times(
    as_organiser, group, topic
):
    as_organiser.post(
        f"/requests/new?group_id={group.id}",
        data=sent(
            topic,
            slot_2_date="2027-06-16",
            slot_2_start="10:00",
            slot_2_end="12:00",
            slot_3_date="2027-06-17",
            slot_3_start="10:00",
            slot_3_end="12:00",
        ),
    )
    training_request = db.session.scalar(select(TrainingRequest))

    page = as_organiser.get(f"/requests/{training_request.id}/edit")

    assert shown_rows(page.get_data(as_text=True)) == [1, 2, 3]


def test_an_empty_end_is_the_topics_usual_length(as_organiser, group, make_topic):
    topic = make_topic("Phone banking", minutes=90)

    response = as_organiser.post(
        f"/requests/new?group_id={group.id}", data=sent(topic, slot_1_end="")
    )

    assert response.status_code == 302
    (slot,) = db.session.scalar(select(TrainingRequest)).slots
    # 10:00 to 11:30 in BST.
    assert (slot.starts_at, slot.ends_at) == (
        datetime(2027, 6, 15, 9, tzinfo=UTC),
        datetime(2027, 6, 15, 10, 30, tzinfo=UTC),
    )


def test_an_empty_end_lasts_the_usual_length_across_the_clocks_going_forward(app):
    # 28 March 2027: at 01:00 GMT the clocks go forward to 02:00 BST.
    (slot,) = parse_slots([(date(2027, 3, 28), time(0, 30), None)], NOW, 120)

    assert slot == (
        datetime(2027, 3, 28, 0, 30, tzinfo=UTC),
        datetime(2027, 3, 28, 2, 30, tzinfo=UTC),
    )


def test_an_empty_end_without_a_topic_is_asked_for(as_organiser, group, topic):
    text = as_organiser.post(
        f"/requests/new?group_id={group.id}",
        data=sent(topic, topic_id="", slot_1_end=""),
    ).get_data(as_text=True)

    assert "This slot needs an end time too" in text
    assert "Choose a topic." in text
    assert requests_made() == 0


def test_a_time_much_shorter_than_the_topic_asks_to_be_confirmed(
    as_organiser, group, topic
):
    url = f"/requests/new?group_id={group.id}"
    # An hour of a two-hour topic.
    short = sent(topic, slot_1_end="11:00")

    text = as_organiser.post(url, data=short).get_data(as_text=True)

    assert "usually takes 2 hours, and this time is much shorter" in text
    assert "Tue 15 Jun 2027, 10:00 (1 hour)" in text
    assert 'id="confirm_short"' in text
    assert requests_made() == 0

    confirmed = as_organiser.post(url, data={**short, "confirm_short": "y"})
    assert confirmed.status_code == 302
    assert requests_made() == 1


def test_ninety_minutes_of_a_two_hour_topic_is_not_warned_of(
    as_organiser, group, topic
):
    response = as_organiser.post(
        f"/requests/new?group_id={group.id}", data=sent(topic, slot_1_end="11:30")
    )

    assert response.status_code == 302


def test_a_venue_far_from_the_group_asks_to_be_confirmed(as_organiser, group, topic):
    url = f"/requests/new?group_id={group.id}"
    # Manchester, for a group in Hastings; and an hour-long time, warned of too.
    far = sent(topic, venue_postcode="M1 1AA", slot_1_end="11:00")

    text = as_organiser.post(url, data=far).get_data(as_text=True)

    assert re.search(r"M1 1AA is about \d+ km from Hastings Action \(TN34\)", text)
    assert 'id="confirm_far"' in text and 'id="confirm_short"' in text
    assert requests_made() == 0

    both = {**far, "confirm_far": "y", "confirm_short": "y"}
    assert as_organiser.post(url, data=both).status_code == 302
    assert requests_made() == 1


def test_a_venue_in_the_next_town_is_not_warned_of(as_organiser, group, topic):
    # Rye, about 15 km from Hastings.
    response = as_organiser.post(
        f"/requests/new?group_id={group.id}",
        data=sent(topic, venue_postcode="TN31 7AA"),
    )

    assert response.status_code == 302


def test_editing_to_a_far_venue_asks_to_be_confirmed(as_organiser, group, topic):
    as_organiser.post(f"/requests/new?group_id={group.id}", data=sent(topic))
    training_request = db.session.scalar(select(TrainingRequest))
    url = f"/requests/{training_request.id}/edit"

    text = as_organiser.post(url, data=sent(topic, venue_postcode="M1 1AA")).get_data(
        as_text=True
    )

    assert "M1 1AA is about" in text
    db.session.refresh(training_request)
    assert training_request.venue_postcode == "TN34 1AA"
    confirmed = as_organiser.post(
        url, data=sent(topic, venue_postcode="M1 1AA", confirm_far="y")
    )
    assert confirmed.status_code == 302
    db.session.refresh(training_request)
    assert training_request.venue_postcode == "M1 1AA"


def test_topics_say_their_length_and_where_they_can_run(
    as_organiser, group, topic, make_topic
):
    online = make_topic("Phone banking", minutes=90, online=True)

    text = as_organiser.get(f"/requests/new?group_id={group.id}").get_data(as_text=True)

    assert (
        f'<option data-minutes="120" data-online="no" value="{topic.id}">'
        "Door-knocking and canvassing (2 hours, at a venue)</option>"
    ) in text
    assert (
        f'<option data-minutes="90" data-online="yes" value="{online.id}">'
        "Phone banking (1 hour 30 minutes, online or at a venue)</option>"
    ) in text
    assert "Online only for Phone banking." in text
    assert "Leave End empty for the usual length." in text
    assert '<script src="/static/js/request-form.js" defer></script>' in text


def test_online_is_still_refused_for_a_topic_that_cannot_run_online(
    as_organiser, group, topic
):
    text = as_organiser.post(
        f"/requests/new?group_id={group.id}", data=sent(topic, is_online="online")
    ).get_data(as_text=True)

    assert "cannot be run online" in text
    assert requests_made() == 0


def test_organisers_and_trainers_read_the_active_topics(
    client_for, organiser, make_trainer, make_topic, topic
):
    make_topic("Phone banking", minutes=90, online=True)
    retired = make_topic("Leafleting")
    retired.is_active = False
    db.session.commit()

    for person in (organiser, make_trainer()):
        text = client_for(person).get("/topics/").get_data(as_text=True)
        assert "How to run door-knocking and canvassing." in text
        assert "<dd>2 hours</dd>" in text and "<dd>1 hour 30 minutes</dd>" in text
        assert "Yes, or at a venue" in text and "No: at a venue only" in text
        assert "Leafleting" not in text


@pytest.mark.parametrize(
    ("status", "options", "line"),
    [
        ("submitted", {}, "Received: we are looking for a trainer"),
        ("offered", {"offered_to": 1}, "Offered to 1 trainer. We'll email you when"),
        ("offered", {"offered_to": 3}, "Offered to 3 trainers: the first to accept"),
        ("booked", {"trainer_name": "Priya"}, "Booked: Priya will run it."),
        ("unfilled", {}, "No trainer is free and near enough at these times yet"),
        ("cancelled", {}, "Cancelled: nobody is looking for a trainer"),
        ("delivered", {"trainer_name": "Priya"}, "Delivered by Priya. If you"),
    ],
)
def test_every_status_has_a_line_in_plain_words(status, options, line):
    assert status_line(status, **options).startswith(line)
