"""Personal access tokens for the JSON API: made, listed, revoked, and checked
on each call. The token's text is shown once; only its SHA-256 hash is kept
(it is 32 random bytes, so a fast hash is enough)."""

import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.interfaces import LoaderOption

from trainers import audit
from trainers.auth.models import API_SCOPES, ApiToken, User
from trainers.auth.tokens import hash_token
from trainers.errors import DomainError, NotFound
from trainers.extensions import db

logger = logging.getLogger(__name__)

PREFIX = "tn_"
DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_NAME = 80


def create_token(
    user: User, name: str, scope: str, days: int, *, by: User, now: datetime
) -> tuple[str, ApiToken]:
    """Make a token for `user` (by them, or by the office for a service account);
    returns its text, to show once, and the token. Audited. Raises DomainError
    on the field at fault. Flushes; the caller commits."""
    name = (name or "").strip()
    if not name:
        raise DomainError(
            "Give the token a name, such as the system it is for.", "name"
        )
    if len(name) > MAX_NAME:
        raise DomainError(f"Keep the name under {MAX_NAME} characters.", "name")
    if scope not in API_SCOPES:
        raise DomainError("Choose read or write.", "scope")
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(f"A token lasts from 1 to {MAX_DAYS} days.", "days")
    if not user.is_active or user.erased_at is not None:
        raise DomainError(f"{user.name}'s account is not active.")
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        scope=scope,
        token_hash=hash_token(raw),
        created_by_id=by.id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        by.id,
        "api token created",
        subject_user_id=user.id,
        detail=f"{name} ({scope}, {days} days)",
    )
    logger.info("API token %s made for user %s by user %s", token.id, user.id, by.id)
    return raw, token


def tokens_of(user: User) -> list[ApiToken]:
    """The person's tokens, newest first, revoked and expired ones too."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(user: User, token_id: int, now: datetime) -> ApiToken:
    """Revoke one of the person's own tokens at once. Audited. Raises NotFound
    (not theirs) or DomainError (already revoked). Flushes."""
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if token is None:
        raise NotFound()
    if token.revoked_at is not None:
        raise DomainError("That token was already revoked.")
    token.revoked_at = now
    audit.record(
        user.id, "api token revoked", subject_user_id=user.id, detail=token.name
    )
    db.session.flush()
    logger.info("API token %s revoked by user %s", token.id, user.id)
    return token


def token_for(raw: str, now: datetime, *options: LoaderOption) -> ApiToken | None:
    """The live token with this text, its account active; None for any other text
    (unknown, expired, revoked, or its account deactivated or erased). `options`
    load more of the account with it."""
    if not raw.startswith(PREFIX):
        return None
    found = db.session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(raw))
        .options(*options)
    ).first()
    if found is None:
        return None
    token, user = found
    if not token.is_live(now) or not user.is_active or user.erased_at is not None:
        return None
    # The token holds its account read here: the session keeps objects only
    # while something refers to them, and `token.user` would read it again.
    set_committed_value(token, "user", user)
    return token


def note_use(token: ApiToken, now: datetime) -> None:
    """Write "last used" when it is a minute old or more, in a small transaction
    of its own, so that most calls that only read write nothing."""
    every = timedelta(seconds=current_app.config["SIGN_IN_SEEN_EVERY_SECONDS"])
    if token.last_used_at is not None and now - token.last_used_at < every:
        return
    with db.engine.begin() as connection:
        connection.execute(
            update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
        )


def delete_tokens_of(user_id: int) -> int:
    """Delete every token of the person (their erasure); returns how many. Flushes."""
    deleted = db.session.execute(
        delete(ApiToken).where(ApiToken.user_id == user_id)
    ).rowcount
    db.session.flush()
    return deleted
