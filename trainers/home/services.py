"""What each person's home page shows: read-only summaries across features."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from trainers.attendance.models import Attendance
from trainers.auth.models import Invitation, User
from trainers.extensions import db
from trainers.matching.models import Offer, OfferStatus
from trainers.network.models import Group, Topic, group_organisers
from trainers.requests.models import (
    CANCELLABLE_STATUSES,
    OPEN_STATUSES,
    RequestEvent,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
)
from trainers.sessions.models import SessionStatus, TrainingSession

# What a list of requests shows: loaded with it, never one query a row.
LISTED = (
    selectinload(TrainingRequest.group),
    selectinload(TrainingRequest.topic),
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
    return list(
        db.session.scalars(
            select(Offer)
            .options(
                selectinload(Offer.slot),
                selectinload(Offer.training_request).selectinload(
                    TrainingRequest.group
                ),
                selectinload(Offer.training_request).selectinload(
                    TrainingRequest.topic
                ),
            )
            .where(Offer.trainer_id == trainer.id, Offer.status == OfferStatus.PENDING)
            .order_by(Offer.created_at)
        )
    )


def upcoming_sessions(
    user: User, now: datetime, limit: int = 10
) -> list[TrainingSession]:
    """Booked sessions still to come that this person trains or whose group they organise."""
    group_ids = [group.id for group in user.groups]
    mine = TrainingSession.trainer_id == user.id
    if group_ids:
        mine = mine | TrainingSession.group_id.in_(group_ids)
    return list(
        db.session.scalars(
            select(TrainingSession)
            .options(
                selectinload(TrainingSession.group),
                selectinload(TrainingSession.topic),
                selectinload(TrainingSession.trainer),
            )
            .where(
                mine,
                TrainingSession.status == SessionStatus.BOOKED,
                TrainingSession.ends_at > now,
            )
            .order_by(TrainingSession.starts_at)
            .limit(limit)
        )
    )


def open_group_requests(user: User, limit: int = 20) -> list[TrainingRequest]:
    """Open and booked requests of the organiser's groups, newest first."""
    group_ids = [group.id for group in user.groups]
    if not group_ids:
        return []
    return list(
        db.session.scalars(
            select(TrainingRequest)
            .options(*LISTED)
            .where(
                TrainingRequest.group_id.in_(group_ids),
                TrainingRequest.status.in_(CANCELLABLE_STATUSES),
            )
            .order_by(TrainingRequest.created_at.desc())
            .limit(limit)
        )
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
    groups reached and topics taught, in two aggregate queries."""
    delivered = (
        TrainingSession.trainer_id == trainer.id,
        TrainingSession.status == SessionStatus.DELIVERED,
    )
    sessions, people, groups = db.session.execute(
        select(
            func.count(TrainingSession.id),
            func.coalesce(func.sum(Attendance.people_count), 0),
            func.count(TrainingSession.group_id.distinct()),
        )
        .outerjoin(Attendance, Attendance.session_id == TrainingSession.id)
        .where(*delivered)
    ).one()
    taught = func.count(TrainingSession.id)
    topics = db.session.execute(
        select(Topic.name, taught)
        .join(TrainingSession, TrainingSession.topic_id == Topic.id)
        .where(*delivered)
        .group_by(Topic.id, Topic.name)
        .order_by(taught.desc(), Topic.name)
    )
    return TrainerTallies(sessions, people, groups, [tuple(row) for row in topics])
