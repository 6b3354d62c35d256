"""A person's private feed link: made (or made anew), revoked, and whether they
have one."""

import logging
from datetime import datetime

from trainers.auth.models import User
from trainers.auth.tokens import new_token
from trainers.calendar.models import CalendarFeed
from trainers.extensions import db

logger = logging.getLogger(__name__)


def start_feed(user: User, now: datetime) -> str:
    """A new private feed token for the user (replacing any old one); shown once."""
    raw, digest = new_token()
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        db.session.add(feed)
    feed.token_hash, feed.created_at = digest, now
    db.session.flush()
    logger.info("Calendar feed link for user %s (re)made", user.id)
    return raw


def stop_feed(user: User) -> None:
    """Revoke the user's feed link; the old URL answers 404 from now on."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is not None:
        db.session.delete(feed)
        db.session.flush()
        logger.info("Calendar feed link for user %s revoked", user.id)


def has_feed(user: User) -> bool:
    """Whether the user has a feed link."""
    return db.session.get(CalendarFeed, user.id) is not None
