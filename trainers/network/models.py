"""Local groups, their organisers, and the topic catalogue."""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import (
    BindParameter,
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    Select,
    String,
    Table,
    Text,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainers.extensions import db
from trainers.timeutil import duration_in_words, utcnow

if TYPE_CHECKING:
    from trainers.auth.models import User
    from trainers.statements import AnyViewer

group_organisers = Table(
    "group_organisers",
    db.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # Every signed-in page looks up the visitor's groups by user.
    Index("ix_group_organisers_user_id", "user_id"),
)


def organised_by(user_id: int | BindParameter[int]) -> Select:
    """The ids of the groups this person organises, to filter by in SQL."""
    return select(group_organisers.c.group_id).where(
        group_organisers.c.user_id == user_id
    )


class Group(db.Model):
    """A local group that asks for training, placed at its postcode district."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    region: Mapped[str] = mapped_column(String(40), index=True)
    postcode_district: Mapped[str] = mapped_column(String(8))
    latitude: Mapped[float]
    longitude: Mapped[float]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisers = relationship(
        "User",
        secondary=group_organisers,
        back_populates="groups",
        order_by="User.name",
    )

    @classmethod
    def visible_to(cls, user: "User | AnyViewer") -> ColumnElement[bool]:
        """The groups `user` may see and ask training for: the office every
        group, an organiser their own. The only statement of that rule."""
        return true() if user.is_office else cls.id.in_(organised_by(user.id))

    def __repr__(self) -> str:
        return f"<Group {self.id} {self.name}>"


# The most trainers one session takes, the lead included.
MAX_TRAINERS = 5


class Topic(db.Model):
    """A session the network can teach."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    default_minutes: Mapped[int] = mapped_column(default=120)
    is_online_capable: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How many trainers a session of it needs, and the expected headcount above
    # which it needs one more (none: headcount changes nothing).
    trainers_needed: Mapped[int] = mapped_column(default=1, server_default="1")
    extra_trainer_above: Mapped[int | None]

    @property
    def usual_length(self) -> str:
        """Its usual length as people say it: "2 hours", "1 hour 30 minutes"."""
        return duration_in_words(timedelta(minutes=self.default_minutes))

    def __repr__(self) -> str:
        return f"<Topic {self.id} {self.name}>"
