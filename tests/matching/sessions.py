"""What a plan's world starts from: trainers free every day, and sessions,
each with the request it was booked for."""

from datetime import datetime, time, timedelta

from trainers.extensions import db
from trainers.geo import locate
from trainers.profiles.models import AvailabilityWindow
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import SessionStatus, TrainingSession


def free_every_day(user) -> None:
    """The trainer's windows: 09:00 to 22:00 every day of the week."""
    for weekday in range(7):
        db.session.add(
            AvailabilityWindow(
                trainer_id=user.id,
                weekday=weekday,
                start_time=time(9),
                end_time=time(22),
            )
        )


def add_session(
    group, trainer, topic, starts_at: datetime, status=SessionStatus.DELIVERED
) -> None:
    """A two-hour session (not yet committed) of `trainer` for `group` at the
    group's own district, its request made 30 days before."""
    place = locate(group.postcode_district)
    training_request = TrainingRequest(
        group_id=group.id,
        topic_id=topic.id,
        status=status,
        expected_attendance=10,
        venue_latitude=place.latitude,
        venue_longitude=place.longitude,
        created_at=starts_at - timedelta(days=30),
    )
    db.session.add(training_request)
    db.session.flush()
    db.session.add(
        TrainingSession(
            request_id=training_request.id,
            trainer_id=trainer.id,
            group_id=group.id,
            topic_id=topic.id,
            status=status,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            venue_latitude=place.latitude,
            venue_longitude=place.longitude,
            ical_uid=f"{training_request.id}@test",
        )
    )
