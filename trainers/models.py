"""Imports every model so the metadata (and Alembic) sees every table."""

from trainers.attendance.models import Attendance, Attendee
from trainers.auth.models import Invitation, LoginThrottle, PasswordReset, User
from trainers.calendar.models import CalendarFeed
from trainers.coverage.models import CoverageChange, CoverageMonth
from trainers.matching.models import Offer
from trainers.network.models import Group, Topic, group_organisers
from trainers.outbox.models import OutboxMessage
from trainers.privacy.models import AuditEntry
from trainers.profiles.models import (
    AvailabilityWindow,
    DayOff,
    TrainerProfile,
    TrainerTopic,
)
from trainers.requests.models import RequestEvent, RequestSlot, TrainingRequest
from trainers.scheduler.models import SchedulerJob, SchedulerLeader, WeeklyDigest
from trainers.sessions.models import SessionShadow, TrainingSession

__all__ = [
    "Attendance",
    "Attendee",
    "AuditEntry",
    "AvailabilityWindow",
    "CalendarFeed",
    "CoverageChange",
    "CoverageMonth",
    "DayOff",
    "Group",
    "Invitation",
    "LoginThrottle",
    "Offer",
    "OutboxMessage",
    "PasswordReset",
    "RequestEvent",
    "RequestSlot",
    "SchedulerJob",
    "SchedulerLeader",
    "SessionShadow",
    "Topic",
    "TrainerProfile",
    "TrainerTopic",
    "TrainingRequest",
    "TrainingSession",
    "User",
    "WeeklyDigest",
    "group_organisers",
]
