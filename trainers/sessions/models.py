"""Booked workshops: who teaches whom, when and where."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    event,
    false,
    func,
    or_,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainers.errors import IllegalMove
from trainers.extensions import db
from trainers.network.models import organised_by
from trainers.timeutil import utcnow

if TYPE_CHECKING:
    from trainers.auth.models import User
    from trainers.requests.models import TrainingRequest
    from trainers.statements import AnyViewer


class SessionStatus(StrEnum):
    BOOKED = "booked"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


_STATUS_SQL = ", ".join(f"'{status}'" for status in SessionStatus)


class BookedVia(StrEnum):
    """How a session was booked: a trainer accepting an offer, the office
    assigning one, or a trainer taking it from the open board."""

    OFFER = "offer"
    OFFICE = "office"
    BOARD = "board"


# Where a session may go from each status: a booked session is delivered or
# cancelled, and either is final.
MOVES: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.BOOKED: frozenset({SessionStatus.DELIVERED, SessionStatus.CANCELLED}),
    SessionStatus.DELIVERED: frozenset(),
    SessionStatus.CANCELLED: frozenset(),
}

# The request's columns a session copies: where it takes place.
PLACE = (
    "is_online",
    "venue_postcode",
    "venue_address",
    "venue_latitude",
    "venue_longitude",
    "meeting_url",
)


def place_of(training_request: "TrainingRequest") -> dict:
    """Where the request asks its session to be, named as the session's columns."""
    return {name: getattr(training_request, name) for name in PLACE}


class TrainingSession(db.Model):
    """A booked session; the calendar event's UID and SEQUENCE live here."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status"),
        CheckConstraint("ends_at > starts_at", name="order"),
        # The database itself refuses a second live booking of one request,
        # whatever races the application loses.
        Index(
            "uq_training_sessions_one_booked_per_request",
            "request_id",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        # The booking gate (matching.booking) keeps a trainer from two sessions
        # at once; should a path ever skip it, PostgreSQL refuses the overlap.
        ExcludeConstraint(
            ("trainer_id", "="),
            (text("tstzrange(starts_at, ends_at)"), "&&"),
            name="ex_training_sessions_trainer_overlap",
            using="gist",
            where=text("status <> 'cancelled'"),
        ).ddl_if(dialect="postgresql"),
        # A handed-back session passes its calendar event on to the next
        # booking (sessions.services.book_session): one live row per event.
        Index(
            "uq_training_sessions_ical_uid",
            "ical_uid",
            unique=True,
            sqlite_where=text("handed_back_at IS NULL"),
            postgresql_where=text("handed_back_at IS NULL"),
        ),
        Index("ix_training_sessions_trainer_id_starts_at", "trainer_id", "starts_at"),
        # Counting sessions in a period by state reads this index alone.
        Index("ix_training_sessions_starts_at_status", "starts_at", "status"),
        # The coverage dashboard's figures, each read from an index alone:
        # sessions in a period by topic and group,
        Index(
            "ix_training_sessions_status_starts_at_topic",
            "status",
            "starts_at",
            "topic_id",
            "group_id",
        ),
        # each group's last session and its sessions in a period,
        Index(
            "ix_training_sessions_group_status_starts_at",
            "group_id",
            "status",
            "starts_at",
            "topic_id",
        ),
        # each trainer's load in a period,
        Index(
            "ix_training_sessions_trainer_status_starts_at",
            "trainer_id",
            "status",
            "starts_at",
            "topic_id",
        ),
        # and when each request was first booked.
        Index("ix_training_sessions_request_id_created_at", "request_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("training_requests.id"), index=True
    )
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=SessionStatus.BOOKED)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    is_online: Mapped[bool] = mapped_column(default=False)
    venue_postcode: Mapped[str | None] = mapped_column(String(10))
    venue_address: Mapped[str] = mapped_column(Text, default="")
    venue_latitude: Mapped[float | None]
    venue_longitude: Mapped[float | None]
    # An online session's meeting address (https).
    meeting_url: Mapped[str | None] = mapped_column(Text)
    ical_uid: Mapped[str] = mapped_column(String(255))
    # Sessions booked before this was kept count as offers.
    booked_via: Mapped[str] = mapped_column(
        String(8), default=BookedVia.OFFER, server_default=BookedVia.OFFER
    )
    ical_sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the session last changed: the calendar's DTSTAMP and LAST-MODIFIED.
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, server_default=func.current_timestamp()
    )
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Set when the trainer handed it back: it stays cancelled, and while
    # `awaits_trainer` the group's calendars keep its event for the next trainer.
    handed_back_at: Mapped[datetime | None]
    awaits_trainer: Mapped[bool] = mapped_column(default=False, server_default=false())
    # What the scheduler has done, so a restart or a second scheduler never
    # repeats it; moving a session clears the reminders and follow-ups.
    first_reminder_at: Mapped[datetime | None]
    second_reminder_at: Mapped[datetime | None]
    first_follow_up_at: Mapped[datetime | None]
    second_follow_up_at: Mapped[datetime | None]
    attendance_unknown_at: Mapped[datetime | None]
    meeting_link_nudged_at: Mapped[datetime | None]

    training_request = relationship("TrainingRequest")
    trainer = relationship("User")
    group = relationship("Group")
    topic = relationship("Topic")
    shadows = relationship(
        "SessionShadow", cascade="all, delete-orphan", back_populates="training_session"
    )

    @classmethod
    def visible_to(cls, user: "User | AnyViewer") -> ColumnElement[bool]:
        """The sessions `user` may see: the office every session, a trainer
        theirs, an organiser their groups'. The only statement of that rule
        (shadowing trainers see theirs only in their calendar feed)."""
        if user.is_office:
            return true()
        return or_(cls.trainer_id == user.id, cls.group_id.in_(organised_by(user.id)))

    def move_to(self, status: SessionStatus) -> None:
        """Change the status as MOVES allows. Raises IllegalMove."""
        # A new session not yet written has no status: it is booked, by default.
        if status not in MOVES[SessionStatus(self.status or SessionStatus.BOOKED)]:
            raise IllegalMove(f"session {self.id}: {self.status} to {status}")
        self.status = status


class SessionShadow(db.Model):
    """A trainer learning a topic by joining a booked session as second trainer."""

    __tablename__ = "session_shadows"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    # Indexed on its own too: every poll of a trainer's feed looks up what they shadow.
    trainer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    training_session = relationship("TrainingSession", back_populates="shadows")
    trainer = relationship("User")


@event.listens_for(TrainingSession.__table__, "before_create")
def _gist_for_integers(table, connection, **_) -> None:
    # The overlap constraint compares trainer ids with = inside a GiST index.
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
