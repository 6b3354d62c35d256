"""A group in Hastings, a trainer there free on Tuesday evenings, another in
Stockport, and requests made straight into the tables (open, unoffered), with
the app's clock six weeks before the first proposed time."""

from datetime import UTC, datetime, time, timedelta

import pytest

from trainers.extensions import db
from trainers.profiles.models import AvailabilityWindow
from trainers.requests.models import RequestSlot, TrainingRequest

TUESDAY = 1
# Tuesdays in June 2027, 18:30-20:30 UK time (BST): 17:30-19:30 UTC.
FIRST = datetime(2027, 6, 15, 17, 30, tzinfo=UTC)
SECOND = datetime(2027, 6, 22, 17, 30, tzinfo=UTC)
NOW = datetime(2027, 5, 3, 9, tzinfo=UTC)
TWO_HOURS = timedelta(hours=2)
PRIVATE = ("Bring flipchart pens", "Step-free entrance at the back", "Brassey Road")


class World:
    def __init__(self, make_group, make_topic, make_user, make_trainer):
        self.group = make_group("Hastings Action", "TN34")
        self.topic = make_topic("Door-knocking and canvassing")
        self.online_topic = make_topic("Phone banking", online=True)
        self.organiser = make_user(
            "org@example.org", "Olu Organiser", groups=[self.group]
        )
        self.office = make_user("office@example.org", "Otto Office", office=True)
        self.priya = self.trainer(make_trainer, "priya@example.org", "TN34")
        self.sam = self.trainer(make_trainer, "sam@example.org", "TN34")
        # Far from Hastings: only online requests reach her.
        self.kim = self.trainer(make_trainer, "kim@example.org", "SK1")

    def trainer(self, make_trainer, email, district):
        trainer = make_trainer(
            email, district=district, topics=[self.topic, self.online_topic]
        )
        trainer.name = email.split("@")[0].title()
        trainer.trainer_profile.monthly_cap = 4
        trainer.trainer_profile.availability.append(
            AvailabilityWindow(weekday=TUESDAY, start_time=time(18), end_time=time(21))
        )
        db.session.commit()
        return trainer

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
