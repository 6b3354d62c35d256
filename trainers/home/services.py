"""What each person's home page shows: read-only summaries across features."""

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from trainers.attendance.models import Attendance
from trainers.auth.models import Invitation, User
from trainers.extensions import db
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.services import offers_as_shown
from trainers.network.models import Group, Topic, group_organisers
from trainers.profiles.models import TrainerProfile, TrainerTopic
from trainers.profiles.services import profile_gaps
from trainers.requests.models import (
    CANCELLABLE_STATUSES,
    OPEN_STATUSES,
    RequestEvent,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
)
from trainers.sessions.models import SessionStatus, TrainingSession

# What a list of requests shows: loaded with it, never one query a row (the
# one-to-ones joined, which costs less than a query each).
#
# The statements every home page runs are built once (the functools.cache'd
# builders below) and given their values as parameters: building a statement
# and working out its cache key costs more than running it from the cache.
LISTED = (
    joinedload(TrainingRequest.group),
    joinedload(TrainingRequest.topic),
    selectinload(TrainingRequest.slots),
)


def request_counts() -> dict[str, int]:
    """How many requests are in each state, every state present."""
    rows = db.session.execute(
        select(TrainingRequest.status, func.count()).group_by(TrainingRequest.status)
    )
    counts = dict.fromkeys(RequestStatus, 0)
    counts.update({RequestStatus(status): n for status, n in rows})
    return counts


def unfilled_requests(limit: int = 10) -> list[TrainingRequest]:
    """Requests nobody could take, oldest first: the office's queue."""
    return list(
        db.session.scalars(
            select(TrainingRequest)
            .options(*LISTED)
            .where(TrainingRequest.status == RequestStatus.UNFILLED)
            .order_by(TrainingRequest.status_changed_at)
            .limit(limit)
        )
    )


def groups_without_organiser() -> int:
    """Active groups nobody can request sessions for."""
    return db.session.scalar(
        select(func.count())
        .select_from(Group)
        .where(
            Group.is_active,
            ~select(group_organisers.c.group_id)
            .where(group_organisers.c.group_id == Group.id)
            .exists(),
        )
    )


def waiting_invitations(now: datetime) -> int:
    """Invitations sent and still usable."""
    return db.session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
    )


def pending_offers(trainer: User) -> list[Offer]:
    """Offers waiting for this trainer's answer, soonest slot first."""
    return list(db.session.scalars(_pending_offers(), {"trainer_id": trainer.id}))


@functools.cache
def _pending_offers() -> Select:
    return (
        offers_as_shown()
        .where(
            Offer.trainer_id == bindparam("trainer_id"),
            Offer.status == OfferStatus.PENDING,
        )
        .order_by(Offer.created_at)
    )


def upcoming_sessions(
    user: User, now: datetime, limit: int = 10
) -> list[TrainingSession]:
    """Booked sessions still to come that this person trains or whose group they organise."""
    group_ids = [group.id for group in user.groups]
    return list(
        db.session.scalars(
            _upcoming_sessions(organises=bool(group_ids)),
            {"user_id": user.id, "group_ids": group_ids, "now": now, "limit": limit},
        )
    )


@functools.cache
def _upcoming_sessions(organises: bool) -> Select:
    mine = TrainingSession.trainer_id == bindparam("user_id")
    if organises:
        mine |= TrainingSession.group_id.in_(bindparam("group_ids", expanding=True))
    return (
        select(TrainingSession)
        .options(
            joinedload(TrainingSession.group),
            joinedload(TrainingSession.topic),
            joinedload(TrainingSession.trainer),
        )
        .where(
            mine,
            TrainingSession.status == SessionStatus.BOOKED,
            TrainingSession.ends_at > bindparam("now"),
        )
        .order_by(TrainingSession.starts_at)
        .limit(bindparam("limit"))
    )


def open_group_requests(user: User, limit: int = 20) -> list[TrainingRequest]:
    """Open and booked requests of the organiser's groups, newest first."""
    group_ids = [group.id for group in user.groups]
    if not group_ids:
        return []
    return list(
        db.session.scalars(
            _open_group_requests(), {"group_ids": group_ids, "limit": limit}
        )
    )


