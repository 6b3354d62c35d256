"""The trainer's profile forms through the browser: bad input refused with a clear
message and nothing saved, good input saved, rows removed."""

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from trainers.extensions import db
from trainers.profiles.models import (
    AvailabilityWindow,
    DayOff,
    TrainerProfile,
    TrainerTopic,
)
from trainers.timeutil import to_local, utcnow


def london_today() -> date:
    return to_local(utcnow()).date()


def stored_profile(user_id: int) -> TrainerProfile:
    # Requests share the test's session: drop anything unsaved, read the database.
    db.session.rollback()
    return db.session.get(TrainerProfile, user_id)


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def trainer(make_user):
    return make_user("trainer@example.org", "Tess Trainer", trainer=True)


@pytest.fixture
def browser(client_for, trainer):
    return client_for(trainer)


def add_window(trainer, weekday: int, start: time, end: time) -> AvailabilityWindow:
    window = AvailabilityWindow(weekday=weekday, start_time=start, end_time=end)
    trainer.trainer_profile.availability.append(window)
    db.session.commit()
    return window


def add_days_off(trainer, first_on: date, last_on: date, note: str = "") -> DayOff:
    day_off = DayOff(first_on=first_on, last_on=last_on, note=note)
    trainer.trainer_profile.days_off.append(day_off)
    db.session.commit()
    return day_off


# Basics: home district, travel radius, monthly cap


def basics_url(trainer) -> str:
    return f"/trainers/{trainer.id}/profile/basics"


def post_basics(browser, trainer, **changes):
    data = {"home_postcode": "TN34", "travel_radius_km": "40", "monthly_cap": "3"}
    data.update(changes)
    return browser.post(basics_url(trainer), data=data)


def test_basics_form_shows_current_values(client_for, make_trainer):
    trainer = make_trainer("kent@example.org", district="CT1", radius_km=55)
    html = client_for(trainer).get(basics_url(trainer)).get_data(as_text=True)
    assert 'value="CT1"' in html
    assert 'value="55"' in html
    assert 'value="2"' in html


def test_full_postcode_is_stored_only_as_its_district(browser, trainer):
    response = post_basics(browser, trainer, home_postcode="  tn34 1aa ")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/trainers/{trainer.id}/profile"
    profile = stored_profile(trainer.id)
    assert profile.home_district == "TN34"
    assert profile.region == "South East"
    assert profile.latitude == pytest.approx(50.86, abs=0.1)
    assert profile.longitude == pytest.approx(0.58, abs=0.1)
    assert (profile.travel_radius_km, profile.monthly_cap) == (40, 3)
    stored = " ".join(str(v) for v in vars(profile).values())
    assert "1AA" not in stored.upper()
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "TN34 (South East)" in page
    assert "1AA" not in page.upper()


def test_district_alone_is_accepted(browser, trainer):
    assert post_basics(browser, trainer, home_postcode="ct1").status_code == 302
    assert stored_profile(trainer.id).home_district == "CT1"


def test_radius_zero_means_online_only_and_cap_zero_not_taking_sessions(
    browser, trainer
):
    post_basics(browser, trainer, travel_radius_km="0", monthly_cap="0")
    profile = stored_profile(trainer.id)
    assert (profile.travel_radius_km, profile.monthly_cap) == (0, 0)
    page = browser.get(f"/trainers/{trainer.id}/profile").get_data(as_text=True)
    assert "Online sessions only" in page
    assert "Not taking sessions" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"home_postcode": "ZZ99"}, "We don't know the postcode district ZZ99"),
        ({"home_postcode": "zz99 9zz"}, "We don't know the postcode district ZZ99"),
        ({"home_postcode": "not a postcode"}, "is not a UK postcode"),
        ({"home_postcode": ""}, "Enter your home postcode district"),
        ({"travel_radius_km": "301"}, "Choose a travel radius from 0 to 300 km"),
        ({"travel_radius_km": "-1"}, "Choose a travel radius from 0 to 300 km"),
        ({"travel_radius_km": "ten"}, "Enter the travel radius as a whole number"),
        ({"travel_radius_km": "2.5"}, "Enter the travel radius as a whole number"),
        ({"travel_radius_km": ""}, "Enter how far you will travel"),
        ({"monthly_cap": "21"}, "Choose a monthly cap from 0 to 20 sessions"),
        ({"monthly_cap": "-3"}, "Choose a monthly cap from 0 to 20 sessions"),
        ({"monthly_cap": "lots"}, "Enter the monthly cap as a whole number"),
        ({"monthly_cap": ""}, "Enter the most sessions you will take a month"),
    ],
)
def test_bad_basics_are_refused_and_nothing_saved(browser, trainer, changes, message):
    response = post_basics(browser, trainer, **changes)
    assert response.status_code == 200
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert message in html
    assert "Please correct the following" in html
    profile = stored_profile(trainer.id)
    assert profile.home_district is None
    assert (profile.travel_radius_km, profile.monthly_cap) == (25, 2)


