"""What the API keeps of its own: the responses of creates sent with an
Idempotency-Key, so that a retried call gives the first answer back."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trainers.extensions import db


class IdempotentCall(db.Model):
    """A create made under a token's Idempotency-Key, with its response; written
    in the same transaction as what it created, kept for a day."""

    __tablename__ = "api_idempotent_calls"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(255))
    # The method, path and body sent, hashed: the same key with another is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