@functools.cache
def _open_group_requests() -> Select:
    return (
        select(TrainingRequest)
        .options(*LISTED)
        .where(
            TrainingRequest.group_id.in_(bindparam("group_ids", expanding=True)),
            TrainingRequest.status.in_(CANCELLABLE_STATUSES),
        )
        .order_by(TrainingRequest.created_at.desc())
        .limit(bindparam("limit"))
    )


def urgent_requests(now: datetime, days: int, limit: int = 20) -> list[TrainingRequest]:
    """Open requests whose first proposed slot is within `days`, soonest first."""
    first_slot = (
        select(func.min(RequestSlot.starts_at))
        .where(RequestSlot.request_id == TrainingRequest.id)
        .correlate(TrainingRequest)
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            select(TrainingRequest)
            .options(*LISTED)
            .where(
                TrainingRequest.status.in_(OPEN_STATUSES),
                first_slot > now,
                first_slot <= now + timedelta(days=days),
            )
            .order_by(first_slot)
            .limit(limit)
        )
    )


def flagged_changes(
    now: datetime, days: int = 14, limit: int = 20
) -> list[RequestEvent]:
    """Changes inside the notice window (and cap overrides) of the last `days`."""
    return list(
        db.session.scalars(
            select(RequestEvent)
            .options(
                selectinload(RequestEvent.actor),
                selectinload(RequestEvent.training_request).selectinload(
                    TrainingRequest.group
                ),
                selectinload(RequestEvent.training_request).selectinload(
                    TrainingRequest.topic
                ),
            )
            .where(
                RequestEvent.is_flagged, RequestEvent.at >= now - timedelta(days=days)
            )
            .order_by(RequestEvent.at.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class TrainerTallies:
    """What a trainer has delivered, all time."""

    sessions: int
    people: int
    groups: int
    topics: list[tuple[str, int]]  # each topic taught, with its session count


def trainer_tallies(trainer: User) -> TrainerTallies:
    """The trainer's delivered sessions, people trained (attendance's people_count),
    groups reached and topics taught, in one aggregate query: a row per topic,
    each carrying the count of groups."""
    rows = db.session.execute(_trainer_tallies(), {"trainer_id": trainer.id}).all()
    return TrainerTallies(
        sessions=sum(row.sessions for row in rows),
        people=sum(row.people for row in rows),
        groups=rows[0].groups if rows else 0,
        topics=[(row.name, row.sessions) for row in rows],
    )


@functools.cache
def _trainer_tallies() -> Select:
    delivered = (
        TrainingSession.trainer_id == bindparam("trainer_id"),
        TrainingSession.status == SessionStatus.DELIVERED,
    )
    taught = func.count(TrainingSession.id)
    return (
        select(
            Topic.name,
            taught.label("sessions"),
            func.coalesce(func.sum(Attendance.people_count), 0).label("people"),
            select(func.count(TrainingSession.group_id.distinct()))
            .where(*delivered)
            .scalar_subquery()
            .label("groups"),
        )
        .join(TrainingSession, TrainingSession.topic_id == Topic.id)
        .outerjoin(Attendance, Attendance.session_id == TrainingSession.id)
        .where(*delivered)
        .group_by(Topic.id, Topic.name)
        .order_by(taught.desc(), Topic.name)
    )


def trainer_profile_gaps(trainer: User) -> list[str]:
    """profile_gaps for the trainer, the profile's topics and weekly windows
    loaded with it in one statement (lazily they take one each, and one more
    for each topic)."""
    profile = (
        db.session.scalars(_trainer_profile(), {"user_id": trainer.id}).unique().one()
    )
    return profile_gaps(profile)


@functools.cache
def _trainer_profile() -> Select:
    return (
        select(TrainerProfile)
        .options(
            joinedload(TrainerProfile.topics).joinedload(TrainerTopic.topic),
            joinedload(TrainerProfile.availability),
        )
        .where(TrainerProfile.user_id == bindparam("user_id"))
    )