# Topics


def topics_url(trainer) -> str:
    return f"/trainers/{trainer.id}/profile/topics"


def stored_levels(trainer) -> dict[str, str]:
    db.session.rollback()
    rows = db.session.scalars(
        select(TrainerTopic).where(TrainerTopic.trainer_id == trainer.id)
    )
    return {row.topic.name: row.level for row in rows}


def test_topics_form_lists_only_active_topics_as_radio_groups(
    browser, trainer, make_topic
):
    make_topic("Canvassing")
    retired = make_topic("Leafleting")
    retired.is_active = False
    db.session.commit()
    html = browser.get(topics_url(trainer)).get_data(as_text=True)
    assert "<legend>Canvassing</legend>" in html
    assert "Leafleting" not in html
    assert html.count('type="radio"') == 3


def test_topics_are_set_changed_and_removed(browser, trainer, make_topic):
    canvassing, phones, media = (
        make_topic("Canvassing"),
        make_topic("Phone banking"),
        make_topic("Media"),
    )
    response = browser.post(
        topics_url(trainer),
        data={
            f"topic_{canvassing.id}": "qualified",
            f"topic_{phones.id}": "shadowing",
            f"topic_{media.id}": "",
        },
    )
    assert response.status_code == 302
    assert stored_levels(trainer) == {
        "Canvassing": "qualified",
        "Phone banking": "shadowing",
    }
    page = browser.get(f"/trainers/{trainer.id}/profile").get_data(as_text=True)
    assert 'Canvassing <span class="badge badge-qualified">qualified</span>' in page
    assert 'Phone banking <span class="badge badge-shadowing">shadowing</span>' in page

    browser.post(
        topics_url(trainer),
        data={
            f"topic_{canvassing.id}": "",
            f"topic_{phones.id}": "qualified",
            f"topic_{media.id}": "shadowing",
        },
    )
    assert stored_levels(trainer) == {
        "Phone banking": "qualified",
        "Media": "shadowing",
    }


def test_topics_form_shows_current_levels(browser, trainer, make_topic):
    topic = make_topic("Canvassing")
    trainer.trainer_profile.topics.append(TrainerTopic(topic=topic, level="shadowing"))
    db.session.commit()
    html = browser.get(topics_url(trainer)).get_data(as_text=True)
    assert (
        f'<input checked id="topic_{topic.id}-1" name="topic_{topic.id}" '
        'type="radio" value="shadowing">' in html
    )
    assert html.count("<input checked") == 1


def test_unknown_level_is_refused_naming_the_topic(browser, trainer, make_topic):
    topic = make_topic("Canvassing")
    response = browser.post(topics_url(trainer), data={f"topic_{topic.id}": "expert"})
    assert response.status_code == 200
    assert (
        "Choose not taught, shadowing or qualified for Canvassing."
        in response.get_data(as_text=True)
    )
    assert stored_levels(trainer) == {}


def test_posting_a_retired_topic_changes_nothing(browser, trainer, make_topic):
    retired = make_topic("Leafleting")
    retired.is_active = False
    db.session.commit()
    response = browser.post(
        topics_url(trainer), data={f"topic_{retired.id}": "qualified"}
    )
    assert response.status_code == 302
    assert stored_levels(trainer) == {}


# Weekly availability


def availability_url(trainer) -> str:
    return f"/trainers/{trainer.id}/profile/availability"


def post_window(browser, trainer, weekday="1", start="18:00", end="21:00"):
    return browser.post(
        availability_url(trainer),
        data={"weekday": weekday, "start_time": start, "end_time": end},
    )


def stored_windows(trainer) -> list[tuple[int, time, time]]:
    db.session.rollback()
    return [
        (w.weekday, w.start_time, w.end_time)
        for w in db.session.scalars(
            select(AvailabilityWindow)
            .where(AvailabilityWindow.trainer_id == trainer.id)
            .order_by(AvailabilityWindow.weekday, AvailabilityWindow.start_time)
        )
    ]


def test_availability_window_is_added(browser, trainer):
    response = post_window(browser, trainer)
    assert response.status_code == 302
    assert response.headers["Location"] == availability_url(trainer)
    assert stored_windows(trainer) == [(1, time(18), time(21))]
    page = browser.get(availability_url(trainer)).get_data(as_text=True)
    assert "Added Tuesday 18:00–21:00." in page


