"""What each person's home page shows: read-only summaries across features."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Row, Select, and_, bindparam, func, literal, select, true, union
from sqlalchemy.orm import joinedload, selectinload

from trainers.attendance.models import Attendance
from trainers.auth.models import Invitation, User
from trainers.extensions import db
from trainers.home.needs import Listing
from trainers.matching.models import Offer, OfferStatus
from trainers.network.models import Group, Topic, group_organisers
from trainers.profiles.services import ProfileFacts, gaps_from, profile_facts
from trainers.requests.models import (
    CANCELLABLE_STATUSES,
    OPEN_STATUSES,
    RequestEvent,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
    first_slot_start,
    request_start,
)
from trainers.sessions.models import SessionStatus, TrainingSession, worked_in
from trainers.statements import built_once

# What a list of requests shows: loaded with it, never one query a row (the
# one-to-ones joined, which costs less than a query each).
LISTED = (
    joinedload(TrainingRequest.group),
    joinedload(TrainingRequest.topic),
    selectinload(TrainingRequest.slots),
)


def _rows(statement: Select, params: dict) -> list[Row]:
    # Core rows on the session's connection: for a statement of columns the
    # ORM's execute adds nothing but its own cost, a third of a small query's.
    return db.session.connection().execute(statement, params).all()


def request_counts() -> dict[str, int]:
    """How many requests are in each state, every state present."""
    rows = db.session.execute(
        select(TrainingRequest.status, func.count()).group_by(TrainingRequest.status)
    )
    counts = dict.fromkeys(RequestStatus, 0)
    counts.update({RequestStatus(status): n for status, n in rows})
    return counts


def unfilled_requests(limit: int = 10) -> Listing:
    """Requests nobody could take, oldest first: the office's queue."""
    return _listed(
        select(TrainingRequest)
        .options(*LISTED)
        .where(TrainingRequest.status == RequestStatus.UNFILLED)
        .order_by(TrainingRequest.status_changed_at, TrainingRequest.id),
        limit,
    )


def _listed(statement: Select, limit: int) -> Listing:
    # The total counted beside the rows, in the same statement.
    rows = db.session.execute(
        statement.add_columns(func.count().over().label("total")).limit(limit)
    ).all()
    return Listing([row[0] for row in rows], rows[0].total if rows else 0)


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


def pending_offers(trainer: User) -> list[Row]:
    """Offers waiting for this trainer's answer, oldest first, as rows of what
    each card shows (id, topic_name, group_name, starts_at, ends_at, reasons,
    notes, created_at: when it was made, which says when to answer by; place:
    1 for the lead's, more for a co-trainer's beside the lead)."""
    return _rows(_pending_offers(), {"trainer_id": trainer.id})


@built_once
def _pending_offers() -> Select:
    return (
        select(
            Offer.id,
            Topic.name.label("topic_name"),
            Group.name.label("group_name"),
            RequestSlot.starts_at,
            RequestSlot.ends_at,
            Offer.reasons,
            TrainingRequest.notes,
            Offer.created_at,
            Offer.place,
        )
        .join(RequestSlot, RequestSlot.id == Offer.slot_id)
        .join(TrainingRequest, TrainingRequest.id == Offer.request_id)
        .join(Group, Group.id == TrainingRequest.group_id)
        .join(Topic, Topic.id == TrainingRequest.topic_id)
        .where(
            Offer.trainer_id == bindparam("trainer_id"),
            Offer.status == OfferStatus.PENDING,
        )
        .order_by(Offer.created_at)
    )


def upcoming_sessions(user: User, now: datetime, limit: int = 10) -> list[Row]:
    """Booked sessions still to come that this person trains (whatever their
    place) or whose group they organise, soonest first, as rows of what the table shows (id, starts_at,
    ends_at, topic_name, group_name, trainer_id, trainer_name, is_online,
    venue_postcode)."""
    return _rows(_upcoming_sessions(), {"user_id": user.id, "now": now, "limit": limit})


@built_once
def _upcoming_sessions() -> Select:
    # PostgreSQL plans this prepared statement once only if the plan it makes
    # for any parameters costs no more than the one for the values at hand, else
    # it re-plans on every call, which cost it more than running the statement.
    # So the person's groups are joined by user id (a list of group ids ORed
    # with the trainer was re-planned), and the status is written into the
    # statement: a fifth of sessions are booked, and "any status" was costed
    # as half of them.
    ahead = (
        TrainingSession.status == literal(SessionStatus.BOOKED, literal_execute=True),
        TrainingSession.ends_at > bindparam("now"),
    )
    worked = worked_in(lambda trainer_id: trainer_id == bindparam("user_id"))
    theirs = union(
        select(worked.c.session_id).where(worked.c.ends_at > bindparam("now")),
        select(TrainingSession.id)
        .join(group_organisers, group_organisers.c.group_id == TrainingSession.group_id)
        .where(group_organisers.c.user_id == bindparam("user_id"), *ahead),
    )
    return (
        select(
            TrainingSession.id,
            TrainingSession.starts_at,
            TrainingSession.ends_at,
            Topic.name.label("topic_name"),
            Group.name.label("group_name"),
            TrainingSession.trainer_id,
            User.name.label("trainer_name"),
            TrainingSession.is_online,
            TrainingSession.venue_postcode,
        )
        .join(Topic, Topic.id == TrainingSession.topic_id)
        .join(Group, Group.id == TrainingSession.group_id)
        .join(User, User.id == TrainingSession.trainer_id)
        .where(TrainingSession.id.in_(theirs), *ahead)
        .order_by(TrainingSession.starts_at)
        .limit(bindparam("limit"))
    )


