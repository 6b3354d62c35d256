"""Accounts: invitations, sign-in with throttling, password resets, roles.

Every function flushes and leaves the commit to the caller.
"""

import logging
import re
import secrets
from datetime import datetime, timedelta
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import delete, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from trainers import mail
from trainers.auth import sign_ins
from trainers.auth.models import Invitation, LoginThrottle, PasswordReset, User
from trainers.auth.passwords import check_password
from trainers.auth.tokens import hash_token, new_token
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.network.models import Group
from trainers.profiles.models import TrainerProfile
from trainers.profiles.services import start_profile

logger = logging.getLogger(__name__)

ROLE_NAMES = {
    "office": "national office",
    "organiser": "organiser",
    "trainer": "trainer",
}


class SignInRefused(DomainError):
    """Wrong address or password, a deactivated account, or too many tries."""


class InvalidToken(DomainError):
    """An invitation or reset link that is unknown, used, revoked or expired."""


def normalise_email(email: str) -> str:
    """Email addresses compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def check_email(address: str) -> str:
    """The address normalised. Raises DomainError for one that cannot be an
    email address (the rule of every form that takes one)."""
    address = normalise_email(address)
    try:
        validate_email(address, check_deliverability=False, allow_empty_local=False)
    except EmailNotValidError:
        raise DomainError("Enter a valid email address.", "email") from None
    return address


def check_may_gain_role(user: User) -> None:
    """Raise DomainError if the account cannot be given a role (deactivated)."""
    if not user.is_active:
        raise DomainError(
            f"{user.email} has a deactivated account. Reactivate it first.", "email"
        )


def hash_password(password: str, name: str, email: str) -> str:
    """A hash of a new password for this person (PASSWORD_HASH_METHOD). Raises
    DomainError for one we refuse (trainers/auth/passwords.py)."""
    check_password(password, name, email)
    return generate_password_hash(password, current_app.config["PASSWORD_HASH_METHOD"])


def find_user_by_email(email: str) -> User | None:
    """The account with this address, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str, client: str, now: datetime) -> User:
    """The active user with these credentials. Raises SignInRefused.

    Failures are counted per address, known or not, so the answer never says
    whether an account exists; and per client, so the lock after too many
    falls on that address from that client only: a stranger guessing cannot
    lock the owner out. Guessing across many addresses, or from many clients,
    is slowed by the per-client rate limit (trainers/limits.py) and by the
    lock on each pair. Flushes the count; the caller commits either way.
    """
    config = current_app.config
    address = normalise_email(email)
    throttle = db.session.get(LoginThrottle, (address, client))
    if throttle and throttle.locked_until and now < throttle.locked_until:
        raise SignInRefused(_locked_message(throttle.locked_until, now))

    user = find_user_by_email(address)
    # A hash is checked either way: an unknown address must take as long to
    # refuse as a wrong password, or the delay tells which addresses exist.
    stored = (
        user.password_hash
        if user
        else _unknown_address_hash(config["PASSWORD_HASH_METHOD"])
    )
    if check_password_hash(stored, password) and user and user.is_active:
        if throttle:
            db.session.delete(throttle)
        user.last_login_at = now
        db.session.flush()
        logger.info("User %s signed in", user.id)
        return user

    window = timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
    if throttle is None or now - throttle.first_failed_at > window:
        if throttle is None:
            throttle = LoginThrottle(email=address, client=client)
            db.session.add(throttle)
        throttle.failures, throttle.first_failed_at, throttle.locked_until = (
            0,
            now,
            None,
        )
    throttle.failures += 1
    if throttle.failures >= config["LOGIN_MAX_FAILURES"]:
        throttle.locked_until = now + window
        db.session.flush()
        logger.warning(
            "Sign-in locked for an address from one client after %s failures",
            throttle.failures,
        )
        raise SignInRefused(_locked_message(throttle.locked_until, now))
    db.session.flush()
    raise SignInRefused(
        "That email address and password do not match an active account."
    )


def forget_old_sign_in_failures(now: datetime) -> int:
    """Delete failure counts that no longer count (their window has passed and
    no lock holds): they name client addresses. Flushes; returns how many."""
    window = timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
    return db.session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.first_failed_at < now - window,
            or_(
                LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now
            ),
        )
    ).rowcount


@cache
def _unknown_address_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(), method)


