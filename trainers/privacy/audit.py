"""Write the audit log: every view or change of someone's personal data."""

from trainers.extensions import db
from trainers.privacy.models import AuditEntry
from trainers.timeutil import utcnow


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
