"""A trainer's own calendar: setting its secret address, and what each read of
it leaves behind (busy times replaced at once, or the failure remembered and
the trainer told, once).

Every function flushes and leaves the commit to the caller. The address is
secret: nothing here logs it.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, insert, select

from trainers import mail
from trainers.addresses import checked_target
from trainers.auth.models import User
from trainers.busy.fetching import Fetched
from trainers.busy.models import BusyFeed, BusyInterval
from trainers.claims import claim
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.links import absolute_url

logger = logging.getLogger(__name__)

MAX_URL_LENGTH = 2000
# Calendar apps show a feed's address as webcal://, which is https underneath.
WEBCAL = ("webcal://", "webcals://")


@dataclass(frozen=True)
class CalendarState:
    """What a trainer's page says of their own calendar."""

    feed: BusyFeed | None
    is_unknown: bool
    busy_count: int


def stale_after() -> timedelta:
    """How long without a good read before a calendar is unknown."""
    return timedelta(hours=current_app.config["BUSY_STALE_HOURS"])


def calendar_state(trainer_id: int, now: datetime) -> CalendarState:
    """The trainer's feed (if any), whether it is unknown, and how many busy
    times from now on are known."""
    feed = db.session.scalar(select(BusyFeed).where(BusyFeed.trainer_id == trainer_id))
    count = db.session.scalar(
        select(func.count()).where(
            BusyInterval.trainer_id == trainer_id, BusyInterval.ends_at > now
        )
    )
    return CalendarState(
        feed, feed is not None and feed.is_unknown(now, stale_after()), count
    )


def set_feed(trainer_id: int, url: str, now: datetime) -> BusyFeed:
    """Keep the trainer's calendar address (a new one replaces the old), to be
    read at once by the scheduler. Raises DomainError; flushes."""
    url = url.strip()
    for scheme in WEBCAL:
        if url.lower().startswith(scheme):
            url = "https://" + url[len(scheme) :]
    if len(url) > MAX_URL_LENGTH:
        raise DomainError(
            f"That address is longer than {MAX_URL_LENGTH} characters.", field="url"
        )
    checked_target(url, current_app.config["BUSY_FEEDS_ALLOW_LOOPBACK"])
    feed = db.session.scalar(select(BusyFeed).where(BusyFeed.trainer_id == trainer_id))
    if feed is None:
        feed = BusyFeed(trainer_id=trainer_id, created_at=now)
        db.session.add(feed)
    # A new address is a new calendar: nothing is known of it until it is read,
    # and the busy times from the old one count until then.
    feed.url, feed.etag, feed.last_modified = url, None, None
    feed.next_fetch_at, feed.last_fetched_at = now, None
    feed.last_success_at = feed.failing_since = feed.failure_told_at = None
    feed.last_error = None
    db.session.flush()
    logger.info("Trainer %s set their calendar feed %s", trainer_id, feed.id)
    return feed


def remove_feed(trainer_id: int) -> bool:
    """Forget the trainer's calendar address and every busy time read from it.
    Whether there was one; flushes."""
    removed = db.session.execute(
        delete(BusyFeed).where(BusyFeed.trainer_id == trainer_id)
    ).rowcount
    db.session.execute(
        delete(BusyInterval).where(BusyInterval.trainer_id == trainer_id)
    )
    logger.info("Trainer %s removed their calendar feed", trainer_id)
    return bool(removed)


def record_read(
    feed: BusyFeed,
    fetched: Fetched,
    intervals: list[tuple[datetime, datetime]] | None,
    now: datetime,
) -> None:
    """A good read: the validators kept and, unless the feed was unchanged
    (`intervals` None), the trainer's busy times replaced in this transaction,
    so matching sees the old set or the new, never a mix. Flushes."""
    if intervals is not None:
        db.session.execute(
            delete(BusyInterval).where(BusyInterval.trainer_id == feed.trainer_id)
        )
        if intervals:
            db.session.execute(
                insert(BusyInterval),
                [
                    {"trainer_id": feed.trainer_id, "starts_at": s, "ends_at": e}
                    for s, e in intervals
                ],
            )
    feed.etag, feed.last_modified = fetched.etag, fetched.last_modified
    feed.last_fetched_at = feed.last_success_at = now
    feed.failing_since = feed.failure_told_at = feed.last_error = None
    db.session.flush()
    logger.info(
        "Calendar feed %s read: %s",
        feed.id,
        "unchanged" if intervals is None else f"{len(intervals)} busy times",
    )


def record_failure(feed: BusyFeed, message: str, now: datetime) -> None:
    """A failed read: the busy times from the last good read stay; the trainer
    is emailed the first time it fails (once until it is read again). Flushes."""
    feed.last_fetched_at, feed.last_error = now, message[:300]
    if feed.failing_since is None:
        feed.failing_since = now
    db.session.flush()
    logger.info("Calendar feed %s failed: %s", feed.id, feed.last_error)
    if claim(BusyFeed, feed.id, BusyFeed.failure_told_at, now):
        db.session.refresh(feed)
        trainer = db.session.get(User, feed.trainer_id)
        mail.send_email(
            trainer.email,
            "busy_feed_failing",
            trainer=trainer,
            feed=feed,
            reason=feed.last_error,
            stale_hours=current_app.config["BUSY_STALE_HOURS"],
            every=current_app.config["BUSY_FEED_EVERY_MINUTES"],
            blocks=current_app.config["BUSY_UNKNOWN_BLOCKS"],
            link=absolute_url("profiles.calendar", user_id=trainer.id),
        )
