"""Requests and offers through the API: the same checks, scopes and booking
gate as the pages; a script makes a request and a trainer accepts its offer."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.api.test_api_core import assert_problem
from tests.booking.conftest import FIRST, SECOND
from trainers.extensions import db
from trainers.matching.models import Offer
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import TrainingSession


def new_request(world, **overrides) -> dict:
    """A request as a script sends it: two Tuesday evenings at a venue."""
    body = {
        "group_id": world.group.id,
        "topic_id": world.topic.id,
        "slots": [
            {
                "starts_at": "2027-06-15T18:30:00+01:00",
                "ends_at": "2027-06-15T20:30:00+01:00",
            },
            {"starts_at": "2027-06-22T17:30:00Z"},
        ],
        "venue_postcode": "TN34 1AA",
        "venue_address": "Hastings Library\nBrassey Road",
        "expected_attendance": 24,
        "notes": "Bring flipchart pens",
    }
    body.update(overrides)
    return body


def count_requests() -> int:
    return db.session.scalar(select(func.count(TrainingRequest.id)))


def test_a_script_asks_for_training_and_a_trainer_accepts(world, api_as):
    organiser = api_as(world.organiser)
    made = organiser.post("/requests", json=new_request(world))
    assert made.status_code == 201, made.get_json()
    shown = made.get_json()
    assert shown["status"] == "offered"
    assert made.headers["Location"] == f"/api/v1/requests/{shown['id']}"
    assert [slot["starts_at"] for slot in shown["slots"]] == [
        "2027-06-15T18:30:00+01:00",
        "2027-06-22T18:30:00+01:00",
    ]
    assert shown["slots"][1]["ends_at"] == "2027-06-22T20:30:00+01:00"
    assert organiser.get(f"/requests/{shown['id']}").get_json() == shown
    assert [r["id"] for r in organiser.get("/requests").get_json()["items"]] == [
        shown["id"]
    ]

    priya = api_as(world.priya)
    offers = priya.get("/offers").get_json()["items"]
    assert [offer["request_id"] for offer in offers] == [shown["id"]]
    assert offers[0]["starts_at"] == "2027-06-15T18:30:00+01:00"
    accepted = priya.post(f"/offers/{offers[0]['id']}/accept", json={})
    assert accepted.status_code == 200, accepted.get_json()
    session = db.session.get(TrainingSession, accepted.get_json()["session_id"])
    assert (session.trainer_id, session.starts_at) == (world.priya.id, FIRST)
    assert organiser.get(f"/requests/{shown['id']}").get_json()["status"] == "booked"

    # Sam's offer was withdrawn when Priya took it: a conflict, in the page's words.
    sams = api_as(world.sam).get("/offers").get_json()["items"][0]
    late = api_as(world.sam).post(f"/offers/{sams['id']}/accept", json={})
    body = assert_problem(late, 409)
    assert body["detail"].startswith("Another trainer has already taken this session")


def test_a_trainer_declines_with_a_reason(world, api_as):
    api_as(world.organiser).post("/requests", json=new_request(world))
    offer = db.session.scalar(select(Offer).where(Offer.trainer_id == world.sam.id))
    answer = api_as(world.sam).post(
        f"/offers/{offer.id}/decline", json={"reason": "Away that week"}
    )
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "declined"
    db.session.refresh(offer)
    assert offer.response_note == "Away that week"


def test_a_trainer_takes_another_proposed_time(world, api_as):
    made = api_as(world.organiser).post("/requests", json=new_request(world))
    second = made.get_json()["slots"][1]["id"]
    offer = db.session.scalar(select(Offer).where(Offer.trainer_id == world.priya.id))
    answer = api_as(world.priya).post(
        f"/offers/{offer.id}/accept", json={"slot_id": second}
    )
    assert answer.status_code == 200
    session = db.session.get(TrainingSession, answer.get_json()["session_id"])
    assert session.starts_at == SECOND


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"venue_postcode": None}, "venue_postcode", "Enter the venue's postcode"),
        ({"expected_attendance": 501}, "expected_attendance", "between 1 and 500"),
        (
            {"slots": [{"starts_at": "2027-04-01T18:00:00+01:00"}]},
            "slots.0.starts_at",
            "This slot is in the past",
        ),
        (
            {
                "slots": [
                    {
                        "starts_at": "2027-06-15T20:00:00+01:00",
                        "ends_at": "2027-06-15T19:00:00+01:00",
                    }
                ]
            },
            "slots.0.ends_at",
            "ends at or before its start",
        ),
        ({"topic_id": 999}, "topic_id", "Choose a topic from the list"),
        ({"group_id": 999}, "group_id", "Choose one of your groups"),
    ],
)
def test_a_request_is_checked_as_the_form_checks_it(
    world, api_as, overrides, field, words
):
    answer = api_as(world.organiser).post(
        "/requests", json=new_request(world, **overrides)
    )
    body = assert_problem(answer, 422)
    assert words in " ".join(body["errors"][field])
    assert count_requests() == 0


def test_fields_of_the_wrong_kind_are_a_validation_problem(world, api_as):
    answer = api_as(world.organiser).post(
        "/requests", json=new_request(world, slots="tomorrow", extra=1)
    )
    body = assert_problem(answer, 422)
    assert {"slots", "extra"} <= body["errors"].keys()
    naive = new_request(world, slots=[{"starts_at": "2027-06-15T18:30:00"}])
    body = assert_problem(api_as(world.organiser).post("/requests", json=naive), 422)
    assert "slots" in body["errors"]


def test_what_the_form_asks_to_tick_is_an_explicit_confirm(world, api_as):
    short = new_request(
        world,
        slots=[
            {
                "starts_at": "2027-06-15T18:30:00+01:00",
                "ends_at": "2027-06-15T19:00:00+01:00",
            }
        ],
        venue_postcode="SK1 1AA",
    )
    caller = api_as(world.organiser)
    body = assert_problem(caller.post("/requests", json=short), 422)
    assert body["confirm_needed"] == ["short", "far"]
    assert "usually takes 2 hours" in body["errors"]["confirm"][0]
    assert count_requests() == 0
    short["confirm"] = ["short", "far"]
    assert caller.post("/requests", json=short).status_code == 201
    again = assert_problem(caller.post("/requests", json=short), 422)
    assert again["confirm_needed"] == ["overlap"]


def test_the_same_idempotency_key_makes_one_request(world, api_as):
    caller = api_as(world.organiser)
    key = {"Idempotency-Key": "retry-me-1"}
    first = caller.post("/requests", json=new_request(world), headers=key)
    again = caller.post("/requests", json=new_request(world), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_requests() == 1
    other = caller.post("/requests", json=new_request(world, notes="x"), headers=key)
    assert "Idempotency-Key" in assert_problem(other, 422)["errors"]
    # Another token's key of the same name is its own.
    assert (
        api_as(world.office)
        .post("/requests", json=new_request(world, confirm=["overlap"]), headers=key)
        .status_code
        == 201
    )
    assert count_requests() == 2


def test_a_refused_create_keeps_no_key(world, api_as):
    caller = api_as(world.organiser)
    key = {"Idempotency-Key": "fix-and-retry"}
    bad = new_request(world, expected_attendance=0)
    assert_problem(caller.post("/requests", json=bad, headers=key), 422)
    assert (
        caller.post("/requests", json=new_request(world), headers=key).status_code
        == 201
    )


def test_a_key_is_forgotten_after_a_day(world, api_as, clock):
    caller = api_as(world.organiser)
    key = {"Idempotency-Key": "daily"}
    caller.post("/requests", json=new_request(world), headers=key)
    clock.advance(timedelta(hours=24, seconds=1))
    later = caller.post(
        "/requests", json=new_request(world, confirm=["overlap"]), headers=key
    )
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
    assert count_requests() == 2


def test_a_read_token_cannot_write(world, api_as):
    answer = api_as(world.organiser, "read").post("/requests", json=new_request(world))
    assert "only read" in assert_problem(answer, 403)["detail"]
    assert count_requests() == 0


def test_who_sees_which_requests(world, api_as, make_group, make_user):
    made = api_as(world.organiser).post("/requests", json=new_request(world))
    request_id = made.get_json()["id"]
    stranger = make_user("other@example.org", groups=[make_group("Stockport", "SK1")])
    assert api_as(stranger).get("/requests").get_json()["items"] == []
    assert_problem(api_as(stranger).get(f"/requests/{request_id}"), 404)
    assert_problem(api_as(world.priya).get("/requests"), 403)
    assert api_as(world.office).get(f"/requests/{request_id}").status_code == 200
    # An organiser cannot ask for another group.
    theirs = new_request(world, group_id=world.group.id)
    assert_problem(api_as(stranger).post("/requests", json=theirs), 422)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("status=offered", True),
        ("status=booked", False),
        ("region=South East", True),
        ("region=Wales", False),
        ("from=2027-06-15&to=2027-06-15", True),
        ("from=2027-06-16", False),
        ("to=2027-06-14", False),
    ],
)
def test_the_list_filters(world, api_as, query, found):
    caller = api_as(world.office)
    made = caller.post("/requests", json=new_request(world)).get_json()
    items = caller.get(f"/requests?{query}").get_json()["items"]
    assert [item["id"] for item in items] == ([made["id"]] if found else [])


def test_the_list_filters_by_topic(world, api_as):
    caller = api_as(world.office)
    caller.post("/requests", json=new_request(world))
    assert len(caller.get(f"/requests?topic={world.topic.id}").get_json()["items"]) == 1
    assert (
        caller.get(f"/requests?topic={world.online_topic.id}").get_json()["items"] == []
    )


def test_requests_page_newest_first(world, api_as):
    caller = api_as(world.office)
    made = [
        caller.post(
            "/requests", json=new_request(world, notes=str(n), confirm=["overlap"])
        ).get_json()["id"]
        for n in range(3)
    ]
    first = caller.get("/requests?limit=2").get_json()
    rest = caller.get(f"/requests?limit=2&cursor={first['next_cursor']}").get_json()
    seen = [item["id"] for item in first["items"] + rest["items"]]
    assert seen == sorted(made, reverse=True) and rest["next_cursor"] is None


def test_offers_are_the_trainers_own(world, api_as):
    api_as(world.organiser).post("/requests", json=new_request(world))
    sams = db.session.scalar(select(Offer).where(Offer.trainer_id == world.sam.id))
    priya = api_as(world.priya)
    assert sams.id not in [o["id"] for o in priya.get("/offers").get_json()["items"]]
    assert_problem(priya.get(f"/offers/{sams.id}"), 404)
    assert_problem(priya.post(f"/offers/{sams.id}/accept", json={}), 404)
    assert len(api_as(world.office).get("/offers").get_json()["items"]) == 2
    # The office sees an offer but does not answer it for the trainer.
    assert_problem(api_as(world.office).post(f"/offers/{sams.id}/accept", json={}), 404)
    assert_problem(api_as(world.organiser).get("/offers"), 403)
    db.session.refresh(sams)
    assert sams.status == "pending"


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "a\x00b"])
def test_an_idempotency_key_is_printable_ascii(world, api_as, key):
    answer = api_as(world.organiser).post(
        "/requests", json=new_request(world), headers={"Idempotency-Key": key}
    )
    assert "Idempotency-Key" in assert_problem(answer, 400)["errors"]
    assert count_requests() == 0
