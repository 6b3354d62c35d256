"""Every email, kept from the moment the change that caused it is committed."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trainers.extensions import db
from trainers.timeutil import utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by one deliverer
    SENT = "sent"
    FAILED = "failed"  # gave up; the office sees it and may retry


_STATUS_SQL = ", ".join(f"'{status}'" for status in OutboxStatus)

# Stands in the stored body for a one-time link (a password reset, an
# invitation): the link itself waits in `secret_link` until the email is sent.
ONE_TIME_LINK = "[one-time link]"


class OutboxMessage(db.Model):
    """One email: what it says, decided when its cause is committed; the MIME
    message is assembled from it at each delivery (trainers.mail.assemble)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status"),
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(998))
    kind: Mapped[str] = mapped_column(String(40))
    # The plain text; the HTML alternative is drawn from it. Emptied
    # OUTBOX_BODY_RETENTION_DAYS after it was queued (trainers.outbox.jobs).
    body: Mapped[str] = mapped_column(Text)
    # The one-time link the body's ONE_TIME_LINK stands for, kept only until the
    # email is sent or given up on, so no copy of the database can use it.
    secret_link: Mapped[str | None] = mapped_column(Text)
    # An invite's iCalendar bytes and their iTIP METHOD, if any.
    calendar: Mapped[bytes | None] = mapped_column(LargeBinary)
    calendar_method: Mapped[str | None] = mapped_column(String(10))
    # Kept, so a message sent twice (a crash after the server took it) is one.
    message_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def link_removed(self) -> bool:
        """Whether it held a one-time link that is gone, so it cannot be sent again."""
        return self.secret_link is None and ONE_TIME_LINK in self.body
