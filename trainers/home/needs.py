"""What needs each person now, for the top of their home page: each list a few
rows, the most pressing first, and how many there are in all. An item leaves
its list when what it asks for is done, read from the state itself (attendance
recorded makes a session delivered; a rating fills the attendance's rating; a
trainer booked ends a handed-back session's wait), never from a "seen" mark."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Text,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)

from trainers.attendance.models import Attendance
from trainers.coverage.filters import default_filters
from trainers.coverage.quality.queues import QUEUES, QueueQuery
from trainers.extensions import db
from trainers.network.models import Group, Topic, organised_by
from trainers.outbox.models import OutboxMessage, OutboxStatus
from trainers.requests.models import (
    RequestStatus,
    TrainingRequest,
    first_slot_start,
)
from trainers.sessions.models import SessionStatus, TrainingSession, worked_in
from trainers.statements import built_once
from trainers.timeutil import to_local

# Rows shown of each list; the total says how many more there are.
PER_LIST = 5
# A delivered session may be rated for this long after it ended: past it the
# organiser is no longer asked.
RATING_DAYS = 30


@dataclass(frozen=True)
class Listing:
    """The first rows of a list and how many there are in all."""

    rows: list
    total: int

    def __bool__(self) -> bool:
        return self.total > 0


def _total(rows: list[Row]) -> int:
    return rows[0].total if rows else 0


@dataclass(frozen=True)
class TrainerNeeds:
    """Sessions that happened with no attendance yet, and this week's sessions."""

    to_record: Listing
    this_week: Listing


@dataclass(frozen=True)
class OrganiserNeeds:
    """Their groups' sessions whose attendance nobody recorded, sessions to rate,
    requests nobody could take, and sessions a trainer handed back that still
    wait for another."""

    to_confirm: Listing
    to_rate: Listing
    unfilled: Listing
    handed_back: Listing


def trainer_needs(trainer_id: int, now: datetime) -> TrainerNeeds:
    """What waits on this trainer besides their offers, in one statement."""
    found = _by_kind(
        _trainer_needs(),
        {"user_id": trainer_id, "now": now, "week": now + timedelta(days=7)},
    )
    return TrainerNeeds(to_record=found["to_record"], this_week=found["this_week"])


def organiser_needs(organiser_id: int, now: datetime) -> OrganiserNeeds:
    """What waits on this organiser in their groups, in one statement. A session
    they trained themselves is theirs to record as its trainer, not here."""
    found = _by_kind(
        _organiser_needs(),
        {
            "user_id": organiser_id,
            "now": now,
            "rated_since": now - timedelta(days=RATING_DAYS),
        },
    )
    return OrganiserNeeds(
        to_confirm=found["to_confirm"],
        to_rate=found["to_rate"],
        unfilled=found["unfilled"],
        handed_back=found["handed_back"],
    )


@dataclass(frozen=True)
class OfficeTallies:
    """Emails given up on, and the size of each data-quality queue (slug, title,
    count), largest first."""

    failed_mail: int
    queues: list[tuple[str, str, int]]


def office_tallies(now: datetime, stuck_days: int) -> OfficeTallies:
    """The failed emails and the data-quality queues (as their page shows them
    unfiltered) counted in one statement."""
    asked = QueueQuery(default_filters(to_local(now).date()), now, stuck_days)
    counts = [
        select(func.count())
        .select_from(queue.query(asked).order_by(None).subquery())
        .scalar_subquery()
        for queue in QUEUES.values()
    ]
    failed = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .scalar_subquery()
    )
    failed_mail, *sizes = db.session.execute(select(failed, *counts)).one()
    queues = [
        (queue.slug, queue.title, size)
        for queue, size in zip(QUEUES.values(), sizes, strict=True)
        if size
    ]
    return OfficeTallies(failed_mail, sorted(queues, key=lambda q: -q[2]))


def _by_kind(statement: Select, params: dict) -> dict[str, Listing]:
    rows = (
        db.session.connection()
        .execute(statement, {**params, "per_list": PER_LIST})
        .all()
    )
    found: dict[str, list[Row]] = {}
    for row in rows:
        found.setdefault(row.kind, []).append(row)
    return defaultdict(
        lambda: Listing([], 0),
        {kind: Listing(rows, _total(rows)) for kind, rows in found.items()},
    )


