"""The audit log: who viewed or changed personal data, and when. Any feature
that shows or changes someone's data records here, in the same transaction;
the office reads the log in `trainers.privacy.audit_log`."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainers.extensions import db
from trainers.timeutil import utcnow


class AuditEntry(db.Model):
    """One view or change of someone's personal data. Never edited, never deleted."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_subject_user_id_at", "subject_user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Kept when the actor is erased: the entry then says "an erased account".
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(40))
    # Whose data: a person with an account, or a session's roster.
    subject_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="SET NULL"), index=True
    )
    detail: Mapped[str] = mapped_column(Text, default="")

    actor = relationship("User", foreign_keys=[actor_id])
    subject = relationship("User", foreign_keys=[subject_user_id])


def record(
    actor_id: int | None,
    action: str,
    *,
    subject_user_id: int | None = None,
    session_id: int | None = None,
    detail: str = "",
) -> AuditEntry:
    """Add an audit entry to the current transaction (it lands with the change it logs)."""
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor_id,
        action=action,
        subject_user_id=subject_user_id,
        session_id=session_id,
        detail=detail,
    )
    db.session.add(entry)
    return entry
