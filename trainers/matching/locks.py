"""Row locks that make concurrent changes to a request or a trainer queue up.

The order is always: trainers' profile rows (by id), then the request's row.
Every change to a request or its offers takes the request's lock; every booking
takes its trainers' locks first (see booking.admit), so two changes never wait
on each other in opposite orders.
"""

from datetime import datetime

from sqlalchemy import update

from trainers.extensions import db
from trainers.profiles.models import TrainerProfile
from trainers.requests.models import TrainingRequest


def lock_trainers(trainer_ids, now: datetime) -> None:
    """Hold each trainer's profile row until commit, in id order."""
    for trainer_id in sorted(set(trainer_ids)):
        # An UPDATE takes the row lock on PostgreSQL and the write lock on
        # SQLite, so one trainer's bookings are decided one at a time on either.
        db.session.execute(
            update(TrainerProfile)
            .where(TrainerProfile.user_id == trainer_id)
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )


def lock_request(training_request: TrainingRequest) -> TrainingRequest:
    """Hold the request's row until commit and reload it as it is now.

    Every change to a request or its offers takes this lock first (after its
    trainers', when a trainer is involved), so concurrent changes queue up
    instead of each acting on a stale copy, and never deadlock.
    """
    # The lock and the row as it is now in one statement; what hangs off the
    # request is read afresh when next asked for.
    db.session.scalars(
        update(TrainingRequest)
        .where(TrainingRequest.id == training_request.id)
        .values(status_changed_at=TrainingRequest.status_changed_at)
        .returning(TrainingRequest)
        .execution_options(populate_existing=True, synchronize_session=False)
    ).one()
    db.session.expire(training_request, RELATIONS)
    return training_request


# What hangs off a request that another transaction may have changed meanwhile.
RELATIONS = ("slots", "events")
