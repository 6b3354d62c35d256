"""Erasing a person or an address: identity goes everywhere, the facts that
coverage counts stay. Every function flushes and leaves the commit to the caller."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update

from trainers import audit
from trainers.attendance.models import Attendee
from trainers.auth import api_tokens, sign_ins
from trainers.auth.models import Invitation, LoginThrottle, PasswordReset, User
from trainers.auth.services import find_user_by_email, normalise_email
from trainers.busy.services import remove_feed
from trainers.calendar.models import CalendarFeed
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.services import WITHDRAWN_BY_OFFICE, withdraw_offer
from trainers.network.models import Group, Topic
from trainers.network.services import get_person
from trainers.outbox.models import OutboxMessage, OutboxStatus
from trainers.privacy.audit_log import address_ref
from trainers.privacy.mail_folder import scrub_mail_folder
from trainers.privacy.mentions import ERASED_DOMAIN, ERASED_NAME, Mentions
from trainers.privacy.scrub import (
    anonymise_named_rows,
    scrub_calendars,
    scrub_free_text,
)
from trainers.privacy.sections import names_written_for
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import SessionPlace, SessionStatus, TrainingSession

logger = logging.getLogger(__name__)

# The id keeps users.email unique.
ADDRESS_ONLY_PLACEHOLDER = f"erased@{ERASED_DOMAIN}"
# Not a werkzeug hash, so no password ever matches it.
UNUSABLE_PASSWORD = "!erased"  # noqa: S105 - a marker, not a secret

# Audit actions written here.
ERASED = "erased a person"
ERASED_ADDRESS = "erased an address's data"

# Subjects of mail about sessions to others, per batch of UPDATE.
SUBJECTS_PER_UPDATE = 100
# An email's stored text and invite, emptied.
BLANK_BODY = {"body": "", "calendar": None}


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


def placeholder_email(user_id: int) -> str:
    """The unique, undeliverable address an erased account keeps."""
    return f"erased-{user_id}@{ERASED_DOMAIN}"


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
    mentions = Mentions(
        names=(user.name, *names_written_for(user.email)),
        emails=(user.email,),
        phones=(user.phone,) if user.phone else (),
    )
    _erase_address_data(user.email, placeholder_email(user.id), now, erasure)
    erasure.email_bodies += _blank_sent_mail_about(user)
    erasure.extra.update(_erase_account(user))
    _scrub_everywhere(mentions, now, erasure)
    user.name, user.email, user.phone = ERASED_NAME, placeholder_email(user.id), None
    user.password_hash = UNUSABLE_PASSWORD
    user.is_active, user.is_office = False, False
    sign_ins.end_all(user.id)
    api_tokens.delete_tokens_of(user.id)
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
    mentions = Mentions(names=names_written_for(address), emails=(address,))
    _erase_address_data(address, ADDRESS_ONLY_PLACEHOLDER, now, erasure)
    _scrub_everywhere(mentions, now, erasure)
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
    shadowed = select(SessionPlace.session_id).where(SessionPlace.trainer_id == user.id)
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
        .outerjoin(SessionPlace, SessionPlace.session_id == TrainingSession.id)
        .where(
            or_(
                TrainingSession.trainer_id == user.id,
                SessionPlace.trainer_id == user.id,
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


def _scrub_everywhere(mentions: Mentions, now: datetime, erasure: Erasure) -> None:
    """Find them by what every text says, not by whom it was sent to: roster
    rows that are them, free text and invites naming them, development mail."""
    erasure.roster_entries += anonymise_named_rows(mentions, now)
    erasure.texts += scrub_free_text(mentions)
    erasure.extra["invites rewritten"] = scrub_calendars(mentions)
    db.session.flush()
    # Files cannot be rolled back: they go last, after everything else worked.
    erasure.extra["development email files deleted"] = scrub_mail_folder(mentions)


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
        "own calendars removed, with their busy times": int(remove_feed(user.id)),
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
