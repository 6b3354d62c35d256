"""Sessions through the API: seen by whom the pages show them to, rescheduled
and cancelled with the request pages' rules, the page's ticks an explicit
confirm list, everyone told through the outbox as the pages tell them."""

from datetime import date, timedelta

from sqlalchemy import select

from tests.api.test_api_core import assert_problem
from tests.booking.conftest import FIRST, SECOND, book
from tests.booking.test_reschedule import second_slot, take_day_off
from trainers.extensions import db
from trainers.outbox.models import OutboxMessage
from trainers.sessions.models import TrainingSession


def sent_since(first_id: int, kind: str) -> set[str]:
    """Who was queued an email of this kind after outbox message `first_id`."""
    return set(
        db.session.scalars(
            select(OutboxMessage.to_address).where(
                OutboxMessage.id > first_id, OutboxMessage.kind == kind
            )
        )
    )


def last_message_id() -> int:
    return db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))


def test_each_person_sees_the_sessions_the_pages_show_them(
    world, client_for, api_as, make_group, make_user
):
    training_session = book(world, client_for)
    other = make_user("other@example.org", groups=[make_group("Leeds", "LS1")])
    for person in (world.organiser, world.priya, world.office):
        listed = api_as(person, "read").get("/sessions")
        assert listed.status_code == 200
        assert [s["id"] for s in listed.get_json()["items"]] == [training_session.id]
    for stranger in (world.sam, other):
        assert api_as(stranger, "read").get("/sessions").get_json()["items"] == []
        assert_problem(
            api_as(stranger, "read").get(f"/sessions/{training_session.id}"), 404
        )

    shown = api_as(world.organiser, "read").get(f"/sessions/{training_session.id}")
    body = shown.get_json()
    assert body["status"] == "booked"
    assert body["trainer_name"] == "Priya Trainer"
    assert body["group_name"] == "Hastings Action"
    assert body["starts_at"] == "2027-06-15T18:30:00+01:00"
    assert body["venue_postcode"] == "TN34 1AA"
    again = api_as(world.organiser, "read").get(
        f"/sessions/{training_session.id}",
        headers={"If-None-Match": shown.headers["ETag"]},
    )
    assert again.status_code == 304


def test_the_list_is_narrowed_by_status_and_paged(world, client_for, api_as):
    booked = book(world, client_for)
    office = api_as(world.office, "read")
    assert office.get("/sessions?status=cancelled").get_json()["items"] == []
    page = office.get("/sessions?status=booked&limit=1").get_json()
    assert [s["id"] for s in page["items"]] == [booked.id]
    assert page["next_cursor"] is None
    assert_problem(office.get("/sessions?status=lost"), 422)
    on_the_day = office.get("/sessions?from=2027-06-15&to=2027-06-15").get_json()
    assert [s["id"] for s in on_the_day["items"]] == [booked.id]
    for after in ("from=2027-06-16", "to=2027-06-14"):
        assert office.get(f"/sessions?{after}").get_json()["items"] == []


def test_reschedule_moves_the_session_and_tells_everyone(world, client_for, api_as):
    training_session = book(world, client_for)
    before = last_message_id()
    moved = api_as(world.organiser).post(
        f"/sessions/{training_session.id}/reschedule",
        json={"slot_id": second_slot(training_session).id, "reason": "Hall booked"},
    )
    assert moved.status_code == 200, moved.get_json()
    body = moved.get_json()
    assert body["kept_trainer"] is True
    assert body["request_status"] == "booked"
    assert body["session"]["starts_at"] == "2027-06-22T18:30:00+01:00"
    db.session.expire_all()
    assert db.session.get(TrainingSession, training_session.id).starts_at == SECOND
    assert {world.organiser.email, world.priya.email} <= sent_since(
        before, "session_moved"
    )


