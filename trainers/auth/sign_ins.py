"""Sign-ins kept on the server, so that one can be ended: each browser's cookie
carries a random token whose hash names a row here. Signing out, a password
change or reset, deactivation and "sign out everywhere" delete rows.

Functions flush and leave the commit to the caller, except `forget` and
`touch`, which a page calls while it loads its user, on a connection of their
own (see there), and the scheduler's `forget_ended`.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from trainers.auth.models import SignIn, User
from trainers.auth.tokens import new_token
from trainers.extensions import db
from trainers.timeutil import duration_in_words

logger = logging.getLogger(__name__)

# The key in Flask's signed session cookie that holds the sign-in's token.
SESSION_KEY = "sign_in"
ENDED_ELSEWHERE = (
    "You were signed out: this sign-in was ended, by signing out everywhere or "
    "by a change of password. Sign in again to carry on."
)

# The first name found in a browser's User-Agent wins: Edge's also says Chrome
# and Safari, Chrome's also says Safari.
BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


@dataclass(frozen=True)
class Limits:
    """How long a sign-in may go without a page, and live in all."""

    idle: timedelta
    lifetime: timedelta


def limits(user: User, kept: bool) -> Limits:
    """The limits for this person: the office's are shorter and never kept."""
    config = current_app.config
    if user.is_office:
        return Limits(
            timedelta(minutes=config["OFFICE_SIGN_IN_IDLE_MINUTES"]),
            timedelta(hours=config["OFFICE_SIGN_IN_LIFETIME_HOURS"]),
        )
    if kept:
        return Limits(
            timedelta(days=config["KEPT_SIGN_IN_IDLE_DAYS"]),
            timedelta(days=config["KEPT_SIGN_IN_LIFETIME_DAYS"]),
        )
    return Limits(
        timedelta(minutes=config["SIGN_IN_IDLE_MINUTES"]),
        timedelta(hours=config["SIGN_IN_LIFETIME_HOURS"]),
    )


def may_keep(user: User) -> bool:
    """Whether "keep me signed in" is honoured: not for the national office."""
    return not user.is_office


def start(user: User, kept: bool, user_agent: str, now: datetime) -> str:
    """Record a new sign-in and return its token for the cookie (a fresh one
    every time, so no token known before signing in is ever signed in)."""
    raw, digest = new_token()
    db.session.add(
        SignIn(
            user_id=user.id,
            token_hash=digest,
            created_at=now,
            last_seen_at=now,
            kept=kept and may_keep(user),
            device=describe_device(user_agent),
        )
    )
    _forget_expired(user, now)
    db.session.flush()
    logger.info("User %s signed in", user.id)
    return raw


def why_ended(sign_in: SignIn, user: User, now: datetime) -> str | None:
    """Why this sign-in has run out, in words for the sign-in page; None if live.
    (A row of its created_at, last_seen_at and kept does as well as a SignIn.)"""
    allowed = limits(user, sign_in.kept)
    if now - sign_in.created_at >= allowed.lifetime:
        return (
            f"You were signed out {duration_in_words(allowed.lifetime)} after signing in, "
            "as every sign-in is. Sign in again to carry on."
        )
    if now - sign_in.last_seen_at >= allowed.idle:
        return (
            f"You were signed out after {duration_in_words(allowed.idle)} without "
            "activity. Sign in again to carry on."
        )
    return None


def is_stale(sign_in: SignIn, now: datetime) -> bool:
    """Whether the sign-in's "last seen" is old enough to be written again."""
    every = timedelta(seconds=current_app.config["SIGN_IN_SEEN_EVERY_SECONDS"])
    return now - sign_in.last_seen_at >= every


def touch(sign_in_id: int, now: datetime) -> None:
    """Write "last seen" at once, in a small transaction of its own: the page
    may run read-only, or roll back what it did."""
    with db.engine.begin() as connection:
        connection.execute(
            update(SignIn).where(SignIn.id == sign_in_id).values(last_seen_at=now)
        )


def forget(sign_in_id: int) -> None:
    """Delete a sign-in that has run out, at once and on its own (as `touch`)."""
    with db.engine.begin() as connection:
        connection.execute(delete(SignIn).where(SignIn.id == sign_in_id))


def end(sign_in_id: int) -> None:
    """Sign one browser out: its cookie no longer signs anyone in."""
    db.session.execute(delete(SignIn).where(SignIn.id == sign_in_id))
    db.session.flush()


def end_all(user_id: int, keep: int | None = None) -> int:
    """End every sign-in of this person but `keep`; returns how many ended."""
    statement = delete(SignIn).where(SignIn.user_id == user_id)
    if keep is not None:
        statement = statement.where(SignIn.id != keep)
    ended = db.session.execute(statement).rowcount
    db.session.flush()
    logger.info("%s sign-ins of user %s ended", ended, user_id)
    return ended


def live_sign_ins(user: User, now: datetime) -> list[SignIn]:
    """The person's sign-ins that have not run out, the latest seen first."""
    rows = db.session.scalars(
        select(SignIn)
        .where(SignIn.user_id == user.id)
        .order_by(SignIn.last_seen_at.desc(), SignIn.id.desc())
    )
    return [row for row in rows if why_ended(row, user, now) is None]


def forget_ended(now: datetime) -> str:
    """Delete every sign-in that has run out: most are never visited again, and
    none should outlive its use (a scheduler job)."""
    ended = [
        sign_in
        for sign_in, user in db.session.execute(
            select(SignIn, User).join(User, User.id == SignIn.user_id)
        )
        if why_ended(sign_in, user, now) is not None
    ]
    for sign_in in ended:
        db.session.delete(sign_in)
    db.session.commit()
    logger.info("Forgot %s sign-ins that had run out", len(ended))
    return f"{len(ended)} ended sign-ins forgotten"


def describe_device(user_agent: str) -> str:
    """A short name for the browser, such as "Firefox on Windows"."""
    browser = next((name for mark, name in BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "An unknown browser"


def _forget_expired(user: User, now: datetime) -> None:
    # Sign-ins that ran out unvisited are removed when their person next signs in.
    for row in db.session.scalars(select(SignIn).where(SignIn.user_id == user.id)):
        if why_ended(row, user, now) is not None:
            db.session.delete(row)
