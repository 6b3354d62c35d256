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


def test_the_office_says_how_many_trainers_a_request_needs(world, client_for, api_as):
    training_request = ask(world, client_for)
    url = f"/requests/{training_request.id}"
    shown = api_as(world.organiser).get(url).get_json()
    assert (shown["trainers_needed"], shown["trainers_override"]) == (1, None)
    assert shown["allows_shadowing"] is False
    training_session = accept(client_for, world.priya, training_request)

    office = api_as(world.office)
    said = office.put(
        f"{url}/trainers", json={"trainers_override": 2, "allows_shadowing": True}
    )
    assert said.status_code == 200, said.get_json()
    assert (
        said.get_json()["trainers_needed"],
        said.get_json()["allows_shadowing"],
    ) == (
        2,
        True,
    )
    # The booked session gained an open place, offered at once.
    assert place_offer(world.sam, training_request).place == 2
    session = office.get(f"/sessions/{training_session.id}").get_json()
    assert [(p["place"], p["is_open"]) for p in session["places"]] == [(2, True)]

    # Out of range: the page's words, and nothing changes.
    for wrong in (0, 6):
        refused = office.put(
            f"{url}/trainers",
            json={"trainers_override": wrong, "allows_shadowing": False},
        )
        assert refused.status_code == 422
        assert "from 1 to 5" in " ".join(
            refused.get_json()["errors"]["trainers_override"]
        )
    assert office.get(url).get_json()["trainers_needed"] == 2
    # The organiser may not say it; the topic's rule comes back with null.
    asked = api_as(world.organiser).put(
        f"{url}/trainers", json={"trainers_override": 1, "allows_shadowing": False}
    )
    assert asked.status_code == 403
    back = office.put(
        f"{url}/trainers", json={"trainers_override": None, "allows_shadowing": False}
    )
    assert (
        back.get_json()["trainers_needed"],
        back.get_json()["trainers_override"],
    ) == (
        1,
        None,
    )
    session = office.get(f"/sessions/{training_session.id}").get_json()
    assert session["places"] == []
