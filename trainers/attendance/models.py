"""What happened at a session: who came, how it went, what the group asked for next."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainers.extensions import db
from trainers.timeutil import utcnow


class Attendance(db.Model):
    """A delivered session's headcount, the organiser's rating and the trainer's report."""

    __tablename__ = "attendances"
    __table_args__ = (
        CheckConstraint("headcount >= 0", name="headcount"),
        CheckConstraint("people_count >= headcount", name="people_count"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
    )

    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    headcount: Mapped[int]
    # The larger of the headcount and the roster, kept up to date on every change,
    # so coverage sums one column and never counts rosters.
    people_count: Mapped[int]
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    rating: Mapped[int | None]
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    rated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    rated_at: Mapped[datetime | None]
    went_well: Mapped[str] = mapped_column(Text, default="")
    follow_up_requested: Mapped[str] = mapped_column(Text, default="")
    reported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reported_at: Mapped[datetime | None]

    training_session = relationship("TrainingSession")
    attendees = relationship(
        "Attendee",
        primaryjoin="Attendance.session_id == foreign(Attendee.session_id)",
        order_by="Attendee.id",
        viewonly=True,
    )


class Attendee(db.Model):
    """A person named on a session's roster, only ever with their consent.

    Names reveal political opinion: after the retention period the name and
    email are removed (anonymised_at set) and only the row, which counts, stays.
    """

    __tablename__ = "attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("attendances.session_id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    # "May we contact you?" ticked; without it a person is counted, never named.
    consent_given_at: Mapped[datetime]
    is_walk_in: Mapped[bool] = mapped_column(default=False)
    added_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    anonymised_at: Mapped[datetime | None] = mapped_column(index=True)
