"""Training requests from groups, their proposed slots and their history."""

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    ScalarSelect,
    String,
    Text,
    case,
    false,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from trainers.errors import IllegalMove
from trainers.extensions import db
from trainers.network.models import MAX_TRAINERS, organised_by
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import utcnow

if TYPE_CHECKING:
    from trainers.auth.models import User
    from trainers.statements import AnyViewer


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"
    OFFERED = "offered"
    BOOKED = "booked"
    DELIVERED = "delivered"
    UNFILLED = "unfilled"
    CANCELLED = "cancelled"


# Every move a request's status may make: the one statement of its life. A
# request is submitted; matching offers it or finds nobody (unfilled); an edit,
# a withdrawn offer, a released or handed-back trainer sends it back to
# submitted; a trainer accepts or the office assigns one (booked); attendance
# recorded makes it delivered; the group or the office may cancel it until then.
MOVES: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.SUBMITTED: frozenset(
        {
            RequestStatus.OFFERED,
            RequestStatus.UNFILLED,
            RequestStatus.BOOKED,
            RequestStatus.CANCELLED,
        }
    ),
    RequestStatus.OFFERED: frozenset(
        {
            RequestStatus.SUBMITTED,
            RequestStatus.UNFILLED,
            RequestStatus.BOOKED,
            RequestStatus.CANCELLED,
        }
    ),
    RequestStatus.UNFILLED: frozenset(
        {
            RequestStatus.SUBMITTED,
            RequestStatus.OFFERED,
            RequestStatus.BOOKED,
            RequestStatus.CANCELLED,
        }
    ),
    RequestStatus.BOOKED: frozenset(
        {RequestStatus.SUBMITTED, RequestStatus.DELIVERED, RequestStatus.CANCELLED}
    ),
    RequestStatus.DELIVERED: frozenset(),
    RequestStatus.CANCELLED: frozenset(),
}


# Still open: the organiser may edit it, and matching may still place it.
OPEN_STATUSES = frozenset(
    {RequestStatus.SUBMITTED, RequestStatus.OFFERED, RequestStatus.UNFILLED}
)
CANCELLABLE_STATUSES = OPEN_STATUSES | {RequestStatus.BOOKED}
# A session took it: its time and place are the session's.
TAKEN_STATUSES = (RequestStatus.BOOKED, RequestStatus.DELIVERED)
# "booked" sorts before "delivered": the live one first.
TAKEN_SESSION_STATUSES = (SessionStatus.BOOKED, SessionStatus.DELIVERED)
_STATUS_SQL = ", ".join(f"'{status}'" for status in RequestStatus)


class TrainingRequest(db.Model):
    """A group's request for a session on a topic."""

    __tablename__ = "training_requests"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status"),
        CheckConstraint("expected_attendance > 0", name="attendance"),
        # The coverage dashboard counts requests made in a period, and times
        # their first booking, from this alone.
        Index(
            "ix_training_requests_created_at_topic",
            "created_at",
            "topic_id",
            "group_id",
            "status",
            "hours_to_booking",
        ),
        # The office's request list narrowed to a region's or a searched name's
        # groups, and by status and topic, reads and counts from this alone; an
        # organiser's list finds their groups' requests by its first column.
        Index(
            "ix_training_requests_group_id_status",
            "group_id",
            "status",
            "topic_id",
            "created_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(
        String(12), default=RequestStatus.SUBMITTED, index=True
    )
    is_online: Mapped[bool] = mapped_column(default=False)
    venue_postcode: Mapped[str | None] = mapped_column(String(10))
    venue_district: Mapped[str | None] = mapped_column(String(8))
    venue_address: Mapped[str] = mapped_column(Text, default="")
    venue_latitude: Mapped[float | None]
    venue_longitude: Mapped[float | None]
    # An online session's meeting address (https), if the group has one yet.
    meeting_url: Mapped[str | None] = mapped_column(Text)
    expected_attendance: Mapped[int]
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # The request form's one-time key: the same form sent twice makes one request.
    submission_key: Mapped[str | None] = mapped_column(
        String(64), unique=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When its first session was booked, and the whole hours from the request
    # to it: kept so the dashboard's time to booking needs no look-up of every
    # request's sessions, nor arithmetic on every request's times.
    first_booked_at: Mapped[datetime | None]
    hours_to_booking: Mapped[int | None]
    # The office's say on its trainers: how many (none: the topic's rule), and
    # whether a trainer shadowing the topic may take a co-trainer place.
    trainers_override: Mapped[int | None]
    allows_shadowing: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )

    group = relationship("Group")
    topic = relationship("Topic")
    created_by = relationship("User")
    slots = relationship(
        "RequestSlot",
        cascade="all, delete-orphan",
        order_by="RequestSlot.starts_at",
        back_populates="training_request",
    )
    events = relationship(
        "RequestEvent",
        cascade="all, delete-orphan",
        order_by="(RequestEvent.at, RequestEvent.id)",
        back_populates="training_request",
    )

    @classmethod
    def visible_to(cls, user: "User | AnyViewer") -> ColumnElement[bool]:
        """The requests `user` may see: the office every request, an organiser
        their groups'. The only statement of that rule."""
        return true() if user.is_office else cls.group_id.in_(organised_by(user.id))

    def move_to(self, status: RequestStatus, now: datetime) -> None:
        """Change the status, as MOVES allows, noting when; a move to where it
        is changes nothing. Raises IllegalMove."""
        if self.status == status:
            return
        if status not in MOVES[RequestStatus(self.status)]:
            raise IllegalMove(f"request {self.id}: {self.status} to {status}")
        self.status, self.status_changed_at = status, now

    def note(
        self,
        action: str,
        detail: str,
        by: "User | None",
        now: datetime,
        is_flagged: bool = False,
    ) -> None:
        """Add a line to the request's history: who did what, when, and why."""
        db.session.add(
            RequestEvent(
                training_request=self,
                at=now,
                actor=by,
                action=action,
                detail=detail,
                is_flagged=is_flagged,
            )
        )

    def record_booking(self, at: datetime) -> None:
        """Note a session booked at `at`: the first booking is the earliest."""
        if self.first_booked_at is None or at < self.first_booked_at:
            self.first_booked_at = at
            self.hours_to_booking = (at - self.created_at) // timedelta(hours=1)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def places_needed(self) -> int:
        """How many trainers its session needs, the lead included (places_needed_for)."""
        return places_needed_for(
            self.trainers_override,
            self.topic.trainers_needed,
            self.topic.extra_trainer_above,
            self.expected_attendance,
        )

    @property
    def topic_places_needed(self) -> int:
        """The topic's rule for it, whatever the office's number."""
        return places_needed_for(
            None,
            self.topic.trainers_needed,
            self.topic.extra_trainer_above,
            self.expected_attendance,
        )

    def is_urgent(self, now: datetime, urgent_days: int) -> bool:
        """Still unbooked though its first slot is close."""
        return is_urgent_at(self.status, self.first_slot_starts_at, now, urgent_days)

    @property
    def matching_slots(self) -> list["RequestSlot"]:
        """The proposed times matching may offer: the settled one, else all."""
        settled = [slot for slot in self.slots if slot.is_settled]
        return settled or list(self.slots)

    @property
    def first_slot_starts_at(self) -> datetime | None:
        slots = self.matching_slots
        return slots[0].starts_at if slots else None

    def __repr__(self) -> str:
        return f"<TrainingRequest {self.id} {self.status}>"


