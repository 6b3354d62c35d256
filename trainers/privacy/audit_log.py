"""The office reads the audit log (written by `trainers.audit.record`): by
person, action and dates, with who acted and whose data in words."""

import hashlib
import hmac
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from trainers.audit import AuditEntry, record
from trainers.auth.models import User
from trainers.auth.services import normalise_email
from trainers.extensions import db
from trainers.numbers import LARGEST

# Written here; the other actions by the features that view or change data.
VIEWED_AUDIT = "viewed the audit log"


def address_ref(email: str) -> str:
    """A keyed fingerprint of an address: the audit log can be searched by it,
    yet never holds the address itself."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, normalise_email(email).encode(), hashlib.sha256)
    return f"ref {digest.hexdigest()[:16]}"


def actor_label(entry: AuditEntry) -> str:
    """Who acted, in words: a person and their account number, or the scheduler."""
    if entry.actor_id is None:
        return "the scheduler"
    return f"{entry.actor.name} (#{entry.actor_id})"


def subject_label(entry: AuditEntry) -> str:
    """Whose data, in words: an account, a session's roster, or an address."""
    if entry.subject_user_id is not None:
        return f"{entry.subject.name} (#{entry.subject_user_id})"
    if entry.session_id is not None:
        return f"roster of session {entry.session_id}"
    return ""


def audit_entries(
    person: str | None,
    action: str | None,
    starts_at: datetime | None,
    ends_before: datetime | None,
) -> Select:
    """Audit entries matching the filters, newest first, as a query to page.

    `person` is an account number, an email address (its account, or the
    address's own entries by fingerprint) or part of a name; it matches entries
    about them and entries by them.
    """
    query = (
        select(AuditEntry)
        .options(selectinload(AuditEntry.actor), selectinload(AuditEntry.subject))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    if person:
        query = query.where(_about_or_by(person))
    if action:
        query = query.where(AuditEntry.action == action)
    if starts_at is not None:
        query = query.where(AuditEntry.at >= starts_at)
    if ends_before is not None:
        query = query.where(AuditEntry.at < ends_before)
    return query


def _about_or_by(person: str):
    number = person.removeprefix("#")
    if number.isascii() and number.isdigit():
        # No account number is beyond what a column holds (PostgreSQL would refuse it).
        accounts = [int(number)] if int(number) <= LARGEST else []
    else:
        accounts = select(User.id).where(
            or_(
                User.email == normalise_email(person),
                func.lower(User.name).contains(person.lower(), autoescape=True),
            )
        )
    condition = or_(
        AuditEntry.subject_user_id.in_(accounts), AuditEntry.actor_id.in_(accounts)
    )
    if "@" in person:
        ref = address_ref(person)
        condition = or_(condition, AuditEntry.detail.contains(ref, autoescape=True))
    return condition


def audit_actions() -> list[str]:
    """Every action the audit log holds, for the filter."""
    return list(
        db.session.scalars(
            select(AuditEntry.action).distinct().order_by(AuditEntry.action)
        )
    )


def record_audit_view(by: User, person: str | None, filters: dict[str, str]) -> None:
    """Log a look at the audit log; a person searched for is named only by
    account number or address fingerprint."""
    shown = dict(filters)
    if person:
        number = person.removeprefix("#")
        shown["person"] = (
            f"#{number}"
            if number.isdigit()
            else address_ref(person)
            if "@" in person
            else "a name"
        )
    detail = ", ".join(f"{name} {value}" for name, value in shown.items() if value)
    record(by.id, VIEWED_AUDIT, detail=detail or "everything")
    db.session.flush()
