"""Places beside a session's lead through the API: a session shows them and
whether it is fully staffed, an offer its place, and accepting an offer of a
place goes through the same booking gate as the page."""

from tests.booking.conftest import accept, ask
from tests.booking.test_co_trainers import needs, place_offer


def test_a_place_is_offered_accepted_and_shown_through_the_api(
    world, client_for, api_as
):
    needs(world, 2)
    training_request = ask(world, client_for)
    training_session = accept(client_for, world.priya, training_request)
    organiser = api_as(world.organiser)
    shown = organiser.get(f"/sessions/{training_session.id}").get_json()
    assert shown["is_fully_staffed"] is False
    assert shown["places"] == [
        {
            "place": 2,
            "trainer_id": None,
            "trainer_name": None,
            "is_shadowing": False,
            "is_open": True,
        }
    ]

    sam = api_as(world.sam)
    offer = place_offer(world.sam, training_request)
    assert sam.get(f"/offers/{offer.id}").get_json()["place"] == 2
    # A place is at the session's time only.
    other_time = next(s.id for s in training_request.slots if s.id != offer.slot_id)
    moved = sam.post(f"/offers/{offer.id}/accept", json={"slot_id": other_time})
    assert moved.status_code == 422
    assert "time only" in moved.get_json()["detail"]
    accepted = sam.post(f"/offers/{offer.id}/accept", json={})
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["session_id"] == training_session.id
    assert accepted.get_json()["offer"]["status"] == "accepted"
    shown = organiser.get(f"/sessions/{training_session.id}").get_json()
    assert shown["is_fully_staffed"] is True
    assert [(p["place"], p["trainer_name"]) for p in shown["places"]] == [
        (2, "Sam Trainer")
    ]
    # The co-trainer sees the session, as on its page.
    assert sam.get(f"/sessions/{training_session.id}").status_code == 200