def _locked_message(until: datetime, now: datetime) -> str:
    minutes = max(1, int((until - now).total_seconds() // 60) + 1)
    return (
        f"Too many failed attempts for this address. Try again in {minutes} "
        "minutes, or reset your password."
    )


def invite(
    email: str,
    name: str,
    role: str,
    invited_by: User,
    now: datetime,
    group: Group | None = None,
    prepared: dict | None = None,
) -> Invitation | None:
    """Invite a new person, or give an existing account the role at once.

    Returns the invitation, or None when an existing account was granted the
    role. Emails the person either way. Raises DomainError for a bad role.
    `prepared` is what a bulk import sets up besides (Invitation.prepared).
    """
    if role not in ROLE_NAMES:
        raise DomainError(
            "Choose a role: national office, organiser or trainer.", "role"
        )
    if role == "organiser" and group is None:
        raise DomainError("Choose the group this organiser will run.", "group_id")
    address = normalise_email(email)
    existing = find_user_by_email(address)
    if existing is not None:
        check_may_gain_role(existing)
        grant_role(existing, role, group)
        mail.send_email(
            existing.email,
            "role_granted",
            user=existing,
            role=ROLE_NAMES[role],
            group=group,
            sign_in_url=absolute_url("auth.login"),
        )
        return None

    for pending in pending_invitations(address, now):
        pending.revoked_at = now
    raw, digest = new_token()
    invitation = Invitation(
        email=address,
        name=name.strip(),
        role=role,
        group=group,
        prepared=prepared,
        invited_by=invited_by,
        token_hash=digest,
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    _send_invitation(invitation, raw)
    logger.info(
        "Invitation %s (%s) created by user %s", invitation.id, role, invited_by.id
    )
    return invitation


def resend_invitation(invitation_id: int, now: datetime) -> Invitation:
    """A fresh link and expiry for an unaccepted invitation; the old link stops working."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound()
    if invitation.accepted_at is not None:
        raise DomainError("That invitation has already been accepted.")
    raw, invitation.token_hash = new_token()
    invitation.revoked_at = None
    invitation.expires_at = now + timedelta(days=current_app.config["INVITATION_DAYS"])
    db.session.flush()
    _send_invitation(invitation, raw)
    logger.info("Invitation %s resent", invitation.id)
    return invitation


def revoke_invitation(invitation_id: int, now: datetime) -> Invitation:
    """Stop an unaccepted invitation's link from working."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound()
    if invitation.accepted_at is not None:
        raise DomainError("That invitation has already been accepted.")
    invitation.revoked_at = now
    db.session.flush()
    logger.info("Invitation %s revoked", invitation.id)
    return invitation


def pending_invitations(address: str, now: datetime) -> list[Invitation]:
    """The invitations to this address whose links still work."""
    return list(
        db.session.scalars(
            select(Invitation).where(
                Invitation.email == address,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
        )
    )


def _send_invitation(invitation: Invitation, raw_token: str) -> None:
    mail.send_email(
        invitation.email,
        "invitation",
        invitation=invitation,
        role=" and ".join(ROLE_NAMES[role] for role in invitation_roles(invitation)),
        joining_as=invitation_in_words(invitation),
        secret_link=absolute_url("auth.accept_invitation", token=raw_token),
        days=current_app.config["INVITATION_DAYS"],
    )


def invitation_roles(invitation: Invitation) -> list[str]:
    """Every role the invitation gives, its own first."""
    prepared = invitation.prepared or {}
    also_trainer = prepared.get("trainer") is not None and invitation.role != "trainer"
    return [invitation.role] + (["trainer"] if also_trainer else [])


def invitation_in_words(invitation: Invitation) -> str:
    """What accepting makes the person: "organiser for Hastings Action and Rye
    Action and trainer", "trainer", "national office"."""
    ids = (invitation.prepared or {}).get("group_ids") or [invitation.group_id]
    groups = [
        group.name for id_ in ids if id_ and (group := db.session.get(Group, id_))
    ]
    words = []
    for role in invitation_roles(invitation):
        if role == "organiser" and groups:
            words.append(f"organiser for {_listed(groups)}")
        else:
            words.append(ROLE_NAMES[role])
    return " and ".join(words)


def _listed(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def usable_invitation(raw_token: str, now: datetime) -> Invitation:
    """The invitation behind a link. Raises InvalidToken if it cannot be used."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(raw_token))
    )
    if invitation is None or not invitation.is_usable(now):
        raise InvalidToken(
            "This invitation link has expired or has already been used. Ask the "
            "national office to send you a new one."
        )
    return invitation


def accept_invitation(raw_token: str, name: str, password: str, now: datetime) -> User:
    """Create the invited account with its role. Raises InvalidToken or DomainError."""
    invitation = usable_invitation(raw_token, now)
    if find_user_by_email(invitation.email) is not None:
        raise InvalidToken(
            "An account with this address already exists. Sign in, or reset your "
            "password."
        )
    user = User(
        email=invitation.email,
        name=name.strip(),
        password_hash=hash_password(password, name, invitation.email),
        created_at=now,
        last_login_at=now,
    )
    db.session.add(user)
    grant_role(user, invitation.role, invitation.group)
    if invitation.prepared:
        _set_up_as_prepared(user, invitation.prepared)
    invitation.accepted_at = now
    db.session.flush()
    logger.info("Invitation %s accepted: user %s created", invitation.id, user.id)
    return user


def _set_up_as_prepared(user: User, prepared: dict) -> None:
    for group_id in prepared.get("group_ids", []):
        group = db.session.get(Group, group_id)
        if group is not None:
            grant_role(user, "organiser", group)
    trainer = prepared.get("trainer")
    if trainer is not None:
        grant_role(user, "trainer")
        start_profile(
            user.trainer_profile,
            trainer.get("home_district"),
            trainer.get("travel_radius_km"),
            trainer.get("topic_ids", []),
        )


def grant_role(user: User, role: str, group: Group | None = None) -> None:
    """Give a user a role; an organiser role needs the group they organise."""
    if role == "office":
        user.is_office = True
    elif role == "organiser":
        if group not in user.groups:
            user.groups.append(group)
    elif role == "trainer":
        if user.trainer_profile is None:
            user.trainer_profile = TrainerProfile()
    db.session.flush()


def request_password_reset(email: str, now: datetime) -> None:
    """Email a reset link if the address has an active account; otherwise do nothing."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        logger.info("Password reset asked for an address without an active account")
        return
    raw, digest = new_token()
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    db.session.add(
        PasswordReset(
            user=user,
            token_hash=digest,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    db.session.flush()
    mail.send_email(
        user.email,
        "password_reset",
        user=user,
        secret_link=absolute_url("auth.reset_password", token=raw),
        hours=hours,
    )
    logger.info("Password reset sent to user %s", user.id)


def usable_reset(raw_token: str, now: datetime) -> PasswordReset:
    """The reset behind a link. Raises InvalidToken if it cannot be used."""
    reset = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == hash_token(raw_token))
    )
    if (
        reset is None
        or reset.used_at is not None
        or now >= reset.expires_at
        or not reset.user.is_active
    ):
        raise InvalidToken(
            "This password reset link has expired or has already been used. Ask "
            "for a new one."
        )
    return reset


def reset_password(raw_token: str, password: str, now: datetime) -> User:
    """Set a new password from a reset link; every other open link for the user
    dies, and every sign-in ends (whoever had the old password is out)."""
    reset = usable_reset(raw_token, now)
    user = reset.user
    user.password_hash = hash_password(password, user.name, user.email)
    for other in db.session.scalars(
        select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)
        )
    ):
        other.used_at = now
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.email == user.email))
    sign_ins.end_all(user.id)
    db.session.flush()
    logger.info("Password reset for user %s", user.id)
    return user


def change_password(user: User, current: str, new: str, this_sign_in: int) -> None:
    """Change a signed-in user's password and end their every other sign-in
    (whoever knew the old one). Raises DomainError on a wrong current one."""
    if not check_password_hash(user.password_hash, current):
        raise DomainError("That is not your current password.", "current_password")
    user.password_hash = hash_password(new, user.name, user.email)
    sign_ins.end_all(user.id, keep=this_sign_in)
    db.session.flush()
    logger.info("User %s changed their password", user.id)


PHONE_CHARACTERS = re.compile(r"[0-9 +()-]+")


def set_phone(user: User, phone: str | None) -> User:
    """Set (or, when blank, remove) the person's phone number, which people they
    have a session with see. Raises DomainError for one that cannot be a number."""
    phone = " ".join((phone or "").split())
    digits = sum(char.isdigit() for char in phone)
    if phone and (not PHONE_CHARACTERS.fullmatch(phone) or not 7 <= digits <= 15):
        raise DomainError(
            "Enter a phone number of digits, spaces and an optional +, such as "
            "07700 900123 or +44 7700 900123; or leave it empty.",
            field="phone",
        )
    user.phone = phone or None
    db.session.flush()
    logger.info("User %s %s their phone number", user.id, "set" if phone else "removed")
    return user


def set_active(user_id: int, is_active: bool, by: User) -> User:
    """Deactivate (ending every sign-in) or reactivate an account. The office
    cannot deactivate itself."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    if user.id == by.id and not is_active:
        raise DomainError("You cannot deactivate your own account.")
    user.is_active = is_active
    if not is_active:
        sign_ins.end_all(user.id)
    db.session.flush()
    logger.info(
        "User %s %s by user %s",
        user.id,
        "reactivated" if is_active else "deactivated",
        by.id,
    )
    return user
