"""Reading trainers' calendar feeds that are due, a scheduler job."""

import logging
from collections import Counter
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from trainers.busy.fetching import FeedError, Limits, fetch_feed
from trainers.busy.models import BusyFeed
from trainers.busy.parsing import busy_intervals
from trainers.busy.services import record_failure, record_read
from trainers.extensions import db

logger = logging.getLogger(__name__)


def read_busy_feeds(now: datetime, limit: int = 500) -> str:
    """Read every feed due, each in its own transaction. Commits."""
    config = current_app.config
    every = timedelta(minutes=config["BUSY_FEED_EVERY_MINUTES"])
    due = db.session.scalars(
        select(BusyFeed.id)
        .where(BusyFeed.next_fetch_at <= now)
        .order_by(BusyFeed.next_fetch_at)
        .limit(limit)
    ).all()
    counts: Counter[str] = Counter()
    for feed_id in due:
        feed = db.session.get(BusyFeed, feed_id)
        if feed is None:  # removed meanwhile
            continue
        # Its next turn is set before the network is touched, so a feed that
        # crashes the job is not read again on every run.
        feed.next_fetch_at = now + every
        db.session.commit()
        counts[read_feed(feed, now)] += 1
        db.session.commit()
    return f"read {counts['read']}, unchanged {counts['unchanged']}, failed {counts['failed']}"


def read_feed(feed: BusyFeed, now: datetime) -> str:
    """Read one feed and record what came of it: "read", "unchanged" or
    "failed". Flushes; the caller commits."""
    config = current_app.config
    limits = Limits(
        max_bytes=config["BUSY_FEED_MAX_BYTES"],
        timeout_seconds=config["BUSY_FEED_TIMEOUT_SECONDS"],
        max_redirects=config["BUSY_FEED_MAX_REDIRECTS"],
        allow_loopback=config["BUSY_FEEDS_ALLOW_LOOPBACK"],
    )
    try:
        fetched = fetch_feed(feed.url, feed.etag, feed.last_modified, limits)
        intervals = None
        if fetched.body is not None:
            intervals = busy_intervals(
                fetched.body,
                now,
                now + timedelta(days=config["BUSY_HORIZON_DAYS"]),
                config["BUSY_FEED_MAX_INTERVALS"],
            )
    except FeedError as error:
        record_failure(feed, error.message, now)
        return "failed"
    record_read(feed, fetched, intervals, now)
    return "read" if intervals is not None else "unchanged"