def test_a_new_time_is_checked_as_the_page_checks_it(world, client_for, api_as):
    training_session = book(world, client_for)
    url = f"/sessions/{training_session.id}/reschedule"
    organiser = api_as(world.organiser)
    past = organiser.post(
        url,
        json={
            "starts_at": "2027-04-01T18:30:00+01:00",
            "ends_at": "2027-04-01T20:30:00+01:00",
        },
    )
    assert "in the past" in assert_problem(past, 422)["errors"]["starts_at"][0]
    backwards = organiser.post(
        url,
        json={
            "starts_at": "2027-06-29T20:30:00+01:00",
            "ends_at": "2027-06-29T18:30:00+01:00",
        },
    )
    assert "ends_at" in assert_problem(backwards, 422)["errors"]
    both = organiser.post(
        url,
        json={
            "slot_id": second_slot(training_session).id,
            "starts_at": "2027-06-29T18:30:00+01:00",
        },
    )
    assert "slot_id" in assert_problem(both, 422)["errors"]
    assert "starts_at" in assert_problem(organiser.post(url, json={}), 422)["errors"]

    moved = organiser.post(
        url,
        json={
            "starts_at": "2027-06-29T18:30:00+01:00",
            "ends_at": "2027-06-29T20:30:00+01:00",
        },
    )
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["session"]["ends_at"] == "2027-06-29T20:30:00+01:00"


def test_releasing_the_trainer_is_confirmed_first(world, client_for, api_as):
    training_session = book(world, client_for)
    take_day_off(world.priya, date(2027, 6, 22))
    url = f"/sessions/{training_session.id}/reschedule"
    sent = {"slot_id": second_slot(training_session).id}

    asked = assert_problem(api_as(world.organiser).post(url, json=sent), 422)
    assert asked["confirm_needed"] == ["release"]
    assert "Priya Trainer can't do Tue 22 Jun 2027, 18:30" in asked["detail"]
    db.session.expire_all()
    kept = db.session.get(TrainingSession, training_session.id)
    assert (kept.status, kept.starts_at) == ("booked", FIRST)

    done = api_as(world.organiser).post(url, json={**sent, "confirm": ["release"]})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert (body["kept_trainer"], body["request_status"]) == (False, "offered")
    assert body["offers_made"] == 1
    assert body["session"]["status"] == "cancelled"


def test_only_the_groups_organisers_and_the_office_change_a_session(
    world, client_for, api_as
):
    training_session = book(world, client_for)
    url = f"/sessions/{training_session.id}/cancel"
    assert_problem(api_as(world.priya).post(url, json={"reason": "No"}), 403)
    assert_problem(
        api_as(world.organiser, "read").post(url, json={"reason": "No"}), 403
    )
    db.session.expire_all()
    assert db.session.get(TrainingSession, training_session.id).status == "booked"


def test_cancel_needs_a_reason_and_cancels_the_request_once(world, client_for, api_as):
    training_session = book(world, client_for)
    url = f"/sessions/{training_session.id}/cancel"
    organiser = api_as(world.organiser)
    blank = assert_problem(organiser.post(url, json={}), 422)
    assert blank["errors"] == {"reason": ["Say why the request is being cancelled."]}

    before = last_message_id()
    done = organiser.post(url, json={"reason": "The hall is closed"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "cancelled"
    assert done.get_json()["cancel_reason"] == "The hall is closed"
    db.session.expire_all()
    cancelled = db.session.get(TrainingSession, training_session.id)
    assert cancelled.training_request.status == "cancelled"
    assert world.priya.email in sent_since(before, "session_cancelled")

    again = assert_problem(organiser.post(url, json={"reason": "Again"}), 422)
    assert again["detail"] == (
        "This session is cancelled, so it can no longer be cancelled."
    )


def test_a_change_at_short_notice_is_confirmed_first(world, client_for, api_as, clock):
    training_session = book(world, client_for)
    clock.set(FIRST - timedelta(hours=20))
    url = f"/sessions/{training_session.id}/cancel"
    office = api_as(world.office)
    asked = assert_problem(office.post(url, json={"reason": "Storm"}), 422)
    assert asked["confirm_needed"] == ["short_notice"]
    assert asked["detail"].startswith("This session starts within 48 hours.")
    db.session.expire_all()
    assert db.session.get(TrainingSession, training_session.id).status == "booked"

    done = office.post(url, json={"reason": "Storm", "confirm": ["short_notice"]})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "cancelled"
