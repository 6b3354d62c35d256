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
    # The plain text; the HTML alternative is drawn from it.
    body: Mapped[str] = mapped_column(Text)
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
