"""Everything held about a person, for the office to show, export and erase.

A person with an account is found by their account; someone on a roster without
one by their email address. Erasure removes identity and keeps the facts that
coverage counts (sessions, people counted, groups served). Every function
flushes and leaves the commit to the caller.
"""

import hashlib
import hmac
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from trainers.attendance.models import Attendance, Attendee
from trainers.auth.models import Invitation, LoginThrottle, PasswordReset, User
from trainers.auth.services import ROLE_NAMES, find_user_by_email, normalise_email
from trainers.calendar.models import CalendarFeed
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.services import WITHDRAWN_BY_OFFICE, withdraw_offer
from trainers.network.models import Group, Topic
from trainers.network.services import get_person
from trainers.outbox.models import OutboxMessage, OutboxStatus
from trainers.privacy import audit
from trainers.privacy.models import AuditEntry
from trainers.requests.models import RequestEvent, TrainingRequest
from trainers.sessions.models import SessionShadow, SessionStatus, TrainingSession
from trainers.timeutil import format_date, format_datetime

logger = logging.getLogger(__name__)

ERASED_NAME = "Erased person"
MAX_ACCOUNT_NUMBER = 2**31 - 1
ERASED_ADDRESS_TEXT = "[erased address]"
# ".invalid" can never be delivered to (RFC 2606); the id keeps users.email unique.
ERASED_DOMAIN = "erased.invalid"
ADDRESS_ONLY_PLACEHOLDER = f"erased@{ERASED_DOMAIN}"
# Not a werkzeug hash, so no password ever matches it.
UNUSABLE_PASSWORD = "!erased"  # noqa: S105 - a marker, not a secret

# Audit actions written here (the attendance pages and the scheduler add theirs).
VIEWED = "viewed personal data"
EXPORTED = "exported personal data"
ERASED = "erased a person"
LOOKED_UP = "looked up an address"
EXPORTED_ADDRESS = "exported an address's data"
ERASED_ADDRESS = "erased an address's data"
VIEWED_AUDIT = "viewed the audit log"

# Free text other people wrote may name the person; their name and address in it
# are replaced on erasure. The audit log is left alone: it never names anyone.
FREE_TEXT = (
    (RequestEvent, ("detail",)),
    (
        TrainingRequest,
        ("notes", "accessibility_needs", "venue_address", "cancel_reason"),
    ),
    (TrainingSession, ("venue_address", "cancel_reason")),
    (Offer, ("response_note",)),
    (Attendance, ("rating_comment", "went_well", "follow_up_requested")),
    (OutboxMessage, ("last_error",)),
)
# Subjects of mail about sessions to others, per batch of UPDATE.
SUBJECTS_PER_UPDATE = 100
# An email's stored text and invite, emptied.
BLANK_BODY = {"body": "", "calendar": None}


@dataclass
class Section:
    """One kind of data held about a person, as rows of plain values."""

    key: str
    title: str
    about: str
    columns: Sequence[tuple[str, str]]  # (row key, heading)
    rows: list[dict[str, object]]
    # (endpoint, row key): the first cell links to url_for(endpoint, key=row[key]).
    link: tuple[str, str] | None = None
    is_record: bool = False  # one row, shown as a list of details


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


@dataclass
class Erasure:
    """What an erasure removed, in counts (the audit log keeps these, never names)."""

    roster_entries: int = 0
    invitations: int = 0
    unsent_emails: int = 0
    email_bodies: int = 0
    texts: int = 0
    offers_withdrawn: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """The non-zero counts in words, for the office and the audit log."""
        parts = {
            "roster entries anonymised": self.roster_entries,
            "invitations deleted": self.invitations,
            "unsent emails deleted": self.unsent_emails,
            "email bodies removed": self.email_bodies,
            "texts naming them redacted": self.texts,
            "offers withdrawn": self.offers_withdrawn,
            **self.extra,
        }
        done = [f"{what}: {n}" for what, n in parts.items() if n]
        return "; ".join(done) or "nothing was held"


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


