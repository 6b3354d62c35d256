"""Everything held about a person, for the office to show, export and erase.

A person with an account is found by their account; someone on a roster without
one by their email address. Erasure removes identity and keeps the facts that
coverage counts (sessions, people counted, groups served). Every function
flushes and leaves the commit to the caller.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from trainers import audit
from trainers.attendance.models import Attendance, Attendee
from trainers.audit import AuditEntry
from trainers.auth.models import Invitation, LoginThrottle, PasswordReset, User
from trainers.auth.services import ROLE_NAMES, find_user_by_email, normalise_email
from trainers.calendar.models import CalendarFeed
from trainers.extensions import db
from trainers.matching.models import Offer
from trainers.network.models import Group, Topic
from trainers.network.services import get_person
from trainers.outbox.models import OutboxMessage
from trainers.privacy.audit_log import actor_label, address_ref, subject_label
from trainers.requests.models import RequestEvent, TrainingRequest
from trainers.sessions.models import SessionShadow, TrainingSession
from trainers.timeutil import format_date, format_datetime

logger = logging.getLogger(__name__)

# Audit actions written here.
VIEWED = "viewed personal data"
EXPORTED = "exported personal data"
LOOKED_UP = "looked up an address"
EXPORTED_ADDRESS = "exported an address's data"


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
