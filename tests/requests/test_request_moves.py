"""A request's status changes only through TrainingRequest.move_to, an offer's
only through Offer.answer and a session's only through TrainingSession.move_to,
each checking one table of the moves allowed (requests.models.MOVES,
matching.models.MOVES, sessions.models.MOVES)."""

from datetime import UTC, datetime

import pytest

from trainers.errors import IllegalMove
from trainers.extensions import db
from trainers.matching.models import MOVES as OFFER_MOVES
from trainers.matching.models import Offer, OfferStatus
from trainers.requests.models import (
    MOVES,
    RequestEvent,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
)
from trainers.sessions.models import MOVES as SESSION_MOVES
from trainers.sessions.models import SessionStatus, TrainingSession

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)
EVERY_MOVE = [(start, end) for start in RequestStatus for end in RequestStatus]


def request_in(status: RequestStatus, group, topic) -> TrainingRequest:
    made = TrainingRequest(
        group=group,
        topic=topic,
        status=status,
        expected_attendance=10,
        status_changed_at=datetime(2027, 1, 1, tzinfo=UTC),
    )
    db.session.add(made)
    db.session.flush()
    return made


@pytest.mark.parametrize(("start", "end"), EVERY_MOVE)
def test_every_move_is_allowed_or_refused_as_the_table_says(start, end, group, topic):
    training_request = request_in(start, group, topic)
    before = training_request.status_changed_at
    if start == end:
        training_request.move_to(end, NOW)
        assert training_request.status_changed_at == before
    elif end in MOVES[start]:
        training_request.move_to(end, NOW)
        assert training_request.status_changed_at == NOW
    else:
        with pytest.raises(IllegalMove):
            training_request.move_to(end, NOW)
        assert training_request.status_changed_at == before
    db.session.flush()
    db.session.refresh(training_request)
    assert training_request.status == (
        end if start == end or end in MOVES[start] else start
    )


def test_the_table_ends_in_delivered_or_cancelled_and_reaches_every_status():
    reached = {end for ends in MOVES.values() for end in ends}
    assert reached == set(RequestStatus)
    assert MOVES[RequestStatus.DELIVERED] == MOVES[RequestStatus.CANCELLED] == set()
    # Everything still open or booked may be cancelled.
    for status in set(RequestStatus) - {
        RequestStatus.DELIVERED,
        RequestStatus.CANCELLED,
    }:
        assert RequestStatus.CANCELLED in MOVES[status]


def test_a_note_is_a_line_of_the_requests_history(group, topic, office):
    training_request = request_in(RequestStatus.SUBMITTED, group, topic)
    training_request.note("edited", "venue changed", office, NOW, is_flagged=True)
    db.session.commit()
    (line,) = db.session.query(RequestEvent).all()
    assert (line.request_id, line.actor_id, line.action, line.detail) == (
        training_request.id,
        office.id,
        "edited",
        "venue changed",
    )
    assert line.is_flagged and line.at == NOW


def moved_as_the_table_says(moves, start, end, move) -> bool:
    """Try `move(end)` from `start`: it goes through exactly when `moves` allows
    it, and is refused with IllegalMove otherwise. Whether it went through."""
    if end in moves[start]:
        move(end)
        return True
    with pytest.raises(IllegalMove):
        move(end)
    return False


EVERY_OFFER_MOVE = [(start, end) for start in OfferStatus for end in OfferStatus]


@pytest.mark.parametrize(("start", "end"), EVERY_OFFER_MOVE)
def test_an_offer_is_answered_only_while_it_waits(
    start, end, group, topic, make_trainer
):
    trainer = make_trainer("trainer@example.org")
    training_request = request_in(RequestStatus.OFFERED, group, topic)
    slot = RequestSlot(
        request_id=training_request.id,
        starts_at=datetime(2027, 4, 1, 17, tzinfo=UTC),
        ends_at=datetime(2027, 4, 1, 19, tzinfo=UTC),
    )
    db.session.add(slot)
    db.session.flush()
    offer = Offer(
        request_id=training_request.id,
        slot_id=slot.id,
        trainer_id=trainer.id,
        status=start,
    )
    db.session.add(offer)
    db.session.flush()
    moved = moved_as_the_table_says(
        OFFER_MOVES, start, end, lambda to: offer.answer(to, NOW)
    )
    assert (offer.status, offer.responded_at) == (
        (end, NOW) if moved else (start, None)
    )
    assert bool(OFFER_MOVES[start]) == (start == OfferStatus.PENDING)


EVERY_SESSION_MOVE = [(start, end) for start in SessionStatus for end in SessionStatus]


@pytest.mark.parametrize(("start", "end"), EVERY_SESSION_MOVE)
def test_a_session_is_delivered_or_cancelled_only_while_booked(
    start, end, group, topic, make_trainer
):
    trainer = make_trainer("trainer@example.org")
    training_request = request_in(RequestStatus.BOOKED, group, topic)
    training_session = TrainingSession(
        request_id=training_request.id,
        trainer_id=trainer.id,
        group_id=group.id,
        topic_id=topic.id,
        status=start,
        starts_at=datetime(2027, 4, 1, 17, tzinfo=UTC),
        ends_at=datetime(2027, 4, 1, 19, tzinfo=UTC),
        ical_uid=f"moves-{start}-{end}@example.org",
    )
    db.session.add(training_session)
    db.session.flush()
    moved = moved_as_the_table_says(SESSION_MOVES, start, end, training_session.move_to)
    assert training_session.status == (end if moved else start)
    assert bool(SESSION_MOVES[start]) == (start == SessionStatus.BOOKED)
