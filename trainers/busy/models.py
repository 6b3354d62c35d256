"""A trainer's own calendar feed, and the busy times read from it.

Only when each busy time starts and ends (UTC) is kept: no titles, attendees,
places or descriptions ever leave the feed.
"""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column

from trainers.extensions import db
from trainers.timeutil import utcnow

# Characters of the secret address shown back to people, after its host.
SHOWN_CHARACTERS = 4


class BusyFeed(db.Model):
    """A trainer's secret ICS address, how its last reads went, and whether
    they were told it is failing."""

    __tablename__ = "busy_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    # Secret (anyone with it reads the calendar): never shown back in full and
    # never logged; `shown` is what pages say.
    url: Mapped[str] = mapped_column(Text)
    # The feed's validators, sent back so an unchanged feed answers 304.
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    next_fetch_at: Mapped[datetime] = mapped_column(index=True)
    last_fetched_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    # When the trainer was emailed that it fails; cleared by a good read.
    failure_told_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def shown(self) -> str:
        """The address as pages show it: its host and last few characters."""
        host = urlsplit(self.url).hostname or "?"
        return f"{host} …{self.url[-SHOWN_CHARACTERS:]}"

    def is_unknown(self, now: datetime, stale: timedelta) -> bool:
        """Whether nothing current is known of the calendar: failing before it
        was ever read, or not read for longer than `stale`."""
        if self.last_success_at is None:
            return self.failing_since is not None
        return self.last_success_at < now - stale

    @classmethod
    def unknown(cls, read_before) -> ColumnElement[bool]:
        """SQL: `is_unknown`, for `read_before` (a time or a bound parameter)
        the moment `stale` before now."""
        return or_(
            and_(cls.last_success_at.is_(None), cls.failing_since.is_not(None)),
            cls.last_success_at < read_before,
        )


class BusyInterval(db.Model):
    """A time the trainer's own calendar says they are busy."""

    __tablename__ = "busy_intervals"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="order"),
        Index("ix_busy_intervals_trainer_id_starts_at", "trainer_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
