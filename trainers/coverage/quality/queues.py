"""Data-quality queues: records the office should complete or chase.

Each queue is one query; a page shows its first rows with the total counted in
the same statement, and the CSV export holds every row.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import aliased

from trainers.auth.models import Invitation, User
from trainers.coverage.filters import CoverageFilters
from trainers.coverage.recruiting.coldspots import is_open_request
from trainers.coverage.scope import (
    in_region,
    requests_in_scope,
    sessions_on_topic,
)
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.network.models import Group, Topic, group_organisers
from trainers.profiles.models import AvailabilityWindow, TrainerProfile, TrainerTopic
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import to_local

MAX_STUCK_DAYS = 365
PAGE_ROWS = 50


@dataclass(frozen=True)
class QueueQuery:
    """What every queue is asked with."""

    filters: CoverageFilters
    now: datetime
    stuck_days: int


@dataclass(frozen=True)
class Queue:
    slug: str
    title: str
    query: Callable[[QueueQuery], Select]
    header: tuple[str, ...]
    csv_row: Callable[..., tuple]


@dataclass(frozen=True)
class QueuePage:
    """A queue's first rows and how many there are in all."""

    queue: Queue
    total: int
    rows: list


def check_stuck_days(days: int) -> int:
    """The days a request may sit in one state. Raises DomainError outside 1-365."""
    if not 1 <= days <= MAX_STUCK_DAYS:
        raise DomainError(
            f"Enter a whole number of days from 1 to {MAX_STUCK_DAYS}.", "days"
        )
    return days


def _sessions_without_attendance(asked: QueueQuery) -> Select:
    """Booked sessions that have ended: attendance was never recorded. Those the
    follow-ups gave up on (attendance unknown) are flagged."""
    filters = asked.filters
    trainer = aliased(User)
    query = (
        select(
            TrainingSession.id.label("session_id"),
            Group.name.label("group_name"),
            Topic.name.label("topic_name"),
            trainer.name.label("trainer_name"),
            Group.region,
            TrainingSession.starts_at,
            TrainingSession.ends_at,
            TrainingSession.attendance_unknown_at.is_not(None).label("is_unknown"),
        )
        .join(Group, Group.id == TrainingSession.group_id)
        .join(Topic, Topic.id == TrainingSession.topic_id)
        .join(trainer, trainer.id == TrainingSession.trainer_id)
        .where(
            TrainingSession.status == SessionStatus.BOOKED,
            TrainingSession.ends_at < asked.now,
            TrainingSession.starts_at >= filters.starts_at,
            TrainingSession.starts_at < filters.ends_before,
        )
        .where(*in_region(filters), *sessions_on_topic(filters))
        .order_by(TrainingSession.ends_at, TrainingSession.id)
    )
    return query


def _stuck_requests(asked: QueueQuery) -> Select:
    """Open requests that have sat in one state for more than the chosen days."""
    filters = asked.filters
    query = (
        select(
            TrainingRequest.id.label("request_id"),
            Group.name.label("group_name"),
            Topic.name.label("topic_name"),
            Group.region,
            TrainingRequest.status,
            TrainingRequest.status_changed_at,
        )
        .join(Group, Group.id == TrainingRequest.group_id)
        .join(Topic, Topic.id == TrainingRequest.topic_id)
        .where(
            is_open_request(),
            TrainingRequest.status_changed_at
            < asked.now - timedelta(days=asked.stuck_days),
        )
        .where(*requests_in_scope(filters))
        .order_by(TrainingRequest.status_changed_at, TrainingRequest.id)
    )
    return query


def _trainers_without_availability(asked: QueueQuery) -> Select:
    """Active trainers with no weekly window: matching can never offer them."""
    filters = asked.filters
    query = (
        select(
            User.id.label("user_id"),
            User.name,
            User.email,
            TrainerProfile.home_district,
            TrainerProfile.region,
            TrainerProfile.created_at,
        )
        .join(User, User.id == TrainerProfile.user_id)
        .where(
            User.is_active,
            ~exists().where(AvailabilityWindow.trainer_id == TrainerProfile.user_id),
        )
        .order_by(User.name, User.id)
    )
    if filters.region:
        query = query.where(TrainerProfile.region == filters.region)
    if filters.topic_id:
        query = query.where(
            exists().where(
                TrainerTopic.trainer_id == TrainerProfile.user_id,
                TrainerTopic.topic_id == filters.topic_id,
            )
        )
    return query


