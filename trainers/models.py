"""Imports every model so the metadata (and Alembic) sees every table; and
empties them all."""

import logging

from trainers.api.models import IdempotentCall
from trainers.attendance.models import Attendance, Attendee
from trainers.audit import AuditEntry
from trainers.auth.models import (
    ApiToken,
    Invitation,
    LoginThrottle,
    PasswordReset,
    SignIn,
    User,
)
from trainers.busy.models import BusyFeed, BusyInterval
from trainers.calendar.models import CalendarFeed
from trainers.coverage.models import CoverageChange, CoverageMonth, WeeklyDigest
from trainers.coverage.summary import rebuild
from trainers.extensions import db
from trainers.limitstore import RateLimitCounter
from trainers.matching.models import Offer
from trainers.network.models import Group, Topic, group_organisers
from trainers.outbox.models import OutboxMessage
from trainers.profiles.models import (
    AvailabilityWindow,
    DayOff,
    TrainerProfile,
    TrainerTopic,
)
from trainers.requests.models import RequestEvent, RequestSlot, TrainingRequest
from trainers.scheduler.models import SchedulerJob, SchedulerLeader
from trainers.sessions.models import SessionPlace, TrainingSession
from trainers.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiToken",
    "Attendance",
    "Attendee",
    "AuditEntry",
    "AvailabilityWindow",
    "BusyFeed",
    "BusyInterval",
    "CalendarFeed",
    "CoverageChange",
    "CoverageMonth",
    "DayOff",
    "Group",
    "IdempotentCall",
    "Invitation",
    "LoginThrottle",
    "Offer",
    "OutboxMessage",
    "PasswordReset",
    "RateLimitCounter",
    "RequestEvent",
    "RequestSlot",
    "SchedulerJob",
    "SchedulerLeader",
    "SessionPlace",
    "SignIn",
    "Topic",
    "TrainerProfile",
    "TrainerTopic",
    "TrainingRequest",
    "TrainingSession",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WeeklyDigest",
    "group_organisers",
]

logger = logging.getLogger(__name__)


def delete_everything() -> None:
    """Delete every row of every table, children first; the tables stay.

    Runs in the caller's transaction; the caller commits.
    """
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    # The coverage triggers logged those deletions, perhaps after their own
    # tables were emptied: the counts start again from the empty tables.
    rebuild(db.session)
    logger.info("Deleted every row of %d tables", len(db.metadata.sorted_tables))
