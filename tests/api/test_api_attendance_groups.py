"""Attendance and groups through the API: the attendance page's service and
audience, the group form's service and checks, Group.visible_to."""

from datetime import timedelta

from sqlalchemy import func, select

from tests.api.test_api_core import assert_problem
from tests.booking.conftest import FIRST, book
from trainers.attendance.services import HEADCOUNT_MESSAGE
from trainers.extensions import db
from trainers.network.models import Group
from trainers.sessions.models import TrainingSession


def test_the_trainer_records_a_headcount_once_the_session_has_started(
    world, client_for, api_as, clock
):
    training_session = book(world, client_for)
    url = f"/sessions/{training_session.id}/attendance"
    priya = api_as(world.priya)
    early = assert_problem(priya.post(url, json={"headcount": 12}), 422)
    assert early["detail"].startswith("You can record attendance once the session")
    waiting = priya.get(url).get_json()
    assert waiting["headcount"] is None
    assert waiting["recording_problem"] == early["detail"]

    clock.set(FIRST + timedelta(hours=3))
    done = priya.post(url, json={"headcount": 12})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["headcount"] == 12
    db.session.expire_all()
    delivered = db.session.get(TrainingSession, training_session.id)
    assert delivered.status == "delivered"
    assert delivered.training_request.status == "delivered"

    corrected = api_as(world.organiser).post(url, json={"headcount": 14})
    assert corrected.get_json()["people_count"] == 14
    shown = api_as(world.office, "read").get(url)
    assert shown.status_code == 200
    assert shown.get_json()["headcount"] == 14
    assert shown.get_json()["recording_problem"] is None


def test_a_headcount_is_checked_and_kept_from_others(world, client_for, api_as, clock):
    training_session = book(world, client_for)
    clock.set(FIRST + timedelta(hours=3))
    url = f"/sessions/{training_session.id}/attendance"
    bad = assert_problem(api_as(world.priya).post(url, json={"headcount": 501}), 422)
    assert bad["errors"] == {"headcount": [HEADCOUNT_MESSAGE]}
    missing = assert_problem(api_as(world.priya).post(url, json={}), 422)
    assert missing["errors"] == {"headcount": [HEADCOUNT_MESSAGE]}
    assert_problem(api_as(world.sam).post(url, json={"headcount": 3}), 404)
    assert_problem(api_as(world.sam).get(url), 404)
    assert_problem(api_as(world.priya, "read").post(url, json={"headcount": 3}), 403)
    db.session.expire_all()
    assert db.session.get(TrainingSession, training_session.id).status == "booked"


def test_organisers_see_their_groups_and_the_office_every_group(
    world, api_as, make_group
):
    leeds = make_group("Leeds Action", "LS1")
    mine = api_as(world.organiser, "read").get("/groups").get_json()["items"]
    assert [g["name"] for g in mine] == ["Hastings Action"]
    assert mine[0]["organiser_ids"] == [world.organiser.id]
    assert_problem(api_as(world.organiser, "read").get(f"/groups/{leeds.id}"), 404)
    office = api_as(world.office, "read")
    assert [g["name"] for g in office.get("/groups").get_json()["items"]] == [
        "Hastings Action",
        "Leeds Action",
    ]
    narrowed = office.get(f"/groups?region={leeds.region}").get_json()["items"]
    assert [g["id"] for g in narrowed] == [leeds.id]
    assert office.get(f"/groups/{leeds.id}").get_json()["postcode_district"] == "LS1"
    assert_problem(api_as(world.priya, "read").get("/groups"), 403)


def test_the_office_adds_and_changes_groups_as_the_form_does(world, api_as):
    office = api_as(world.office)
    made = office.post(
        "/groups", json={"name": "  Leeds   Action ", "postcode": "LS1 4AP"}
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["name"], body["postcode_district"]) == ("Leeds Action", "LS1")
    assert body["region"] == "Yorkshire and The Humber"
    assert made.headers["Location"] == f"/api/v1/groups/{body['id']}"

    changed = office.open(f"/groups/{body['id']}", "PATCH", json={"is_active": False})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["is_active"] is False
    assert changed.get_json()["name"] == "Leeds Action"
    group = db.session.get(Group, body["id"])
    assert (group.is_active, group.region) == (False, "Yorkshire and The Humber")


def test_a_bad_group_is_refused_in_the_forms_words(world, api_as):
    office = api_as(world.office)
    taken = assert_problem(
        office.post("/groups", json={"name": "hastings action", "postcode": "TN34"}),
        422,
    )
    assert taken["errors"] == {
        "name": ["A group called “hastings action” already exists."]
    }
    unknown = assert_problem(
        office.post("/groups", json={"name": "Nowhere", "postcode": "ZZ99"}), 422
    )
    assert unknown["errors"]["postcode"][0].startswith(
        "We don't know the postcode district ZZ99."
    )
    blank = assert_problem(
        office.post("/groups", json={"name": " ", "postcode": "TN34"}), 422
    )
    assert blank["errors"] == {"name": ["Enter the group's name."]}
    for refused in (api_as(world.organiser), api_as(world.office, "read")):
        assert_problem(
            refused.open(
                f"/groups/{world.group.id}", "PATCH", json={"name": "Mine now"}
            ),
            403,
        )
    assert world.group.name == "Hastings Action"
    assert db.session.scalar(select(func.count(Group.id))) == 1