def test_seconds_from_a_browser_time_input_are_accepted(browser, trainer):
    post_window(browser, trainer, start="09:30:00", end="12:00:00")
    assert stored_windows(trainer) == [(1, time(9, 30), time(12))]


def test_availability_is_grouped_by_weekday_on_the_profile(browser, trainer):
    add_window(trainer, 1, time(18), time(21))
    add_window(trainer, 5, time(10), time(13))
    add_window(trainer, 1, time(9), time(12))
    html = browser.get(f"/trainers/{trainer.id}/profile").get_data(as_text=True)
    assert '<th scope="row">Tuesday</th>' in html
    assert "09:00–12:00, 18:00–21:00" in html
    assert html.index("Tuesday") < html.index("Saturday")
    assert html.count('<th scope="row">Tuesday</th>') == 1


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("21:00", "18:00", "The end time must be after the start time."),
        ("18:00", "18:00", "The end time must be after the start time."),
        ("", "21:00", "Enter the start time, like 18:00."),
        ("18:00", "", "Enter the end time, like 18:00."),
        ("6pm", "21:00", "Enter a time on the 24-hour clock, like 18:00."),
        ("18:00", "25:00", "Enter a time on the 24-hour clock, like 18:00."),
    ],
)
def test_bad_availability_times_are_refused(browser, trainer, start, end, message):
    response = post_window(browser, trainer, start=start, end=end)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert stored_windows(trainer) == []


@pytest.mark.parametrize(
    ("weekday", "message"),
    [
        ("7", "Choose a day of the week."),
        ("-1", "Choose a day of the week."),
        ("", "Choose a day of the week."),
        ("Tuesday", "Invalid Choice"),
    ],
)
def test_unknown_weekday_is_refused(browser, trainer, weekday, message):
    response = post_window(browser, trainer, weekday=weekday)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert stored_windows(trainer) == []


@pytest.mark.parametrize(
    ("start", "end"),
    [("19:00", "20:00"), ("17:00", "19:00"), ("20:00", "22:00"), ("17:00", "22:00")],
)
def test_overlapping_window_on_the_same_day_is_refused(browser, trainer, start, end):
    add_window(trainer, 1, time(18), time(21))
    response = post_window(browser, trainer, start=start, end=end)
    assert response.status_code == 200
    assert "That overlaps or runs on from your window Tuesday 18:00–21:00." in (
        response.get_data(as_text=True)
    )
    assert stored_windows(trainer) == [(1, time(18), time(21))]


@pytest.mark.parametrize(("start", "end"), [("21:00", "22:00"), ("15:00", "18:00")])
def test_window_touching_another_is_refused(browser, trainer, start, end):
    add_window(trainer, 1, time(18), time(21))
    response = post_window(browser, trainer, start=start, end=end)
    assert "runs on from your window Tuesday 18:00–21:00" in response.get_data(
        as_text=True
    )
    assert stored_windows(trainer) == [(1, time(18), time(21))]


def test_same_times_on_another_day_are_fine(browser, trainer):
    add_window(trainer, 1, time(18), time(21))
    assert post_window(browser, trainer, weekday="2").status_code == 302
    assert stored_windows(trainer) == [(1, time(18), time(21)), (2, time(18), time(21))]


def test_availability_window_is_removed(browser, trainer):
    keep = add_window(trainer, 0, time(9), time(12))
    gone = add_window(trainer, 1, time(18), time(21))
    response = browser.post(f"{availability_url(trainer)}/{gone.id}/remove")
    assert response.status_code == 302
    assert stored_windows(trainer) == [(keep.weekday, keep.start_time, keep.end_time)]
    page = browser.get(availability_url(trainer)).get_data(as_text=True)
    assert "Removed Tuesday 18:00–21:00." in page


def test_removing_another_trainers_window_is_not_found(browser, trainer, make_user):
    other = make_user("other@example.org", trainer=True)
    theirs = add_window(other, 1, time(18), time(21))
    response = browser.post(f"{availability_url(trainer)}/{theirs.id}/remove")
    assert response.status_code == 404
    assert stored_windows(other) == [(1, time(18), time(21))]


def test_removing_an_unknown_window_is_not_found(browser, trainer):
    assert browser.post(f"{availability_url(trainer)}/999/remove").status_code == 404


def test_remove_needs_post(browser, trainer):
    window = add_window(trainer, 1, time(18), time(21))
    response = browser.get(f"{availability_url(trainer)}/{window.id}/remove")
    assert response.status_code == 405
    assert count(AvailabilityWindow) == 1


# Days off


def days_off_url(trainer) -> str:
    return f"/trainers/{trainer.id}/profile/days-off"


def post_days_off(browser, trainer, first_on, last_on, note=""):
    return browser.post(
        days_off_url(trainer),
        data={"first_on": str(first_on), "last_on": str(last_on), "note": note},
    )


