"""Offers of a request's slot to one trainer."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainers.extensions import db
from trainers.timeutil import utcnow


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


_STATUS_SQL = ", ".join(f"'{status}'" for status in OfferStatus)


class Offer(db.Model):
    """A request's slot offered to one trainer, with the score and reasons."""

    __tablename__ = "offers"
    __table_args__ = (CheckConstraint(f"status IN ({_STATUS_SQL})", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("training_requests.id", ondelete="CASCADE"), index=True
    )
    slot_id: Mapped[int] = mapped_column(
        ForeignKey("request_slots.id", ondelete="CASCADE")
    )
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=OfferStatus.PENDING)
    score: Mapped[float] = mapped_column(default=0.0)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]
    nudged_at: Mapped[datetime | None]
    response_note: Mapped[str | None] = mapped_column(Text)

    training_request = relationship("TrainingRequest")
    slot = relationship("RequestSlot")
    trainer = relationship("User")