def _groups_without_organiser(asked: QueueQuery) -> Select:
    """Active groups with no active organiser: nobody can ask for training for them."""
    filters = asked.filters
    organiser = aliased(User)
    query = (
        select(
            Group.id.label("group_id"),
            Group.name,
            Group.postcode_district,
            Group.region,
            Group.created_at,
            exists()
            .where(
                Invitation.group_id == Group.id,
                Invitation.role == "organiser",
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > asked.now,
            )
            .label("is_invited"),
        )
        .where(
            Group.is_active,
            ~select(group_organisers.c.user_id)
            .join(organiser, organiser.id == group_organisers.c.user_id)
            .where(group_organisers.c.group_id == Group.id, organiser.is_active)
            .exists(),
        )
        .where(*in_region(filters))
        .order_by(Group.name, Group.id)
    )
    return query


def _local(moment: datetime) -> str:
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


QUEUES = {
    queue.slug: queue
    for queue in (
        Queue(
            "sessions-without-attendance",
            "Past sessions without attendance",
            _sessions_without_attendance,
            (
                "Session",
                "Group",
                "Topic",
                "Trainer",
                "Region",
                "Started",
                "Ended",
                "Follow-ups stopped (attendance unknown)",
            ),
            lambda row, now: (
                row.session_id,
                row.group_name,
                row.topic_name,
                row.trainer_name,
                row.region,
                _local(row.starts_at),
                _local(row.ends_at),
                _yes(row.is_unknown),
            ),
        ),
        Queue(
            "stuck-requests",
            "Requests stuck in one state",
            _stuck_requests,
            ("Request", "Group", "Topic", "Region", "State", "Since", "Days"),
            lambda row, now: (
                row.request_id,
                row.group_name,
                row.topic_name,
                row.region,
                row.status,
                _local(row.status_changed_at),
                days_since(row.status_changed_at, now),
            ),
        ),
        Queue(
            "trainers-without-availability",
            "Trainers with no availability",
            _trainers_without_availability,
            ("Trainer", "Email", "Home district", "Region", "Trainer since"),
            lambda row, now: (
                row.name,
                row.email,
                row.home_district or "",
                row.region or "",
                to_local(row.created_at).date().isoformat(),
            ),
        ),
        Queue(
            "groups-without-organiser",
            "Groups without an organiser",
            _groups_without_organiser,
            ("Group", "Postcode district", "Region", "Added", "Organiser invited"),
            lambda row, now: (
                row.name,
                row.postcode_district,
                row.region,
                to_local(row.created_at).date().isoformat(),
                _yes(row.is_invited),
            ),
        ),
    )
}


def days_since(moment: datetime, now: datetime) -> int:
    """Whole days from `moment` to `now`."""
    return (now - moment).days


def queue_pages(asked: QueueQuery, limit: int = PAGE_ROWS) -> list[QueuePage]:
    """Every queue's first `limit` rows and its total: one statement per queue."""
    pages = []
    for queue in QUEUES.values():
        rows = db.session.execute(
            queue.query(asked)
            .add_columns(func.count().over().label("total"))
            .limit(limit)
        ).all()
        pages.append(QueuePage(queue, rows[0].total if rows else 0, rows))
    return pages


def queue_export(slug: str, asked: QueueQuery) -> tuple[tuple[str, ...], list[tuple]]:
    """Every row of one queue as CSV header and rows. Raises KeyError for no such queue."""
    queue = QUEUES[slug]
    rows = db.session.execute(queue.query(asked)).all()
    return queue.header, [queue.csv_row(row, asked.now) for row in rows]
