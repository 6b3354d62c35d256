"""Everything held about a person, for the office to show and export, and the
audit entry each look writes.

A person with an account is found by their account; someone on a roster without
one by their email address. The report's sections are built in `sections` (who
they are, their address) and `activity` (what they did, and was done with their
data). Every function flushes and leaves the commit to the caller.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time

from trainers import audit
from trainers.auth.models import User
from trainers.auth.services import find_user_by_email, normalise_email
from trainers.extensions import db
from trainers.network.services import get_person
from trainers.privacy.activity import activity_sections
from trainers.privacy.audit_log import address_ref
from trainers.privacy.sections import (
    Section,
    account_sections,
    address_sections,
    names_written_for,
)
from trainers.privacy.written_about import written_about
from trainers.timeutil import format_date, format_datetime

logger = logging.getLogger(__name__)

# Audit actions written here.
VIEWED = "viewed personal data"
EXPORTED = "exported personal data"
LOOKED_UP = "looked up an address"
EXPORTED_ADDRESS = "exported an address's data"


@dataclass
class PersonalData:
    """Everything held about an account holder (`user`) or an address alone."""

    email: str
    user: User | None
    sections: list[Section]
    # Found by the account (everything), or by an address (what it alone keys).
    is_account: bool

    @property
    def is_empty(self) -> bool:
        return not any(section.rows for section in self.sections)


def display(value: object) -> str:
    """A value as the office reads it: London times, yes/no, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, list | tuple):
        return "; ".join(display(item) for item in value)
    return str(value)


def _exported(value: object) -> object:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_exported(item) for item in value]
    return value


def export_document(data: PersonalData, now: datetime) -> dict[str, object]:
    """The data as one JSON-ready document: every section, times in UTC ISO 8601."""
    return {
        "exported_at": now.isoformat(),
        "email": data.email,
        "account_id": data.user.id if data.user else None,
        "sections": {
            section.key: {
                "title": section.title,
                "about": section.about,
                "rows": [
                    {
                        heading: _exported(row.get(key))
                        for key, heading in section.columns
                    }
                    for row in section.rows
                ],
            }
            for section in data.sections
        },
    }


def person_data(user_id: int) -> PersonalData:
    """Everything held about the account holder. Raises NotFound."""
    user = get_person(user_id)
    sections = account_sections(user) + activity_sections(user)
    if user.erased_at is None:
        sections.append(
            written_about(
                [user.name, *names_written_for(user.email)],
                [user.email],
                [user.phone] if user.phone else [],
                user.id,
            )
        )
    return PersonalData(user.email, user, sections, is_account=True)


def address_data(email: str) -> PersonalData:
    """Everything held under an address, with the account if one has it."""
    address = normalise_email(email)
    user = find_user_by_email(address)
    about = written_about(
        names_written_for(address), [address], [], user.id if user else None
    )
    return PersonalData(
        address, user, [*address_sections(address), about], is_account=False
    )


def record_access(by: User, data: PersonalData, exported: bool) -> None:
    """Write the audit entry for showing (or downloading) this data."""
    if data.is_account:
        action = EXPORTED if exported else VIEWED
        audit.record(by.id, action, subject_user_id=data.user.id)
    else:
        action = EXPORTED_ADDRESS if exported else LOOKED_UP
        found = sum(len(section.rows) for section in data.sections)
        audit.record(
            by.id,
            action,
            subject_user_id=data.user.id if data.user else None,
            detail=f"address {address_ref(data.email)}; items held: {found}",
        )
    db.session.flush()
