"""What a trainer can teach, where, and when."""

from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainers.extensions import db
from trainers.timeutil import utcnow

if TYPE_CHECKING:
    from trainers.auth.models import User
    from trainers.statements import AnyViewer

LEVELS = ("qualified", "shadowing")
WEEKDAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


class TrainerProfile(db.Model):
    """A trainer's home district, reach and load; one per trainer account."""

    __tablename__ = "trainer_profiles"
    __table_args__ = (
        CheckConstraint("travel_radius_km >= 0", name="radius"),
        CheckConstraint("monthly_cap >= 0", name="cap"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    home_district: Mapped[str | None] = mapped_column(String(8))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    region: Mapped[str | None] = mapped_column(String(40))
    travel_radius_km: Mapped[int] = mapped_column(default=25)
    monthly_cap: Mapped[int] = mapped_column(default=2)
    # Opted in to a daily email of new requests they could take (board.news);
    # requests made after `board_news_seen_at` are news to them.
    has_board_emails: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )
    board_news_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user = relationship("User", back_populates="trainer_profile")
    topics = relationship(
        "TrainerTopic", cascade="all, delete-orphan", back_populates="trainer"
    )
    availability = relationship(
        "AvailabilityWindow",
        cascade="all, delete-orphan",
        order_by="(AvailabilityWindow.weekday, AvailabilityWindow.start_time)",
    )
    days_off = relationship(
        "DayOff", cascade="all, delete-orphan", order_by="DayOff.first_on"
    )

    @classmethod
    def visible_to(cls, user: "User | AnyViewer") -> ColumnElement[bool]:
        """The profiles `user` may see: the office every one, a trainer their
        own. The only statement of that rule."""
        return true() if user.is_office else cls.user_id == user.id


class TrainerTopic(db.Model):
    """A topic a trainer teaches ("qualified") or is learning ("shadowing")."""

    __tablename__ = "trainer_topics"
    __table_args__ = (
        CheckConstraint("level IN ('qualified', 'shadowing')", name="level"),
        Index("ix_trainer_topics_topic_id_level", "topic_id", "level"),
    )

    trainer_id: Mapped[int] = mapped_column(
        ForeignKey("trainer_profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"), primary_key=True)
    level: Mapped[str] = mapped_column(String(12))

    trainer = relationship("TrainerProfile", back_populates="topics")
    topic = relationship("Topic")


class AvailabilityWindow(db.Model):
    """A weekly window, in Europe/London wall-clock time, when a trainer is free."""

    __tablename__ = "availability_windows"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("end_time > start_time", name="order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(
        ForeignKey("trainer_profiles.user_id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]  # 0 is Monday, as date.weekday()
    start_time: Mapped[time]
    end_time: Mapped[time]

    @property
    def weekday_name(self) -> str:
        return WEEKDAYS[self.weekday]


class DayOff(db.Model):
    """A run of whole days (inclusive) when a trainer takes no sessions."""

    __tablename__ = "days_off"
    __table_args__ = (CheckConstraint("last_on >= first_on", name="order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(
        ForeignKey("trainer_profiles.user_id", ondelete="CASCADE"), index=True
    )
    first_on: Mapped[date]
    last_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(200), default="")
