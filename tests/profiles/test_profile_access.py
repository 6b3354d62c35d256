"""Who may open each profile route: the trainer themself and the office; another
trainer gets 404, an organiser who is no trainer 403, and anonymous people sign in."""

from datetime import time, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from trainers.extensions import db
from trainers.profiles.models import (
    AvailabilityWindow,
    DayOff,
    TrainerProfile,
    TrainerTopic,
)
from trainers.timeutil import to_local, utcnow


@pytest.fixture
def people(make_user, make_group, make_trainer, make_topic):
    topic = make_topic("Canvassing")
    trainer = make_trainer("trainer@example.org")
    profile = trainer.trainer_profile
    window = AvailabilityWindow(weekday=1, start_time=time(18), end_time=time(21))
    soon = to_local(utcnow()).date() + timedelta(days=30)
    day_off = DayOff(first_on=soon, last_on=soon)
    profile.availability.append(window)
    profile.days_off.append(day_off)
    db.session.commit()
    return SimpleNamespace(
        topic=topic,
        trainer=trainer,
        window=window,
        day_off=day_off,
        other_trainer=make_trainer("other@example.org"),
        organiser=make_user("organiser@example.org", groups=[make_group()]),
        office=make_user("office@example.org", office=True),
    )


def snapshot(user_id: int) -> tuple:
    """Everything stored about a trainer's profile, read afresh."""
    db.session.rollback()
    profile = db.session.get(TrainerProfile, user_id)
    return (
        profile.home_district,
        profile.travel_radius_km,
        profile.monthly_cap,
        sorted(
            (row.topic_id, row.level)
            for row in db.session.scalars(
                select(TrainerTopic).where(TrainerTopic.trainer_id == user_id)
            )
        ),
        sorted(
            (w.weekday, w.start_time, w.end_time)
            for w in db.session.scalars(
                select(AvailabilityWindow).where(
                    AvailabilityWindow.trainer_id == user_id
                )
            )
        ),
        sorted(
            (d.first_on, d.last_on)
            for d in db.session.scalars(
                select(DayOff).where(DayOff.trainer_id == user_id)
            )
        ),
    )


def route(name: str, people, user_id: int) -> tuple[str, str, dict | None]:
    """(method, URL, form data) of a profile route for trainer `user_id`."""
    base = f"/trainers/{user_id}/profile"
    soon = to_local(utcnow()).date() + timedelta(days=60)
    return {
        "detail": ("GET", base, None),
        "basics": ("GET", f"{base}/basics", None),
        "save basics": (
            "POST",
            f"{base}/basics",
            {"home_postcode": "BN1 1AA", "travel_radius_km": "40", "monthly_cap": "4"},
        ),
        "topics": ("GET", f"{base}/topics", None),
        "save topics": (
            "POST",
            f"{base}/topics",
            {f"topic_{people.topic.id}": "shadowing"},
        ),
        "availability": ("GET", f"{base}/availability", None),
        "add availability": (
            "POST",
            f"{base}/availability",
            {"weekday": "3", "start_time": "09:00", "end_time": "12:00"},
        ),
        "remove availability": (
            "POST",
            f"{base}/availability/{people.window.id}/remove",
            None,
        ),
        "days off": ("GET", f"{base}/days-off", None),
        "add days off": (
            "POST",
            f"{base}/days-off",
            {"first_on": str(soon), "last_on": str(soon), "note": "Away"},
        ),
        "remove days off": (
            "POST",
            f"{base}/days-off/{people.day_off.id}/remove",
            None,
        ),
    }[name]


ROUTES = [
    "detail",
    "basics",
    "save basics",
    "topics",
    "save topics",
    "availability",
    "add availability",
    "remove availability",
    "days off",
    "add days off",
    "remove days off",
]


def call(browser, method: str, url: str, data: dict | None):
    return browser.open(url, method=method, data=data)


@pytest.mark.parametrize("name", ROUTES)
def test_anonymous_people_are_sent_to_sign_in(client, people, name):
    before = snapshot(people.trainer.id)
    response = call(client, *route(name, people, people.trainer.id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert snapshot(people.trainer.id) == before


@pytest.mark.parametrize("viewer", ["trainer", "office"])
@pytest.mark.parametrize("name", ROUTES)
def test_the_trainer_and_the_office_may_use_it(client_for, people, name, viewer):
    before = snapshot(people.trainer.id)
    method, url, data = route(name, people, people.trainer.id)
    response = call(client_for(getattr(people, viewer)), method, url, data)
    if method == "GET":
        assert response.status_code == 200
        assert f'href="/trainers/{people.trainer.id}/profile' in response.get_data(
            as_text=True
        )
        assert snapshot(people.trainer.id) == before
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith(
            f"/trainers/{people.trainer.id}/profile"
        )
        assert snapshot(people.trainer.id) != before


@pytest.mark.parametrize("name", ROUTES)
def test_another_trainer_gets_not_found(client_for, people, name):
    before = snapshot(people.trainer.id)
    response = call(
        client_for(people.other_trainer), *route(name, people, people.trainer.id)
    )
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert snapshot(people.trainer.id) == before


@pytest.mark.parametrize("name", ROUTES)
def test_an_organiser_who_is_not_a_trainer_is_forbidden(client_for, people, name):
    before = snapshot(people.trainer.id)
    response = call(
        client_for(people.organiser), *route(name, people, people.trainer.id)
    )
    assert response.status_code == 403
    assert snapshot(people.trainer.id) == before


@pytest.mark.parametrize("name", ROUTES)
def test_unknown_trainer_id_is_not_found_even_for_the_office(client_for, people, name):
    response = call(client_for(people.office), *route(name, people, 999))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ROUTES)
def test_a_user_who_is_not_a_trainer_has_no_profile(client_for, people, name):
    response = call(
        client_for(people.office), *route(name, people, people.organiser.id)
    )
    assert response.status_code == 404
    db.session.rollback()
    assert db.session.get(TrainerProfile, people.organiser.id) is None


def test_own_profile_link_leads_to_the_trainers_profile(client_for, people):
    response = client_for(people.trainer).get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/trainers/{people.trainer.id}/profile"
    page = client_for(people.trainer).get("/profile", follow_redirects=True)
    assert "Your trainer profile" in page.get_data(as_text=True)


def test_own_profile_link_needs_sign_in(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("viewer", ["organiser", "office"])
def test_own_profile_link_is_forbidden_without_the_trainer_role(
    client_for, people, viewer
):
    assert client_for(getattr(people, viewer)).get("/profile").status_code == 403


def test_the_office_sees_whose_profile_it_is(client_for, people):
    html = (
        client_for(people.office)
        .get(f"/trainers/{people.trainer.id}/profile")
        .get_data(as_text=True)
    )
    assert f"Trainer profile: {people.trainer.name}" in html
    assert "Your trainer profile" not in html


def test_the_nav_links_a_trainer_to_their_profile(client_for, people):
    html = client_for(people.trainer).get("/").get_data(as_text=True)
    assert 'href="/profile"' in html
