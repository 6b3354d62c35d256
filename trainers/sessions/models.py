"""Booked workshops: who teaches whom, when and where."""

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Subquery,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
    or_,
    select,
    text,
    true,
    union_all,
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


# Sessions that occupy their lead: still to happen, or happened.
OCCUPYING = (SessionStatus.BOOKED, SessionStatus.DELIVERED)
# The session's columns `worked_in` carries for the rules, load and feeds.
WORKED_COLUMNS = (
    "starts_at",
    "ends_at",
    "group_id",
    "topic_id",
    "is_online",
    "venue_latitude",
    "venue_longitude",
)


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
        # sessions in a period by topic and group, and how they were booked,
        Index(
            "ix_training_sessions_status_starts_at_topic",
            "status",
            "starts_at",
            "topic_id",
            "group_id",
            "booked_via",
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
    places = relationship(
        "SessionPlace",
        cascade="all, delete-orphan",
        order_by="SessionPlace.place",
        back_populates="training_session",
    )

    @classmethod
    def visible_to(cls, user: "User | AnyViewer") -> ColumnElement[bool]:
        """The sessions `user` may see: the office every session, a trainer
        those they lead or hold a place on, an organiser their groups'. The
        only statement of that rule."""
        if user.is_office:
            return true()
        holds = select(SessionPlace.session_id).where(
            SessionPlace.trainer_id == user.id
        )
        return or_(
            cls.trainer_id == user.id,
            cls.id.in_(holds),
            cls.group_id.in_(organised_by(user.id)),
        )

    @property
    def co_trainers(self) -> list["SessionPlace"]:
        """Its places held by a trainer beside the lead."""
        return [place for place in self.places if not place.is_open]

    @property
    def open_places(self) -> list["SessionPlace"]:
        """Its places still waiting for a trainer."""
        return [place for place in self.places if place.is_open]

    @property
    def is_fully_staffed(self) -> bool:
        """Booked, with every place it needs taken (the lead's always is)."""
        return self.status == SessionStatus.BOOKED and not self.open_places

    def trainer_ids(self) -> list[int]:
        """Everyone training on it: the lead, then the co-trainers by place."""
        return [self.trainer_id, *(p.trainer_id for p in self.co_trainers)]

    def move_to(self, status: SessionStatus) -> None:
        """Change the status as MOVES allows. Raises IllegalMove."""
        # A new session not yet written has no status: it is booked, by default.
        if status not in MOVES[SessionStatus(self.status or SessionStatus.BOOKED)]:
            raise IllegalMove(f"session {self.id}: {self.status} to {status}")
        self.status = status


class SessionPlace(db.Model):
    """A place on a session beside its lead (place 1, the session's trainer):
    open, or held by a co-trainer or a trainer shadowing the topic."""

    __tablename__ = "session_places"
    __table_args__ = (
        UniqueConstraint("session_id", "place", name="uq_session_places_place"),
        # One trainer holds one place of a session at most (NULLs are distinct).
        UniqueConstraint("session_id", "trainer_id", name="uq_session_places_trainer"),
        CheckConstraint("place > 1", name="place"),
        CheckConstraint("(trainer_id IS NULL) = (filled_at IS NULL)", name="filled"),
        # Every rule check and poll of a trainer's feed looks up the sessions of
        # the places they hold: read from this index alone, SQLite starts from
        # them, not from every session in the dates asked (bench/matching.py).
        Index("ix_session_places_trainer_session", "trainer_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE")
    )
    place: Mapped[int]
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_shadowing: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A place the session needs to be fully staffed; one the office adds for
    # a shadowing trainer beyond them is not, and goes when they do.
    is_needed: Mapped[bool] = mapped_column(default=True, server_default=true())
    filled_at: Mapped[datetime | None]

    training_session = relationship("TrainingSession", back_populates="places")
    trainer = relationship("User")

    @property
    def is_open(self) -> bool:
        return self.trainer_id is None


def worked_in(
    trainer_filter: Callable[[ColumnElement[int]], ColumnElement[bool]],
) -> Subquery:
    """SQL: each session that occupies a trainer chosen by `trainer_filter`,
    whatever their place, as (session_id, trainer_id) and the session's
    WORKED_COLUMNS. The only statement of it.

    A lead's session occupies them while booked or delivered; a co-trainer's
    also while it waits for a new lead after a hand-back (they stay on it)."""
    columns = [getattr(TrainingSession, name) for name in WORKED_COLUMNS]
    led = select(
        TrainingSession.id.label("session_id"),
        TrainingSession.trainer_id.label("trainer_id"),
        *columns,
    ).where(
        trainer_filter(TrainingSession.trainer_id),
        TrainingSession.status.in_(OCCUPYING),
    )
    beside = (
        select(SessionPlace.session_id, SessionPlace.trainer_id, *columns)
        .join(TrainingSession, TrainingSession.id == SessionPlace.session_id)
        .where(
            trainer_filter(SessionPlace.trainer_id),
            or_(
                TrainingSession.status.in_(OCCUPYING),
                TrainingSession.awaits_trainer,
            ),
        )
    )
    # Carrying the session's columns lets the database apply a caller's
    # conditions on them inside each branch, on its own indexes.
    return union_all(led, beside).subquery("worked")


@event.listens_for(TrainingSession.__table__, "before_create")
def _gist_for_integers(table, connection, **_) -> None:
    # The overlap constraint compares trainer ids with = inside a GiST index.
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
