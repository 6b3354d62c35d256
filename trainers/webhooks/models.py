"""Where the office sends webhooks, and every message sent to each."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainers.extensions import db
from trainers.timeutil import utcnow


class EventType(StrEnum):
    REQUEST_CREATED = "request.created"
    REQUEST_BOOKED = "request.booked"
    REQUEST_UNFILLED = "request.unfilled"
    REQUEST_CANCELLED = "request.cancelled"
    SESSION_RESCHEDULED = "session.rescheduled"
    SESSION_CHANGED = "session.changed"
    SESSION_CANCELLED = "session.cancelled"
    ATTENDANCE_RECORDED = "attendance.recorded"


# Sent only by the office's "send a test event", to the one endpoint.
TEST_EVENT = "webhook.test"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by one deliverer
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up; the office may send it again


_STATUS_SQL = ", ".join(f"'{status}'" for status in DeliveryStatus)


class WebhookEndpoint(db.Model):
    """A receiver of the office's choosing: its URL, the events it wants, and
    the secret that signs what it is sent."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    # The event types wanted, space-separated.
    events: Mapped[str] = mapped_column(Text)
    # Standard Webhooks signs with the secret itself, so it cannot be hashed;
    # it is shown once, when made, and never again.
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old secret signs too, until it lapses.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    # Messages given up on in a row; any delivery puts it back to 0.
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def event_types(self) -> list[str]:
        return self.events.split()

    def wants(self, event_type: str) -> bool:
        return event_type in self.event_types

    def secrets_at(self, now: datetime) -> list[str]:
        """The secrets that sign a message sent at `now`, the current first."""
        until = self.previous_secret_until
        if self.previous_secret and until is not None and now < until:
            return [self.secret, self.previous_secret]
        return [self.secret]


class WebhookDelivery(db.Model):
    """One event for one endpoint: the message (its id and body fixed when the
    change is committed) and how sending it has gone."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status"),
        Index(
            "ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"
        ),
        Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    event_type: Mapped[str] = mapped_column(String(40))
    # The `webhook-id`: the same on every retry, so a receiver can drop repeats.
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    # The JSON body, exactly as signed and sent.
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    endpoint = relationship("WebhookEndpoint")