def stored_days_off(trainer) -> list[tuple[date, date, str]]:
    db.session.rollback()
    return [
        (d.first_on, d.last_on, d.note)
        for d in db.session.scalars(
            select(DayOff)
            .where(DayOff.trainer_id == trainer.id)
            .order_by(DayOff.first_on)
        )
    ]


def test_days_off_are_added_and_shown_with_dates(browser, trainer):
    first, last = (
        london_today() + timedelta(days=10),
        london_today() + timedelta(days=12),
    )
    response = post_days_off(browser, trainer, first, last, "  Holiday  ")
    assert response.status_code == 302
    assert stored_days_off(trainer) == [(first, last, "Holiday")]
    page = browser.get(f"/trainers/{trainer.id}/profile").get_data(as_text=True)
    assert f"{first:%a %-d %b %Y}" in page
    assert f"{last:%a %-d %b %Y}" in page
    assert "Holiday" in page


def test_a_single_day_off_starting_today_is_fine(browser, trainer):
    today = london_today()
    assert post_days_off(browser, trainer, today, today).status_code == 302
    assert stored_days_off(trainer) == [(today, today, "")]


def test_days_off_that_began_in_the_past_but_run_on_are_fine(browser, trainer):
    today = london_today()
    post_days_off(
        browser, trainer, today - timedelta(days=3), today + timedelta(days=1)
    )
    assert len(stored_days_off(trainer)) == 1


def days(offset: int) -> date:
    return london_today() + timedelta(days=offset)


@pytest.mark.parametrize(
    ("first_on", "last_on", "note", "message"),
    [
        (days(5), days(4), "", "The last day off must be the same as the first day"),
        (days(-5), days(-1), "", "Those days are all in the past."),
        ("", days(4), "", "Enter the first day off."),
        (days(4), "", "", "Enter the last day off."),
        ("31/12/2026", days(4), "", "Enter a real date, like 2026-12-24."),
        ("2027-02-30", days(4), "", "Enter a real date, like 2026-12-24."),
        (days(4), days(5), "x" * 201, "Keep the note to 200 characters or fewer."),
    ],
)
def test_bad_days_off_are_refused(browser, trainer, first_on, last_on, note, message):
    response = post_days_off(browser, trainer, first_on, last_on, note)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert stored_days_off(trainer) == []


@pytest.mark.parametrize(
    ("first", "last"), [(10, 10), (8, 10), (12, 14), (14, 16), (5, 20), (11, 13)]
)
def test_overlapping_days_off_are_refused(browser, trainer, first, last):
    add_days_off(trainer, days(10), days(14))
    response = post_days_off(browser, trainer, days(first), days(last))
    assert response.status_code == 200
    assert f"You already have days off {days(10):%a %-d %b %Y} to " in (
        response.get_data(as_text=True)
    )
    assert stored_days_off(trainer) == [(days(10), days(14), "")]


def test_days_off_next_to_others_are_fine(browser, trainer):
    add_days_off(trainer, days(10), days(14))
    assert post_days_off(browser, trainer, days(15), days(16)).status_code == 302
    assert post_days_off(browser, trainer, days(8), days(9)).status_code == 302
    assert len(stored_days_off(trainer)) == 3


def test_days_off_are_removed(browser, trainer):
    gone = add_days_off(trainer, days(3), days(3))
    keep = add_days_off(trainer, days(10), days(14), "Holiday")
    response = browser.post(f"{days_off_url(trainer)}/{gone.id}/remove")
    assert response.status_code == 302
    assert stored_days_off(trainer) == [(keep.first_on, keep.last_on, "Holiday")]
    page = browser.get(days_off_url(trainer)).get_data(as_text=True)
    assert f"Removed days off: {days(3):%a %-d %b %Y}." in page


def test_removing_another_trainers_days_off_is_not_found(browser, trainer, make_user):
    other = make_user("other@example.org", trainer=True)
    theirs = add_days_off(other, days(3), days(4))
    response = browser.post(f"{days_off_url(trainer)}/{theirs.id}/remove")
    assert response.status_code == 404
    assert stored_days_off(other) == [(days(3), days(4), "")]


def test_past_days_off_are_marked_and_hidden_from_the_profile(browser, trainer):
    add_days_off(trainer, days(-20), days(-18), "Old trip")
    add_days_off(trainer, days(5), days(6), "New trip")
    manage = browser.get(days_off_url(trainer)).get_data(as_text=True)
    assert "Old trip" in manage
    assert "past</span>" in manage
    profile = browser.get(f"/trainers/{trainer.id}/profile").get_data(as_text=True)
    assert "New trip" in profile
    assert "Old trip" not in profile