def _needs(**parts: Select) -> Select:
    """The parts as one statement: each its first `per_list` rows in its own
    order, with its kind and its total. Every part selects the same columns:
    id (what its link opens), topic_name, group_name, at, detail."""
    return union_all(
        *(
            select(
                part.add_columns(
                    literal(kind, literal_execute=True).label("kind"),
                    func.count().over().label("total"),
                )
                .limit(bindparam("per_list"))
                .subquery(kind)
            )
            for kind, part in parts.items()
        )
    )


def _sessions(*where, linked=TrainingSession.id) -> Select:
    """Sessions with their topic and group, as the parts' columns; `linked` is
    the id their link opens (the session's, unless said)."""
    return (
        select(
            linked.label("id"),
            Topic.name.label("topic_name"),
            Group.name.label("group_name"),
            TrainingSession.starts_at.label("at"),
            TrainingSession.cancel_reason.label("detail"),
        )
        .join(Topic, Topic.id == TrainingSession.topic_id)
        .join(Group, Group.id == TrainingSession.group_id)
        .where(*where)
    )


def _in_their_groups(group_id) -> ColumnElement[bool]:
    return group_id.in_(organised_by(bindparam("user_id")))


@built_once
def _trainer_needs() -> Select:
    theirs = TrainingSession.trainer_id == bindparam("user_id")
    booked = TrainingSession.status == SessionStatus.BOOKED
    return _needs(
        # Recording attendance makes a session delivered: booked and over is
        # unrecorded (as the data-quality queue reads it).
        to_record=_sessions(
            theirs, booked, TrainingSession.ends_at <= bindparam("now")
        ).order_by(TrainingSession.ends_at, TrainingSession.id),
        # Those they train this week whatever their place; only the lead records.
        this_week=_sessions(
            TrainingSession.id.in_(
                select(
                    worked_in(
                        lambda trainer_id: trainer_id == bindparam("user_id")
                    ).c.session_id
                )
            ),
            booked,
            TrainingSession.starts_at > bindparam("now"),
            TrainingSession.starts_at <= bindparam("week"),
        ).order_by(TrainingSession.starts_at, TrainingSession.id),
    )


@built_once
def _organiser_needs() -> Select:
    # Their groups' sessions trained by someone else: those they may rate
    # (attendance.services.may_rate) and confirm the attendance of.
    ours = (
        _in_their_groups(TrainingSession.group_id),
        TrainingSession.trainer_id != bindparam("user_id"),
    )
    first_slot = first_slot_start()
    return _needs(
        to_confirm=_sessions(
            *ours,
            TrainingSession.status == SessionStatus.BOOKED,
            TrainingSession.ends_at <= bindparam("now"),
        ).order_by(TrainingSession.ends_at, TrainingSession.id),
        to_rate=_sessions(
            *ours,
            TrainingSession.status == SessionStatus.DELIVERED,
            TrainingSession.ends_at > bindparam("rated_since"),
            Attendance.rating.is_(None),
        )
        .join(Attendance, Attendance.session_id == TrainingSession.id)
        .order_by(TrainingSession.ends_at, TrainingSession.id),
        unfilled=select(
            TrainingRequest.id.label("id"),
            Topic.name.label("topic_name"),
            Group.name.label("group_name"),
            first_slot.label("at"),
            cast(null(), Text).label("detail"),
        )
        .join(Topic, Topic.id == TrainingRequest.topic_id)
        .join(Group, Group.id == TrainingRequest.group_id)
        .where(
            _in_their_groups(TrainingRequest.group_id),
            TrainingRequest.status == RequestStatus.UNFILLED,
        )
        .order_by(first_slot, TrainingRequest.id),
        # Its request unfilled says it in the list above: said once.
        handed_back=_sessions(
            *ours,
            TrainingSession.awaits_trainer,
            TrainingSession.starts_at > bindparam("now"),
            TrainingRequest.status != RequestStatus.UNFILLED,
            linked=TrainingSession.request_id,
        )
        .join(TrainingRequest, TrainingRequest.id == TrainingSession.request_id)
        .order_by(TrainingSession.starts_at, TrainingSession.id),
    )
