"""Races on PostgreSQL with real threads and connections: a double submit (or two
people recording at once) makes one attendance record, one history line and one
copy of the roster."""

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from trainers.attendance import services
from trainers.attendance.models import Attendance, Attendee
from trainers.attendance.roster_csv import RosterFileError
from trainers.auth.models import User
from trainers.extensions import db
from trainers.requests.models import RequestEvent
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import utcnow

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

ROSTER = b"name,email,consent\nAda Example,ada@example.org,yes\nBo Example,,yes\n"


def at_once(app, session_id: int, users: list[User], call: Callable) -> list:
    """Run `call(training_session, user)` for each user in its own thread and
    transaction, released together; each outcome is "ok" or the error raised."""
    barrier = threading.Barrier(len(users))
    outcomes = [None] * len(users)
    user_ids = [user.id for user in users]

    def run(index: int) -> None:
        with app.app_context():
            try:
                training_session = db.session.get(TrainingSession, session_id)
                user = db.session.get(User, user_ids[index])
                barrier.wait(10)
                call(training_session, user)
                db.session.commit()
                outcomes[index] = "ok"
            except Exception as error:  # every outcome is checked below
                db.session.rollback()
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(users))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a transaction is stuck"
    db.session.expire_all()
    return outcomes


def actions(training_session) -> list[str]:
    return list(
        db.session.scalars(
            select(RequestEvent.action).where(
                RequestEvent.request_id == training_session.request_id
            )
        )
    )


def test_two_first_recordings_at_once_make_one_record(app, make_session, net):
    training_session = make_session()
    outcomes = at_once(
        app,
        training_session.id,
        [net.trainer, net.organiser],
        lambda s, user: services.record_attendance(s, 12, user, utcnow()),
    )
    assert outcomes == ["ok", "ok"]
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 1
    assert actions(training_session) == ["attendance recorded"]
    training_session = db.session.get(TrainingSession, training_session.id)
    assert training_session.status == SessionStatus.DELIVERED


def test_one_file_sent_twice_at_once_is_added_once(app, make_session, net):
    training_session = make_session()
    outcomes = at_once(
        app,
        training_session.id,
        [net.trainer, net.trainer],
        lambda s, user: services.upload_roster(s, ROSTER, user, utcnow()),
    )
    assert sorted(map(type, outcomes), key=str) == sorted(
        [str, RosterFileError], key=str
    )
    assert db.session.scalar(select(func.count()).select_from(Attendee)) == 2
    assert db.session.get(Attendance, training_session.id).people_count == 2
    assert actions(training_session) == ["attendance recorded"]
