"""Two trainers accept the same request's offers through the API at once: the
booking gate books one, and the other is told it was taken (409), with real
threads on PostgreSQL."""

import pytest
from sqlalchemy import func, select

from tests.api.conftest import Caller
from tests.api.test_api_requests_offers import new_request
from tests.threads import run_at_once
from trainers.extensions import db
from trainers.matching.models import Offer
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import TrainingSession

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

TUESDAYS = ("2027-06-08", "2027-06-15", "2027-06-22")


@pytest.mark.parametrize("day", TUESDAYS)
def test_a_race_to_accept_books_once(world, api_as, token_for, threads_app, day):
    slot = {"starts_at": f"{day}T18:30:00+01:00", "ends_at": f"{day}T20:30:00+01:00"}
    made = api_as(world.organiser).post(
        "/requests", json=new_request(world, slots=[slot])
    )
    request_id = made.get_json()["id"]
    racers = []
    for trainer in (world.priya, world.sam):
        offer = db.session.scalar(
            select(Offer).where(
                Offer.request_id == request_id, Offer.trainer_id == trainer.id
            )
        )
        caller = Caller(threads_app.test_client(), token_for(trainer))
        racers.append((caller, offer.id))

    def accept(caller, offer_id):
        def job(wait):
            wait()
            return caller.post(f"/offers/{offer_id}/accept", json={}).status_code

        return job

    outcomes = run_at_once(threads_app, [accept(*racer) for racer in racers])
    assert sorted(value for _, value in outcomes) == [200, 409]
    booked = db.session.scalar(
        select(func.count(TrainingSession.id)).where(
            TrainingSession.request_id == request_id
        )
    )
    assert booked == 1


def test_the_same_key_sent_twice_at_once_makes_one_request(
    world, token_for, threads_app
):
    token = token_for(world.organiser)
    body = new_request(world)

    def create(wait):
        caller = Caller(threads_app.test_client(), token)
        wait()
        answer = caller.post(
            "/requests", json=body, headers={"Idempotency-Key": "at-once"}
        )
        return answer.status_code, answer.get_json()

    outcomes = run_at_once(threads_app, [create, create])
    (first_status, first), (second_status, second) = (v for _, v in outcomes)
    assert first_status == second_status == 201
    assert first == second
    made = db.session.scalar(select(func.count(TrainingRequest.id)))
    assert made == 1
