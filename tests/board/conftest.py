"""A group in Hastings, a trainer there free on Tuesday evenings, another in
Stockport, and requests made straight into the tables (open, unoffered), with
the app's clock six weeks before the first proposed time."""

from datetime import datetime, timedelta

import pytest

from tests.booking.conftest import FIRST, NOW, SECOND
from tests.booking.conftest import World as BookingWorld
from trainers.extensions import db
from trainers.requests.models import RequestSlot, TrainingRequest

TWO_HOURS = timedelta(hours=2)
PRIVATE = ("Bring flipchart pens", "Step-free entrance at the back", "Brassey Road")


class World(BookingWorld):
    """The booking tests' world, with Kim far from Hastings; requests are made
    straight into the tables."""

    def __init__(self, make_group, make_topic, make_user, make_trainer):
        super().__init__(make_group, make_topic, make_user, make_trainer)
        # Far from Hastings: only online requests reach her.
        self.kim = self._trainer(make_trainer, "kim@example.org", "Kim Trainer", "SK1")
        db.session.commit()

    def ask(
        self, *starts: datetime, online: bool = False, topic=None, made_at=NOW
    ) -> TrainingRequest:
        """An open request, submitted and not yet offered; committed."""
        training_request = TrainingRequest(
            group=self.group,
            topic=topic or (self.online_topic if online else self.topic),
            status="submitted",
            is_online=online,
            venue_postcode=None if online else "TN34 1AA",
            venue_district=None if online else "TN34",
            venue_address="" if online else "Hastings Library\nBrassey Road",
            venue_latitude=None if online else self.group.latitude,
            venue_longitude=None if online else self.group.longitude,
            expected_attendance=24,
            accessibility_needs="Step-free entrance at the back",
            notes="Bring flipchart pens",
            created_at=made_at,
            status_changed_at=made_at,
            slots=[
                RequestSlot(starts_at=start, ends_at=start + TWO_HOURS)
                for start in (starts or (FIRST, SECOND))
            ],
        )
        db.session.add(training_request)
        db.session.commit()
        return training_request


@pytest.fixture
def world(clock, make_group, make_topic, make_user, make_trainer) -> World:
    clock.set(NOW)
    return World(make_group, make_topic, make_user, make_trainer)
