"""Taking from the board passes the same booking gate as accepting an offer,
proven with real threads on PostgreSQL: two trainers taking one request at
once, and a trainer taking from the board while another accepts their offer,
always end with one booking; the other is told someone else took it."""

import pytest
from sqlalchemy import select

from tests.board.conftest import FIRST, NOW, SECOND
from tests.threads import run_at_once
from trainers.auth.models import User
from trainers.board.services import take_from_board
from trainers.extensions import db
from trainers.matching import answers
from trainers.matching.models import Offer
from trainers.sessions.models import TrainingSession

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

ROUNDS = 8


def taking(trainer_id: int, request_id: int, slot_id: int):
    def job(wait):
        trainer = db.session.get(User, trainer_id)
        wait()
        return take_from_board(trainer, request_id, slot_id, NOW).id

    return job


def accepting(trainer_id: int, offer_id: int):
    def job(wait):
        trainer = db.session.get(User, trainer_id)
        wait()
        return answers.accept_offer(offer_id, trainer, NOW).id

    return job


def one_booked_and_the_other_told(results, request_id: int) -> None:
    assert sorted(outcome for outcome, _ in results) == ["error", "ok"], results
    (error,) = [value for outcome, value in results if outcome == "error"]
    assert isinstance(error, answers.OfferAlreadyTaken), repr(error)
    booked = db.session.scalars(
        select(TrainingSession).where(TrainingSession.request_id == request_id)
    ).all()
    assert len(booked) == 1


def test_two_trainers_taking_one_request_at_once_book_it_once(threads_app, world):
    priya, sam = world.priya.id, world.sam.id
    for _ in range(ROUNDS):
        training_request = world.ask(FIRST, SECOND)
        request_id = training_request.id
        first, second = (slot.id for slot in training_request.slots)
        results = run_at_once(
            threads_app,
            # At different times, so only the request is fought over.
            [taking(priya, request_id, first), taking(sam, request_id, second)],
        )
        one_booked_and_the_other_told(results, request_id)
        # Free both again for the next round.
        db.session.execute(
            TrainingSession.__table__.update().values(status="cancelled")
        )
        db.session.commit()


def test_taking_from_the_board_racing_an_accepted_offer_books_it_once(
    threads_app, world
):
    priya, sam = world.priya.id, world.sam.id
    for _ in range(ROUNDS):
        training_request = world.ask(FIRST)
        request_id, slot_id = training_request.id, training_request.slots[0].id
        offer = Offer(
            request_id=request_id, slot_id=slot_id, trainer_id=sam, created_at=NOW
        )
        training_request.status = "offered"
        db.session.add(offer)
        db.session.commit()
        results = run_at_once(
            threads_app,
            [taking(priya, request_id, slot_id), accepting(sam, offer.id)],
        )
        one_booked_and_the_other_told(results, request_id)
        db.session.execute(
            TrainingSession.__table__.update().values(status="cancelled")
        )
        db.session.commit()
