"""A person's private calendar feed: how far it reaches, its version (the
validators a poll is answered from, read with its sessions) and its body, drawn
only for a stale client."""

import functools
import hashlib
import json
from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter

from flask import current_app
from sqlalchemy import Connection

from trainers.auth.models import User
from trainers.auth.tokens import hash_token
from trainers.calendar import ical
from trainers.calendar.events import draw_event, link_prefix, organizer
from trainers.calendar.feed_statements import OWNER, feed_statement
from trainers.extensions import db

# A cancelled session stays in feeds this long, so subscribed clients drop it.
CANCELLED_KEPT = timedelta(days=30)
# A personal feed (a trainer's, an organiser's): sessions that start from this
# long ago to this far ahead (about 18 months).
FEED_PAST = timedelta(days=90)
FEED_AHEAD = timedelta(days=548)
# The office's feed is every session in the network, about 110 a day at
# national size: a window this short keeps a fetch within its targets (time
# and size, bench/office_feed.py). The office's CSV exports hold every session.
OFFICE_FEED_PAST = timedelta(days=1)
OFFICE_FEED_AHEAD = timedelta(days=3)


def feed_window(user: User) -> tuple[timedelta, timedelta]:
    """How far back and ahead of now the user's feed reaches."""
    if user.is_office:
        return OFFICE_FEED_PAST, OFFICE_FEED_AHEAD
    return FEED_PAST, FEED_AHEAD


# Part of every feed's ETag: change it when ical.py or draw_event draw feeds anew,
# so that clients holding an old ETag fetch the new drawing.
FEED_DRAWING = "2"


@dataclass(frozen=True)
class FeedVersion:
    """A feed as it stands: whose it is, its sessions' rows, and validators
    standing for everything its body is drawn from. A poll is answered 304 from
    these alone; only a stale client's has the events drawn (feed_body)."""

    user_id: int
    name: str
    is_office: bool  # the office's feed is every session in the network
    rows: tuple  # each session's values its event is drawn from, in order
    etag: str
    changed: datetime | None  # the last change to any session in the feed

    @property
    def sessions(self) -> int:
        return len(self.rows)


def feed_version(
    raw_token: str, now: datetime, connection: Connection | None = None
) -> FeedVersion | None:
    """The feed behind a token as it stands, without drawing it; None for an
    unknown token or a deactivated account. Read on `connection`, by default
    the session's."""
    digest = hash_token(raw_token)
    params = {
        "digest": digest,
        "window_from": now - FEED_PAST,
        "window_until": now + FEED_AHEAD,
        "cancelled_from": now - CANCELLED_KEPT,
    }
    # Core rows: the ORM's execute adds nothing here but a tenth of a poll's cost.
    connection = connection or db.session.connection()
    found = connection.execute(feed_statement(everything=False), params).all()
    if found and found[0].is_office:
        # The office's feed is every session in the network: a statement of
        # its own, as a branch for it in everyone's statement makes PostgreSQL
        # cost every poll as a read of every session, and plan it afresh each
        # time rather than keep one plan for the connection.
        params |= {
            "window_from": now - OFFICE_FEED_PAST,
            "window_until": now + OFFICE_FEED_AHEAD,
        }
        found = connection.execute(feed_statement(everything=True), params).all()
    if not found or not found[0].is_active:
        return None
    owner = found[0]
    # Sorted here, not in SQL: the office's sort of every session would be
    # costed high enough for PostgreSQL to JIT-compile it on each poll.
    rows = tuple(
        row[len(OWNER) :]
        for row in sorted(
            (row for row in found if row.id is not None),
            key=attrgetter("starts_at", "id"),
        )
    )
    name = "Trainers' Network" + ("" if owner.is_office else f": {owner.name}")
    # Everything the events are drawn from: the sessions, the drawing's
    # settings and version, and the token, so a rotated link starts afresh.
    drawn_from = (
        FEED_DRAWING,
        digest,
        name,
        organizer(),
        current_app.config["BASE_URL"],
        rows,
    )
    return FeedVersion(
        user_id=owner.user_id,
        name=name,
        is_office=owner.is_office,
        rows=rows,
        etag=hashlib.sha256(repr(drawn_from).encode()).hexdigest(),
        changed=max(
            (row.updated_at for row in found if row.id is not None), default=None
        ),
    )


def feed_body(version: FeedVersion) -> bytes:
    """The .ics body of a feed version (METHOD:PUBLISH, no attendees)."""
    sender = organizer()
    prefix = link_prefix(current_app.url_map, current_app.config["BASE_URL"])
    return ical.publish(
        version.name,
        f"feed-{version.user_id}@trainers-network",
        [_feed_event(values, prefix, sender) for values in version.rows],
    )


@functools.lru_cache(maxsize=20_000)
def _feed_event(values: tuple, link_prefix: str, sender: ical.Person) -> bytes:
    # Keyed on everything an event is drawn from: a feed row's values (not its
    # owner's, so feeds share them), the links' prefix and the organiser. A
    # changed session is a new key and nothing stale is ever served; a repeat
    # poll skips drawing (and the slow folding of) every unchanged event. A
    # speed trick kept because it pays: without it bench/load.py's feed page
    # serves about a quarter fewer requests.
    row = _feed_row()._make(values)
    contacts = json.loads(row.organisers) if row.organisers else []
    event = draw_event(
        row,
        topic=row.topic,
        group=row.group,
        trainer=row.trainer,
        co_trainers=_co_trainer_names(row),
        headcount=row.expected_attendance,
        access_needs=row.accessibility_needs,
        notes=row.notes,
        trainer_contact=(row.trainer, row.trainer_email, row.trainer_phone)
        if row.trainer_is_active
        else None,
        organiser_contacts=[tuple(reach) for reach in contacts],
    )
    return ical.published_event(event, sender)


@functools.cache
def _feed_row() -> type:
    # A feed row's own values by name, its owner's left off.
    names = list(feed_statement(False).selected_columns.keys())[len(OWNER) :]
    return namedtuple("FeedRow", names)


def feed_for_token(
    raw_token: str, now: datetime
) -> tuple[bytes, datetime | None] | None:
    """The feed behind a token and when it last changed; None for an unknown token."""
    version = feed_version(raw_token, now)
    if version is None:
        return None
    return feed_body(version), version.changed


def _co_trainer_names(row) -> tuple[str, ...]:
    # SQLite does not promise the order of an aggregate's input.
    names = json.loads(row.co_trainers) if row.co_trainers else ()
    return tuple(sorted(name for name in names if name is not None))
