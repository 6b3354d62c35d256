"""Offers of a request's slot to one trainer."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    String,
    Text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainers.errors import IllegalMove
from trainers.extensions import db
from trainers.timeutil import utcnow

if TYPE_CHECKING:
    from trainers.auth.models import User
    from trainers.statements import AnyViewer


# The place an offer is for: the lead's, or a co-trainer's (2 and up), which
# is offered once the session is booked, at its time.
LEAD = 1


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


_STATUS_SQL = ", ".join(f"'{status}'" for status in OfferStatus)
# Every move an offer's status may make: it waits for an answer, and the
# trainer accepts or declines it, or it expires, or it is withdrawn (the
# request taken, changed or cancelled, or the office's choice). Then it is over.
MOVES: dict[OfferStatus, frozenset[OfferStatus]] = {
    OfferStatus.PENDING: frozenset(
        {
            OfferStatus.ACCEPTED,
            OfferStatus.DECLINED,
            OfferStatus.EXPIRED,
            OfferStatus.WITHDRAWN,
        }
    ),
    OfferStatus.ACCEPTED: frozenset(),
    OfferStatus.DECLINED: frozenset(),
    OfferStatus.EXPIRED: frozenset(),
    OfferStatus.WITHDRAWN: frozenset(),
}


class Offer(db.Model):
    """A request's slot offered to one trainer, with the score and reasons."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status"),
        CheckConstraint("place >= 1", name="place"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("training_requests.id", ondelete="CASCADE"), index=True
    )
    slot_id: Mapped[int] = mapped_column(
        ForeignKey("request_slots.id", ondelete="CASCADE")
    )
    trainer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    place: Mapped[int] = mapped_column(default=LEAD, server_default="1")
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

    @classmethod
    def visible_to(cls, user: "User | AnyViewer") -> ColumnElement[bool]:
        """The offers `user` may see: the office every offer, a trainer those
        made to them. The only statement of that rule."""
        return true() if user.is_office else cls.trainer_id == user.id

    @property
    def is_for_lead(self) -> bool:
        return self.place == LEAD

    def answer(self, status: OfferStatus, now: datetime) -> None:
        """End the wait, as MOVES allows, noting when. Raises IllegalMove."""
        # A new offer not yet written has no status: it waits, by default.
        if status not in MOVES[OfferStatus(self.status or OfferStatus.PENDING)]:
            raise IllegalMove(f"offer {self.id}: {self.status} to {status}")
        self.status, self.responded_at = status, now
