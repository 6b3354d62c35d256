"""Each way into a session records how it was booked, and the coverage dashboard
counts the bookings from the open board apart from the rest."""

from datetime import date

from sqlalchemy import select

from tests.board.conftest import FIRST, NOW, SECOND
from trainers.board.services import take_from_board
from trainers.coverage.dashboard.report import CoverageReport, topic_names
from trainers.coverage.filters import make_filters
from trainers.extensions import db
from trainers.matching import answers, services
from trainers.matching.models import Offer
from trainers.sessions.models import TrainingSession


def test_offer_office_and_board_bookings_are_told_apart(world):
    by_offer, by_office, by_board = world.ask(FIRST), world.ask(SECOND), world.ask()
    offer = Offer(
        request_id=by_offer.id,
        slot_id=by_offer.slots[0].id,
        trainer_id=world.sam.id,
        created_at=NOW,
    )
    by_offer.status = "offered"
    db.session.add(offer)
    db.session.commit()
    answers.accept_offer(offer.id, world.sam, NOW)
    services.assign_trainer(
        by_office, world.priya.id, by_office.slots[0].id, world.office, NOW
    )
    take_from_board(world.priya, by_board.id, by_board.slots[0].id, NOW)
    db.session.commit()

    via = dict(
        db.session.execute(
            select(TrainingSession.request_id, TrainingSession.booked_via)
        ).all()
    )
    assert via == {by_offer.id: "offer", by_office.id: "office", by_board.id: "board"}
    june = make_filters(date(2027, 6, 1), date(2027, 6, 30))
    figures = {f.key: f for f in CoverageReport(june, NOW, topic_names()).figures}
    assert figures["from_board"].value == 1
    assert figures["from_board"].text == "1 of 3 bookings"
    elsewhere = make_filters(date(2027, 6, 1), date(2027, 6, 30), region="Wales")
    wales = {f.key: f for f in CoverageReport(elsewhere, NOW, topic_names()).figures}
    assert wales["from_board"].text == "0 of 0 bookings"