def places_needed_for(
    override: int | None,
    topic_trainers: int,
    extra_trainer_above: int | None,
    expected_attendance: int,
) -> int:
    """How many trainers a request's session needs, the lead included: the
    office's number, else the topic's, and one more when more people are
    expected than the topic's headcount for one more. The only statement of it,
    for pages that read rows too."""
    if override is not None:
        return override
    above = extra_trainer_above
    extra = 1 if above is not None and expected_attendance > above else 0
    return min(topic_trainers + extra, MAX_TRAINERS)


def is_urgent_at(
    status: str, first_slot_starts_at: datetime | None, now: datetime, urgent_days: int
) -> bool:
    """Whether a request in `status` whose first slot starts then is still unbooked
    though that slot is within `urgent_days` of now: for pages that read rows."""
    return (
        status in OPEN_STATUSES
        and first_slot_starts_at is not None
        and now < first_slot_starts_at <= now + timedelta(days=urgent_days)
    )


class RequestSlot(db.Model):
    """One proposed time for a request, stored in UTC."""

    __tablename__ = "request_slots"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="order"),
        Index(
            "uq_request_slots_settled_per_request",
            "request_id",
            unique=True,
            sqlite_where=text("is_settled"),
            postgresql_where=text("is_settled"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("training_requests.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # The time the group settled on when a booked session was moved or handed
    # back: matching offers only this one until the request is edited.
    is_settled: Mapped[bool] = mapped_column(default=False, server_default=false())

    training_request = relationship("TrainingRequest", back_populates="slots")


def matching_slot(slot=None) -> ColumnElement[bool]:
    """SQL: the slot (RequestSlot, or an alias of it) is one matching may offer
    (TrainingRequest.matching_slots): it is settled, or no slot of its request is."""
    slot = slot if slot is not None else RequestSlot
    settled = aliased(RequestSlot)
    return or_(
        slot.is_settled,
        ~select(settled.id)
        .where(settled.request_id == slot.request_id, settled.is_settled)
        .exists(),
    )


def first_slot_start() -> ScalarSelect:
    """A request's first proposed start that matching may offer, in SQL, for
    statements that read requests as rows (first_slot_starts_at on a loaded
    request)."""
    return (
        select(func.min(RequestSlot.starts_at))
        .where(RequestSlot.request_id == TrainingRequest.id, matching_slot())
        .correlate(TrainingRequest)
        .scalar_subquery()
    )


def request_start() -> ColumnElement[datetime]:
    """When a request takes place, as lists show it, in SQL: once booked, its
    session's start (booked, else the latest delivered); before, the first
    proposed start matching may offer."""
    taken = (
        select(TrainingSession.starts_at)
        .where(
            TrainingSession.request_id == TrainingRequest.id,
            TrainingSession.status.in_(TAKEN_SESSION_STATUSES),
        )
        .order_by(TrainingSession.status, TrainingSession.id.desc())
        .limit(1)
        .correlate(TrainingRequest)
        .scalar_subquery()
    )
    return case(
        (TrainingRequest.status.in_(TAKEN_STATUSES), taken),
        else_=first_slot_start(),
    )


class RequestEvent(db.Model):
    """One line of a request's history: who did what, when, and why."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("training_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    # A change inside the notice window, which the office must look at.
    is_flagged: Mapped[bool] = mapped_column(default=False, server_default=false())

    training_request = relationship("TrainingRequest", back_populates="events")
    actor = relationship("User")
