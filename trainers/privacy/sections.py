"""The sections of a person's data report that say who they are and what is held
under their address: their account, trainer profile, groups, reset links and
calendar feed; invitations, failed sign-ins, rosters and emails to the address."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from trainers.attendance.models import Attendee
from trainers.auth.models import Invitation, LoginThrottle, PasswordReset, User
from trainers.auth.services import ROLE_NAMES
from trainers.busy.models import BusyFeed, BusyInterval
from trainers.calendar.models import CalendarFeed
from trainers.extensions import db
from trainers.network.models import Group, Topic
from trainers.outbox.models import OutboxMessage
from trainers.sessions.models import TrainingSession


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


def rows_from(result, make) -> list[dict[str, object]]:
    """A section's rows: `make(*row)` for each row of a query's result."""
    return [make(*row) for row in result]


def names_written_for(address: str) -> list[str]:
    """The names rosters and invitations give beside an address (normalised):
    the person may be named that way elsewhere too."""
    written = select(Attendee.name).where(
        func.lower(Attendee.email) == address, Attendee.name.is_not(None)
    )
    invited = select(Invitation.name).where(func.lower(Invitation.email) == address)
    return list(db.session.scalars(written.union(invited)))


def account_sections(user: User) -> list[Section]:
    """Who the account holder is, what they set up, and what their address keys."""
    return [
        _account(user),
        *_trainer_sections(user),
        _groups(user),
        *address_sections(user.email),
        _password_resets(user),
        _calendar_feed(user),
    ]


def address_sections(address: str) -> list[Section]:
    """What is held under an address (normalised), with or without an account."""
    return [
        _invitations(address),
        _sign_in_failures(address),
        _rosters(address),
        _emails(address),
    ]


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
        *_own_calendar(user),
    ]


def _own_calendar(user: User) -> list[Section]:
    feed = db.session.scalar(select(BusyFeed).where(BusyFeed.trainer_id == user.id))
    busy = db.session.scalars(
        select(BusyInterval)
        .where(BusyInterval.trainer_id == user.id)
        .order_by(BusyInterval.starts_at)
    )
    return [
        Section(
            "own_calendar",
            "Their own calendar",
            "The secret address of the calendar they linked (shown only in part) "
            "and how its reads went.",
            (
                ("address", "Address"),
                ("created_at", "Linked"),
                ("last_success_at", "Last read"),
                ("failing_since", "Failing since"),
            ),
            []
            if feed is None
            else [
                {
                    "address": feed.shown,
                    "created_at": feed.created_at,
                    "last_success_at": feed.last_success_at,
                    "failing_since": feed.failing_since,
                }
            ],
        ),
        Section(
            "busy_times",
            "Busy times from their own calendar",
            "Only when they are busy: nothing else from the calendar is kept.",
            (("starts_at", "From"), ("ends_at", "Until")),
            [{"starts_at": b.starts_at, "ends_at": b.ends_at} for b in busy],
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


def _password_resets(user: User) -> Section:
    query = db.session.execute(
        select(PasswordReset)
        .where(PasswordReset.user_id == user.id)
        .order_by(PasswordReset.created_at)
    )
    return Section(
        "password_resets",
        "Password reset links",
        "Links they asked for; each is stored only as a hash once its email has "
        "been sent (or given up on).",
        (("created_at", "Asked"), ("expires_at", "Expires"), ("used_at", "Used")),
        rows_from(
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
        "as a hash once the email has been sent (or given up on).",
        (
            ("created_at", "Sent"),
            ("name", "Name given"),
            ("role", "Role"),
            ("group", "Group"),
            ("state", "State"),
            ("expires_at", "Expires"),
        ),
        rows_from(
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
    throttles = db.session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.email == address)
        .order_by(LoginThrottle.first_failed_at)
    )
    return Section(
        "sign_in_failures",
        "Failed sign-ins",
        "Wrong passwords typed for this address, counted to slow down guessing.",
        (
            ("failures", "Failures"),
            ("first_failed_at", "First failure"),
            ("locked_until", "Locked until"),
        ),
        [
            {
                "failures": throttle.failures,
                "first_failed_at": throttle.first_failed_at,
                "locked_until": throttle.locked_until,
            }
            for throttle in throttles
        ],
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
        rows_from(
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
        rows_from(
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