def address_ref(email: str) -> str:
    """A keyed fingerprint of an address: the audit log can be searched by it,
    yet never holds the address itself."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, normalise_email(email).encode(), hashlib.sha256)
    return f"ref {digest.hexdigest()[:16]}"


def placeholder_email(user_id: int) -> str:
    """The unique, undeliverable address an erased account keeps."""
    return f"erased-{user_id}@{ERASED_DOMAIN}"


# Reading: what is held.


def person_data(user_id: int) -> PersonalData:
    """Everything held about the account holder. Raises NotFound."""
    user = get_person(user_id)
    sections = [
        _account(user),
        *_trainer_sections(user),
        _groups(user),
        *_address_sections(user.email),
        _password_resets(user),
        _calendar_feed(user),
        _requests_made(user),
        _offers(user),
        _sessions(user, shadowed=False),
        _sessions(user, shadowed=True),
        _history(user),
        _attendance_written(user),
        _audit_about(user),
        _audit_by(user),
    ]
    return PersonalData(user.email, user, sections, is_account=True)


def address_data(email: str) -> PersonalData:
    """Everything held under an address, with the account if one has it."""
    address = normalise_email(email)
    user = find_user_by_email(address)
    return PersonalData(address, user, _address_sections(address), is_account=False)


def _address_sections(address: str) -> list[Section]:
    return [
        _invitations(address),
        _sign_in_failures(address),
        _rosters(address),
        _emails(address),
    ]


def _rows(result, make) -> list[dict[str, object]]:
    return [make(*row) for row in result]


def _account(user: User) -> Section:
    roles = [ROLE_NAMES[role] for role in user.roles]
    return Section(
        "account",
        "Account",
        "Their sign-in account. The password is stored only as a one-way hash.",
        (
            ("id", "Account number"),
            ("name", "Name"),
            ("email", "Email address"),
            ("phone", "Phone number"),
            ("roles", "Roles"),
            ("is_active", "Can sign in"),
            ("created_at", "Created"),
            ("last_login_at", "Last signed in"),
            ("erased_at", "Erased"),
        ),
        [
            {
                "id": user.id,
                "name": user.name,
                "email": user.email,
                "phone": user.phone,
                "roles": roles or ["none"],
                "is_active": user.is_active,
                "created_at": user.created_at,
                "last_login_at": user.last_login_at,
                "erased_at": user.erased_at,
            }
        ],
        is_record=True,
    )


def _trainer_sections(user: User) -> list[Section]:
    profile = user.trainer_profile
    if profile is None:
        return []
    return [
        Section(
            "trainer_profile",
            "Trainer profile",
            "Where they live (to the postcode district) and how far and often they "
            "will travel.",
            (
                ("home_district", "Home postcode district"),
                ("region", "Region"),
                ("travel_radius_km", "Travel radius (km)"),
                ("monthly_cap", "Sessions a month at most"),
                ("created_at", "Created"),
                ("updated_at", "Last changed"),
            ),
            [
                {
                    "home_district": profile.home_district,
                    "region": profile.region,
                    "travel_radius_km": profile.travel_radius_km,
                    "monthly_cap": profile.monthly_cap,
                    "created_at": profile.created_at,
                    "updated_at": profile.updated_at,
                }
            ],
            is_record=True,
        ),
        Section(
            "topics",
            "Topics they teach",
            "Qualified to teach, or learning by shadowing.",
            (("topic", "Topic"), ("level", "Level")),
            [
                {"topic": item.topic.name, "level": item.level}
                for item in sorted(profile.topics, key=lambda t: t.topic.name)
            ],
        ),
        Section(
            "availability",
            "Weekly availability",
            "When they are usually free, on the UK clock.",
            (("weekday", "Day"), ("start_time", "From"), ("end_time", "Until")),
            [
                {
                    "weekday": window.weekday_name,
                    "start_time": window.start_time,
                    "end_time": window.end_time,
                }
                for window in profile.availability
            ],
        ),
        Section(
            "days_off",
            "Days off",
            "Days they take no sessions, with their own note.",
            (("first_on", "From"), ("last_on", "Until"), ("note", "Note")),
            [
                {"first_on": day.first_on, "last_on": day.last_on, "note": day.note}
                for day in profile.days_off
            ],
        ),
    ]


def _groups(user: User) -> Section:
    return Section(
        "groups",
        "Groups they organise",
        "Local groups they request sessions for.",
        (
            ("name", "Group"),
            ("postcode_district", "Postcode district"),
            ("region", "Region"),
        ),
        [
            {
                "group_id": group.id,
                "name": group.name,
                "postcode_district": group.postcode_district,
                "region": group.region,
            }
            for group in user.groups
        ],
        link=("network.group", "group_id"),
    )


def _invitations(address: str) -> Section:
    query = db.session.execute(
        select(Invitation)
        .options(selectinload(Invitation.group))
        .where(func.lower(Invitation.email) == address)
        .order_by(Invitation.created_at)
    )
    return Section(
        "invitations",
        "Invitations to this address",
        "Invitations the national office emailed; the link itself is stored only "
        "as a hash.",
        (
            ("created_at", "Sent"),
            ("name", "Name given"),
            ("role", "Role"),
            ("group", "Group"),
            ("state", "State"),
            ("expires_at", "Expires"),
        ),
        _rows(
            query,
            lambda inv: {
                "created_at": inv.created_at,
                "name": inv.name,
                "role": ROLE_NAMES[inv.role],
                "group": inv.group.name if inv.group else None,
                "state": "accepted"
                if inv.accepted_at
                else "revoked"
                if inv.revoked_at
                else "sent",
                "expires_at": inv.expires_at,
            },
        ),
    )


def _sign_in_failures(address: str) -> Section:
    throttle = db.session.get(LoginThrottle, address)
    return Section(
        "sign_in_failures",
        "Failed sign-ins",
        "Wrong passwords typed for this address, counted to slow down guessing.",
        (
            ("failures", "Failures"),
            ("first_failed_at", "First failure"),
            ("locked_until", "Locked until"),
        ),
        []
        if throttle is None
        else [
            {
                "failures": throttle.failures,
                "first_failed_at": throttle.first_failed_at,
                "locked_until": throttle.locked_until,
            }
        ],
    )


def _password_resets(user: User) -> Section:
    query = db.session.execute(
        select(PasswordReset)
        .where(PasswordReset.user_id == user.id)
        .order_by(PasswordReset.created_at)
    )
    return Section(
        "password_resets",
        "Password reset links",
        "Links they asked for; each is stored only as a hash.",
        (("created_at", "Asked"), ("expires_at", "Expires"), ("used_at", "Used")),
        _rows(
            query,
            lambda reset: {
                "created_at": reset.created_at,
                "expires_at": reset.expires_at,
                "used_at": reset.used_at,
            },
        ),
    )


def _calendar_feed(user: User) -> Section:
    feed = db.session.get(CalendarFeed, user.id)
    return Section(
        "calendar_feed",
        "Calendar feed",
        "Their private calendar subscription link, stored only as a hash.",
        (("created_at", "Created"),),
        [] if feed is None else [{"created_at": feed.created_at}],
    )


def _requests_made(user: User) -> Section:
    query = db.session.execute(
        select(TrainingRequest)
        .options(
            selectinload(TrainingRequest.group), selectinload(TrainingRequest.topic)
        )
        .where(TrainingRequest.created_by_id == user.id)
        .order_by(TrainingRequest.created_at)
    )
    return Section(
        "requests",
        "Requests they made",
        "Training their group asked for, with what they wrote.",
        (
            ("request_id", "Request"),
            ("topic", "Topic"),
            ("group", "Group"),
            ("status", "State"),
            ("created_at", "Asked"),
            ("expected_attendance", "Expected attendance"),
            ("accessibility_needs", "Accessibility needs"),
            ("notes", "Notes"),
        ),
        _rows(
            query,
            lambda r: {
                "request_id": r.id,
                "topic": r.topic.name,
                "group": r.group.name,
                "status": r.status,
                "created_at": r.created_at,
                "expected_attendance": r.expected_attendance,
                "accessibility_needs": r.accessibility_needs,
                "notes": r.notes,
            },
        ),
        link=("requests.show", "request_id"),
    )


def _offers(user: User) -> Section:
    query = db.session.execute(
        select(Offer)
        .options(
            selectinload(Offer.training_request).selectinload(TrainingRequest.group),
            selectinload(Offer.training_request).selectinload(TrainingRequest.topic),
        )
        .where(Offer.trainer_id == user.id)
        .order_by(Offer.created_at, Offer.id)
    )
    return Section(
        "offers",
        "Offers made to them",
        "Sessions they were asked to run, why they were chosen, and their answer.",
        (
            ("created_at", "Offered"),
            ("topic", "Topic"),
            ("group", "Group"),
            ("status", "State"),
            ("responded_at", "Answered"),
            ("response_note", "Their note"),
            ("reasons", "Why them"),
        ),
        _rows(
            query,
            lambda offer: {
                "created_at": offer.created_at,
                "topic": offer.training_request.topic.name,
                "group": offer.training_request.group.name,
                "status": offer.status,
                "responded_at": offer.responded_at,
                "response_note": offer.response_note,
                "reasons": list(offer.reasons or []),
            },
        ),
    )


def _sessions(user: User, shadowed: bool) -> Section:
    query = select(TrainingSession).options(
        selectinload(TrainingSession.group), selectinload(TrainingSession.topic)
    )
    if shadowed:
        query = query.join(SessionShadow).where(SessionShadow.trainer_id == user.id)
    else:
        query = query.where(TrainingSession.trainer_id == user.id)
    return Section(
        "sessions_shadowed" if shadowed else "sessions_trained",
        "Sessions they shadowed" if shadowed else "Sessions they trained",
        "Booked sessions they joined as second trainer, to learn the topic."
        if shadowed
        else "Booked sessions they ran or were to run.",
        (
            ("session_id", "Session"),
            ("starts_at", "When"),
            ("topic", "Topic"),
            ("group", "Group"),
            ("status", "State"),
        ),
        _rows(
            db.session.execute(query.order_by(TrainingSession.starts_at)),
            lambda s: {
                "session_id": s.id,
                "starts_at": s.starts_at,
                "topic": s.topic.name,
                "group": s.group.name,
                "status": s.status,
            },
        ),
        link=("sessions.show", "session_id"),
    )


def _history(user: User) -> Section:
    query = db.session.execute(
        select(RequestEvent, Topic.name, Group.name)
        .join(TrainingRequest, TrainingRequest.id == RequestEvent.request_id)
        .join(Topic, Topic.id == TrainingRequest.topic_id)
        .join(Group, Group.id == TrainingRequest.group_id)
        .where(RequestEvent.actor_id == user.id)
        .order_by(RequestEvent.at, RequestEvent.id)
    )
    return Section(
        "history",
        "Things they did to requests",
        "Lines of requests' history they caused.",
        (
            ("request_id", "Request"),
            ("at", "When"),
            ("request", "Topic and group"),
            ("action", "What"),
            ("detail", "Detail"),
        ),
        _rows(
            query,
            lambda event, topic, group: {
                "request_id": event.request_id,
                "at": event.at,
                "request": f"{topic} for {group}",
                "action": event.action,
                "detail": event.detail,
            },
        ),
        link=("requests.show", "request_id"),
    )


def _attendance_written(user: User) -> Section:
    mine = (
        Attendance.recorded_by_id == user.id,
        Attendance.rated_by_id == user.id,
        Attendance.reported_by_id == user.id,
    )
    query = db.session.execute(
        select(Attendance, TrainingSession.starts_at, Topic.name, Group.name)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .join(Topic, Topic.id == TrainingSession.topic_id)
        .join(Group, Group.id == TrainingSession.group_id)
        .where(or_(*mine))
        .order_by(TrainingSession.starts_at)
    )

    def row(attendance: Attendance, starts_at, topic, group) -> dict[str, object]:
        did = [
            what
            for what, by in (
                ("recorded attendance", attendance.recorded_by_id),
                ("rated it", attendance.rated_by_id),
                ("reported on it", attendance.reported_by_id),
            )
            if by == user.id
        ]
        rated = attendance.rated_by_id == user.id
        reported = attendance.reported_by_id == user.id
        return {
            "session_id": attendance.session_id,
            "starts_at": starts_at,
            "session": f"{topic} for {group}",
            "did": did,
            "rating": attendance.rating if rated else None,
            "rating_comment": attendance.rating_comment if rated else None,
            "went_well": attendance.went_well if reported else None,
            "follow_up_requested": attendance.follow_up_requested if reported else None,
        }

    return Section(
        "attendance",
        "Attendance, ratings and reports they wrote",
        "What they recorded about sessions after they took place.",
        (
            ("session_id", "Session"),
            ("starts_at", "When"),
            ("session", "Topic and group"),
            ("did", "What they did"),
            ("rating", "Rating"),
            ("rating_comment", "Comment"),
            ("went_well", "What went well"),
            ("follow_up_requested", "Follow-up asked for"),
        ),
        _rows(query, row),
        link=("sessions.show", "session_id"),
    )


def _rosters(address: str) -> Section:
    query = db.session.execute(
        select(Attendee, TrainingSession.starts_at, Topic.name, Group.name)
        .join(TrainingSession, TrainingSession.id == Attendee.session_id)
        .join(Topic, Topic.id == TrainingSession.topic_id)
        .join(Group, Group.id == TrainingSession.group_id)
        .where(func.lower(Attendee.email) == address)
        .order_by(TrainingSession.starts_at, Attendee.id)
    )
    return Section(
        "rosters",
        "Session rosters they are on",
        "Named attendees with this email address, as the trainer or organiser "
        "wrote them down (names without an address cannot be matched to anyone).",
        (
            ("session_id", "Session"),
            ("starts_at", "When"),
            ("session", "Topic and group"),
            ("name", "Name written"),
            ("email", "Email written"),
            ("consent_given_at", "Agreed to be contacted"),
            ("is_walk_in", "Walk-in"),
        ),
        _rows(
            query,
            lambda attendee, starts_at, topic, group: {
                "session_id": attendee.session_id,
                "starts_at": starts_at,
                "session": f"{topic} for {group}",
                "name": attendee.name,
                "email": attendee.email,
                "consent_given_at": attendee.consent_given_at,
                "is_walk_in": attendee.is_walk_in,
            },
        ),
        link=("sessions.show", "session_id"),
    )


def _emails(address: str) -> Section:
    query = db.session.execute(
        select(OutboxMessage)
        .where(func.lower(OutboxMessage.to_address) == address)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return Section(
        "emails",
        "Emails sent to this address",
        "Subjects and dates only: the bodies hold sign-in links and are never shown.",
        (
            ("created_at", "Written"),
            ("subject", "Subject"),
            ("kind", "Kind"),
            ("status", "State"),
            ("sent_at", "Sent"),
        ),
        _rows(
            query,
            lambda message: {
                "created_at": message.created_at,
                "subject": message.subject,
                "kind": message.kind.replace("_", " "),
                "status": message.status,
                "sent_at": message.sent_at,
            },
        ),
    )


def _audit_about(user: User) -> Section:
    query = db.session.execute(
        select(AuditEntry)
        .options(selectinload(AuditEntry.actor))
        .where(AuditEntry.subject_user_id == user.id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return Section(
        "audit_about",
        "Who looked at or changed their data",
        "Entries of the audit log about them.",
        (("at", "When"), ("by", "Who"), ("action", "What"), ("detail", "Detail")),
        _rows(
            query,
            lambda entry: {
                "at": entry.at,
                "by": actor_label(entry),
                "action": entry.action,
                "detail": entry.detail,
            },
        ),
    )


def _audit_by(user: User) -> Section:
    query = db.session.execute(
        select(AuditEntry)
        .options(selectinload(AuditEntry.subject))
        .where(AuditEntry.actor_id == user.id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return Section(
        "audit_by",
        "Personal data they looked at or changed",
        "Entries of the audit log where they were the one acting.",
        (("at", "When"), ("action", "What"), ("whose", "Whose"), ("detail", "Detail")),
        _rows(
            query,
            lambda entry: {
                "at": entry.at,
                "action": entry.action,
                "whose": subject_label(entry),
                "detail": entry.detail,
            },
        ),
    )


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


# The audit log.


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
        # No account number is beyond a database integer (PostgreSQL would refuse it).
        accounts = [int(number)] if int(number) <= MAX_ACCOUNT_NUMBER else []
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
    audit.record(by.id, VIEWED_AUDIT, detail=detail or "everything")
    db.session.flush()


# Erasing.


def erase_person(user_id: int, by: User, confirmation: str, now: datetime) -> Erasure:
    """Remove a person's identity everywhere; keep what coverage counts.

    Raises NotFound, or DomainError: already erased, oneself, the last active
    office account, sessions still to come, or a confirmation that is not their
    email address.
    """
    user = get_person(user_id)
    if user.erased_at is not None:
        raise DomainError("This person has already been erased.")
    if user.id == by.id:
        raise DomainError(
            "You cannot erase your own account. Ask another member of the national "
            "office to do it."
        )
    if user.is_office and not _other_active_office(user):
        raise DomainError(
            f"{user.name} is the last active national office account: invite "
            "someone else to the office before erasing them."
        )
    upcoming = _sessions_to_come(user, now)
    if upcoming:
        raise DomainError(
            f"{user.name} is booked to train or shadow {upcoming} session"
            f"{'' if upcoming == 1 else 's'} still to come. Cancel or reassign "
            f"{'it' if upcoming == 1 else 'them'} first, so the group is not left "
            "without its trainer."
        )
    if normalise_email(confirmation) != user.email:
        raise DomainError(
            "Type their email address exactly as shown to confirm.", "confirmation"
        )

    erasure = Erasure()
    for offer_id in db.session.scalars(
        select(Offer.id).where(
            Offer.trainer_id == user.id, Offer.status == OfferStatus.PENDING
        )
    ).all():
        withdraw_offer(offer_id, by, now)
        erasure.offers_withdrawn += 1
    old_name, old_email = user.name, user.email
    _erase_address_data(old_email, placeholder_email(user.id), now, erasure)
    erasure.email_bodies += _blank_sent_mail_about(user)
    # A one-word name ("May", "Will") is too common a word to redact safely.
    names = (old_name,) if len(old_name.split()) > 1 else ()
    erasure.texts = _redact_free_text((*names, old_email))
    erasure.extra = _erase_account(user)
    user.name, user.email, user.phone = ERASED_NAME, placeholder_email(user.id), None
    user.password_hash = UNUSABLE_PASSWORD
    # An inactive account's sign-in cookie no longer loads: its sessions end.
    user.is_active, user.is_office = False, False
    user.last_login_at, user.erased_at = None, now
    audit.record(by.id, ERASED, subject_user_id=user.id, detail=erasure.describe())
    db.session.flush()
    logger.info("User %s erased by user %s: %s", user.id, by.id, erasure.describe())
    return erasure


def erase_address(email: str, by: User, confirmation: str, now: datetime) -> Erasure:
    """Remove what is held under an address that has no account (rosters,
    invitations, sign-in failures, emails). Raises DomainError for an account's
    address or a confirmation that does not match."""
    address = normalise_email(email)
    if find_user_by_email(address) is not None:
        raise DomainError(
            "This address belongs to an account: erase the person from their "
            "personal data page instead."
        )
    if normalise_email(confirmation) != address:
        raise DomainError(
            "Type the email address exactly as shown to confirm.", "confirmation"
        )
    erasure = Erasure()
    _erase_address_data(address, ADDRESS_ONLY_PLACEHOLDER, now, erasure)
    erasure.texts = _redact_free_text((address,))
    audit.record(
        by.id,
        ERASED_ADDRESS,
        detail=f"address {address_ref(address)}; {erasure.describe()}",
    )
    db.session.flush()
    logger.info("An address was erased by user %s: %s", by.id, erasure.describe())
    return erasure


def _other_active_office(user: User) -> bool:
    # Every active office row is locked, in one order: of two office members
    # erasing each other at once, the second waits and then sees the first gone.
    active = db.session.scalars(
        select(User.id)
        .where(User.is_office, User.is_active)
        .order_by(User.id)
        .with_for_update()
    ).all()
    return any(user_id != user.id for user_id in active)


def _sessions_to_come(user: User, now: datetime) -> int:
    shadowed = select(SessionShadow.session_id).where(
        SessionShadow.trainer_id == user.id
    )
    return db.session.scalar(
        select(func.count())
        .select_from(TrainingSession)
        .where(
            TrainingSession.status == SessionStatus.BOOKED,
            TrainingSession.ends_at > now,
            or_(
                TrainingSession.trainer_id == user.id,
                TrainingSession.id.in_(shadowed),
            ),
        )
    )


def _erase_address_data(
    address: str, placeholder: str, now: datetime, erasure: Erasure
) -> None:
    """Rosters anonymised (the rows still count), invitations and sign-in failures
    deleted, unsent mail deleted and sent mail kept without its body."""
    erasure.roster_entries += db.session.execute(
        update(Attendee)
        .where(func.lower(Attendee.email) == address)
        .values(name=None, email=None, anonymised_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    erasure.invitations += db.session.execute(
        delete(Invitation)
        .where(func.lower(Invitation.email) == address)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.email == address)
        .execution_options(synchronize_session=False)
    )
    to_them = func.lower(OutboxMessage.to_address) == address
    # A message being delivered right now is left to finish, then kept bodiless.
    erasure.unsent_emails += db.session.execute(
        delete(OutboxMessage)
        .where(
            to_them,
            OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.FAILED)),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    erasure.email_bodies += db.session.execute(
        update(OutboxMessage)
        .where(to_them)
        .values(to_address=placeholder, **BLANK_BODY, last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def _blank_sent_mail_about(user: User) -> int:
    """Empty the stored bodies of sent mail to other people about this person's
    sessions, requests and groups (they name them); nothing reads a sent body."""
    pairs = db.session.execute(
        select(Topic.name, Group.name)
        .join(TrainingSession, TrainingSession.topic_id == Topic.id)
        .join(Group, Group.id == TrainingSession.group_id)
        .outerjoin(SessionShadow, SessionShadow.session_id == TrainingSession.id)
        .where(
            or_(
                TrainingSession.trainer_id == user.id,
                SessionShadow.trainer_id == user.id,
            )
        )
        .union(
            select(Topic.name, Group.name)
            .join(TrainingRequest, TrainingRequest.topic_id == Topic.id)
            .join(Group, Group.id == TrainingRequest.group_id)
            .where(TrainingRequest.created_by_id == user.id)
        )
    ).all()
    # Subjects name "<topic> for <group>"; an organiser is named in every email
    # about their group's sessions.
    needles = [f"{topic} for {group}" for topic, group in pairs]
    needles += [f" for {group.name}" for group in user.groups]
    blanked = 0
    for start in range(0, len(needles), SUBJECTS_PER_UPDATE):
        batch = needles[start : start + SUBJECTS_PER_UPDATE]
        blanked += db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.SENT,
                OutboxMessage.created_at >= user.created_at,
                func.length(OutboxMessage.body) > 0,
                or_(
                    *(
                        OutboxMessage.subject.contains(needle, autoescape=True)
                        for needle in batch
                    )
                ),
            )
            .values(**BLANK_BODY)
            .execution_options(synchronize_session=False)
        ).rowcount
    return blanked


def _redact_free_text(needles: Iterable[str]) -> int:
    """Replace whole-word mentions of each needle (a name or an address) in the
    free text of every table; the number of rows changed."""
    needles = [needle for needle in needles if needle.strip()]
    patterns = [
        (
            re.compile(rf"(?<![\w.+%-]){re.escape(needle)}(?!\.?[\w-])", re.IGNORECASE),
            ERASED_ADDRESS_TEXT if "@" in needle else ERASED_NAME,
        )
        for needle in needles
    ]
    changed = 0
    for model, names in FREE_TEXT:
        columns = [getattr(model, name) for name in names]
        mentions = [
            condition
            for column in columns
            for needle in needles
            for condition in (
                column.contains(needle, autoescape=True),
                func.lower(column).contains(needle.lower(), autoescape=True),
            )
        ]
        for row in db.session.scalars(select(model).where(or_(*mentions))):
            before = [getattr(row, name) for name in names]
            for name, text in zip(names, before, strict=True):
                if text:
                    for pattern, replacement in patterns:
                        text = pattern.sub(replacement, text)
                    setattr(row, name, text)
            changed += before != [getattr(row, name) for name in names]
    db.session.flush()
    return changed


def _erase_account(user: User) -> dict[str, int]:
    """What only an account has: sign-in links, feed, place, memberships, notes."""
    counts = {
        "password resets deleted": db.session.execute(
            delete(PasswordReset)
            .where(PasswordReset.user_id == user.id)
            .execution_options(synchronize_session=False)
        ).rowcount,
        "calendar feeds deleted": db.session.execute(
            delete(CalendarFeed)
            .where(CalendarFeed.user_id == user.id)
            .execution_options(synchronize_session=False)
        ).rowcount,
        "offer notes removed": db.session.execute(
            update(Offer)
            .where(
                Offer.trainer_id == user.id,
                Offer.response_note.is_not(None),
                # The office's withdrawal marker keeps them from being asked again.
                Offer.response_note != WITHDRAWN_BY_OFFICE,
            )
            .values(response_note=None)
            .execution_options(synchronize_session=False)
        ).rowcount,
        "group memberships ended": len(user.groups),
    }
    user.groups.clear()
    profile = user.trainer_profile
    if profile is not None:
        # Region, reach, cap and topics stay (coverage and load figures use
        # them); the home district, its coordinates and their calendar go.
        profile.home_district = profile.latitude = profile.longitude = None
        counts["availability and days off deleted"] = len(profile.availability) + len(
            profile.days_off
        )
        profile.availability.clear()
        profile.days_off.clear()
    db.session.flush()
    return counts