class OrganisedGroup(NamedTuple):
    """A card on the organiser's home: one of their groups."""

    id: int
    name: str
    postcode_district: str
    region: str
    is_active: bool


class OpenRequest(NamedTuple):
    """A line of the organiser's requests in progress."""

    id: int
    topic_name: str
    group_name: str
    starts_at: datetime | None  # as requests.models.request_start
    status: str


@dataclass(frozen=True)
class OrganiserDesk:
    """What an organiser's home shows of their groups: the groups by name, and
    their open and booked requests, newest first."""

    groups: list[OrganisedGroup]
    requests: list[OpenRequest]


def organiser_desk(organiser: User, limit: int = 20) -> OrganiserDesk:
    """The organiser's groups and up to `limit` of their requests in progress,
    in one statement: each group's row beside every request (an organiser has
    one group or two), so the requests are read off the first group's rows."""
    rows = _rows(_organiser_desk(), {"user_id": organiser.id, "limit": limit})
    groups = {row.group_id: OrganisedGroup(*row[:5]) for row in rows}
    first = next(iter(groups), None)
    return OrganiserDesk(
        groups=list(groups.values()),
        requests=[
            OpenRequest(*row[5:10])
            for row in rows
            if row.group_id == first and row.request_id is not None
        ],
    )


@built_once
def _organiser_desk() -> Select:
    # One statement rather than one for the groups and one for the requests: on
    # the page every organiser lands on, a statement costs more than its rows.
    # Joined to the organiser's groups by user id rather than given their ids,
    # so PostgreSQL plans the prepared statement once (see _upcoming_sessions).
    own_group = (
        group_organisers.c.user_id == bindparam("user_id"),
        group_organisers.c.group_id == Group.id,
    )
    groups = (
        select(
            Group.id.label("group_id"),
            Group.name,
            Group.postcode_district,
            Group.region,
            Group.is_active,
        )
        .join(group_organisers, and_(*own_group))
        .subquery("own_groups")
    )
    requests = (
        select(
            TrainingRequest.id.label("request_id"),
            Topic.name.label("topic_name"),
            Group.name.label("group_name"),
            request_start().label("starts_at"),
            TrainingRequest.status,
            TrainingRequest.created_at,
        )
        .join(Topic, Topic.id == TrainingRequest.topic_id)
        .join(Group, Group.id == TrainingRequest.group_id)
        .join(group_organisers, and_(*own_group))
        .where(TrainingRequest.status.in_(CANCELLABLE_STATUSES))
        .order_by(TrainingRequest.created_at.desc())
        .limit(bindparam("limit"))
        .subquery("open_requests")
    )
    return (
        select(groups, requests)
        .select_from(groups)
        .outerjoin(requests, true())
        .order_by(
            groups.c.name,
            groups.c.group_id,
            requests.c.created_at.desc(),
            requests.c.request_id.desc(),
        )
    )


def urgent_requests(now: datetime, days: int, limit: int = 20) -> Listing:
    """Open requests whose first proposed slot is within `days`, soonest first."""
    first_slot = first_slot_start()
    return _listed(
        select(TrainingRequest)
        .options(*LISTED)
        .where(
            TrainingRequest.status.in_(OPEN_STATUSES),
            first_slot > now,
            first_slot <= now + timedelta(days=days),
        )
        .order_by(first_slot, TrainingRequest.id),
        limit,
    )


def flagged_changes(now: datetime, days: int = 14, limit: int = 20) -> Listing:
    """Changes inside the notice window (and cap overrides) of the last `days`,
    newest first."""
    return _listed(
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
        .where(RequestEvent.is_flagged, RequestEvent.at >= now - timedelta(days=days))
        .order_by(RequestEvent.at.desc(), RequestEvent.id.desc()),
        limit,
    )


@dataclass(frozen=True)
class TrainerTallies:
    """What a trainer has delivered, all time."""

    sessions: int
    people: int
    groups: int
    topics: list[tuple[str, int]]  # each topic taught, with its session count


@dataclass(frozen=True)
class TrainerStanding:
    """What a trainer's home page says of them: what stops them being offered
    sessions (profile_gaps), and what they have delivered."""

    gaps: list[str]
    tallies: TrainerTallies


def trainer_standing(trainer: User) -> TrainerStanding:
    """The trainer's profile gaps and tallies (delivered sessions, people trained
    from attendance's people_count, groups reached, topics taught) in one
    statement: the profile's facts beside a row per topic taught. The trainer
    must have a profile."""
    rows = _rows(_trainer_standing(), {"trainer_id": trainer.id})
    taught = [row for row in rows if row.name is not None]
    return TrainerStanding(
        gaps=gaps_from(ProfileFacts(*rows[0][: len(ProfileFacts._fields)])),
        tallies=TrainerTallies(
            sessions=sum(row.sessions for row in taught),
            people=sum(row.people for row in taught),
            groups=taught[0].groups if taught else 0,
            topics=[(row.name, row.sessions) for row in taught],
        ),
    )


@built_once
def _trainer_standing() -> Select:
    # One statement rather than one for the facts and one for the tallies: on
    # the page every trainer lands on, a statement costs more than its rows.
    delivered = (
        TrainingSession.trainer_id == bindparam("trainer_id"),
        TrainingSession.status == SessionStatus.DELIVERED,
    )
    tallies = (
        select(
            Topic.name,
            func.count(TrainingSession.id).label("sessions"),
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
        .subquery("tallies")
    )
    facts = profile_facts().subquery("facts")
    return (
        select(*facts.c, *tallies.c)
        .select_from(facts)
        .outerjoin(tallies, true())
        .order_by(tallies.c.sessions.desc(), tallies.c.name)
    )
