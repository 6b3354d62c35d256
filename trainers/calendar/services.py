"""Calendar invites by email, private feeds and downloads for sessions."""

import functools
import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from operator import attrgetter

from flask import current_app
from sqlalchemy import (
    JSON,
    Connection,
    Row,
    ScalarSelect,
    Select,
    Text,
    bindparam,
    func,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from trainers import mail
from trainers.auth.models import User
from trainers.auth.tokens import hash_token, new_token
from trainers.calendar import ical
from trainers.calendar.models import CalendarFeed
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.network.models import Group, Topic, group_organisers
from trainers.sessions.models import SessionShadow, SessionStatus, TrainingSession

logger = logging.getLogger(__name__)

# A cancelled session stays in feeds this long, so subscribed clients drop it.
CANCELLED_KEPT = timedelta(days=30)
# How far back a feed reaches.
FEED_HISTORY = timedelta(days=365)


def organizer() -> ical.Person:
    """The service's own monitored address, organiser of every event."""
    return ical.Person("Trainers' Network", current_app.config["CALENDAR_ORGANIZER"])


def participants(training_session: TrainingSession) -> list[User]:
    """Everyone on the session with a working account: trainer, the group's
    organisers, shadowing trainers (deactivated or erased accounts get no mail)."""
    return _reachable([*trainers_of(training_session), *organisers(training_session)])


def trainers_of(training_session: TrainingSession) -> list[User]:
    """The session's trainer and shadowing trainers with a working account."""
    return _reachable(
        [
            training_session.trainer,
            *(shadow.trainer for shadow in training_session.shadows),
        ]
    )


def organisers(training_session: TrainingSession) -> list[User]:
    """The organisers of the session's group with a working account."""
    return _reachable(training_session.group.organisers)


def _reachable(people: list[User]) -> list[User]:
    unique = {person.id: person for person in people if person.is_active}
    return list(unique.values())


def session_event(
    training_session: TrainingSession, with_attendees: bool = True
) -> ical.SessionEvent:
    """The calendar view of a session as it is now (feeds leave attendees out)."""
    return _drawn(
        training_session,
        topic=training_session.topic.name,
        group=training_session.group.name,
        trainer=training_session.trainer.name,
        shadows=tuple(s.trainer.name for s in training_session.shadows),
        attendees=tuple(
            ical.Person(p.name, p.email) for p in participants(training_session)
        )
        if with_attendees
        else (),
    )


def _drawn(
    training_session,
    topic: str,
    group: str,
    trainer: str,
    shadows: tuple[str, ...],
    attendees: tuple[ical.Person, ...] = (),
) -> ical.SessionEvent:
    # `training_session` is a TrainingSession or a feed row carrying the same
    # names: every session column an event shows is read here, and only here.
    return ical.SessionEvent(
        uid=training_session.ical_uid,
        sequence=training_session.ical_sequence,
        stamp=training_session.updated_at,
        starts_at=training_session.starts_at,
        ends_at=training_session.ends_at,
        topic=topic,
        group=group,
        trainer=trainer,
        shadows=shadows,
        is_online=training_session.is_online,
        address=training_session.venue_address or "",
        postcode=training_session.venue_postcode,
        link=absolute_url("sessions.show", session_id=training_session.id),
        is_cancelled=training_session.status == SessionStatus.CANCELLED,
        attendees=attendees,
    )


def send_invites(
    training_session: TrainingSession,
    template: str,
    people: list[User] | None = None,
    *,
    removed: bool = False,
    **context,
) -> None:
    """Email each person (default: every participant) its own message with the invite.

    A cancelled session sends METHOD:CANCEL, anything else METHOD:REQUEST, always
    with the session's one UID and its current SEQUENCE. `removed` people are
    taken off a session that goes on: they get a CANCEL of it.
    """
    event = session_event(training_session)
    if removed:
        event = replace(event, is_cancelled=True)
    method = "CANCEL" if event.is_cancelled else "REQUEST"
    ics = ical.invite(event, method, organizer())
    link = absolute_url("sessions.show", session_id=training_session.id)
    for person in people if people is not None else participants(training_session):
        mail.send_email(
            person.email,
            template,
            calendar=(ics, method),
            person=person,
            training_session=training_session,
            link=link,
            **context,
        )
    logger.info(
        "Invites (%s, sequence %s) for session %s queued",
        method,
        training_session.ical_sequence,
        training_session.id,
    )


def session_download(training_session: TrainingSession) -> bytes:
    """One session as an .ics file to add to any calendar."""
    return ical.feed(
        f"{training_session.topic.name}: {training_session.group.name}",
        f"session-{training_session.ical_uid}",
        [session_event(training_session, with_attendees=False)],
        organizer(),
    )


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
    return db.session.get(CalendarFeed, user.id) is not None


# Part of every feed's ETag: change it when ical.py or _drawn draw feeds anew,
# so that clients holding an old ETag fetch the new drawing.
FEED_DRAWING = "1"


@dataclass(frozen=True)
class FeedVersion:
    """A feed as it stands, without its sessions: whose it is, and validators
    standing for everything its body is drawn from, read in one statement that
    hashes the sessions in the database. A poll is answered 304 from these
    alone; only a stale client's reads the sessions themselves (feed_body)."""

    user_id: int
    name: str
    is_office: bool  # the office's feed is every session in the network
    sessions: int
    etag: str
    changed: datetime | None  # the last change to any session in the feed
    params: dict  # the statements' parameters: the token's digest, the window


def feed_version(
    raw_token: str, now: datetime, connection: Connection | None = None
) -> FeedVersion | None:
    """The feed behind a token as it stands, without drawing it; None for an
    unknown token or a deactivated account. Read on `connection`, by default
    the session's."""
    digest = hash_token(raw_token)
    params = {
        "digest": digest,
        "history_from": now - FEED_HISTORY,
        "cancelled_from": now - CANCELLED_KEPT,
    }
    # Core rows: the ORM's execute adds nothing here but a tenth of a poll's cost.
    connection = connection or db.session.connection()
    found = connection.execute(_version_statement(everything=False), params).first()
    if found is not None and found.is_office:
        # The office's feed is every session in the network: a statement of
        # its own, as a branch for it in everyone's statement makes PostgreSQL
        # cost every poll as a read of every session, and plan it afresh each
        # time rather than keep one plan for the connection.
        found = connection.execute(_version_statement(everything=True), params).first()
    if found is None or not found.is_active:
        return None
    name = "Trainers' Network" + ("" if found.is_office else f": {found.name}")
    # The sessions' hash, the drawing's settings and version, and the token,
    # so a rotated link starts afresh.
    drawn_from = (
        FEED_DRAWING,
        digest,
        name,
        organizer(),
        current_app.config["BASE_URL"],
        found.drawn,
    )
    return FeedVersion(
        user_id=found.user_id,
        name=name,
        is_office=found.is_office,
        sessions=found.sessions,
        etag=hashlib.sha256(repr(drawn_from).encode()).hexdigest(),
        changed=found.changed,
        params=params,
    )


def feed_body(version: FeedVersion, connection: Connection | None = None) -> bytes:
    """The .ics body of a feed version (METHOD:PUBLISH, no attendees), its
    sessions read on `connection`, by default the session's."""
    connection = connection or db.session.connection()
    rows = connection.execute(_feed_statement(version.is_office), version.params)
    # Sorted here, not in SQL: the office's sort of every session would be
    # costed high enough for PostgreSQL to JIT-compile it on each poll.
    found = sorted(
        (row for row in rows if row.id is not None),
        key=attrgetter("starts_at", "id"),
    )
    events = [
        _drawn(
            row,
            topic=row.topic,
            group=row.group,
            trainer=row.trainer,
            shadows=_shadow_names(row),
        )
        for row in found
    ]
    return ical.feed(
        version.name, f"feed-{version.user_id}@trainers-network", events, organizer()
    )


def feed_for_token(
    raw_token: str, now: datetime
) -> tuple[bytes, datetime | None] | None:
    """The feed behind a token and when it last changed; None for an unknown token."""
    version = feed_version(raw_token, now)
    if version is None:
        return None
    return feed_body(version), version.changed


def _shadow_names(row: Row) -> tuple[str, ...]:
    # SQLite does not promise the order of an aggregate's input.
    return tuple(sorted(name for name in row.shadows or () if name is not None))


class _json_list(FunctionElement):
    """An aggregate: the values as a JSON list (NULL or [] for none), in order
    on PostgreSQL; SQLite keeps the order it reads them in."""

    type = JSON()
    inherit_cache = True


@compiles(_json_list, "postgresql")
def _json_agg(element, compiler, **kw) -> str:
    values = compiler.process(element.clauses, **kw)
    return f"json_agg({values} ORDER BY {values})"


@compiles(_json_list, "sqlite")
def _json_group_array(element, compiler, **kw) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


class _drawn_text(FunctionElement):
    """A row's values as the text of a JSON array, NULLs told apart from text."""

    type = Text()
    inherit_cache = True


@compiles(_drawn_text, "postgresql")
def _json_build_array(element, compiler, **kw) -> str:
    return f"CAST(json_build_array({compiler.process(element.clauses, **kw)}) AS TEXT)"


@compiles(_drawn_text, "sqlite")
def _json_array(element, compiler, **kw) -> str:
    return f"json_array({compiler.process(element.clauses, **kw)})"


class _joined_in_order(FunctionElement):
    """An aggregate: the first argument's texts joined with commas, in the order
    of the other arguments on PostgreSQL; SQLite (before 3.44) cannot order an
    aggregate, and joins them in the order its input is sorted in."""

    type = Text()
    inherit_cache = True


@compiles(_joined_in_order, "postgresql")
def _string_agg(element, compiler, **kw) -> str:
    value, *order = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"string_agg({value}, ',' ORDER BY {', '.join(order)})"


@compiles(_joined_in_order, "sqlite")
def _group_concat(element, compiler, **kw) -> str:
    value = compiler.process(next(iter(element.clauses)), **kw)
    return f"group_concat({value}, ',')"


# The owner's columns at the head of every row of _feed_statement.
OWNER = ("user_id", "name", "is_office", "is_active")


@functools.cache
def _version_statement(everything: bool) -> Select:
    # One row for a feed: its owner, how many sessions, when one last changed,
    # and an MD5 hash of every value drawn from them, computed where they are,
    # so a poll reads one row rather than every session's. The feed's rows in
    # their order, which SQLite's aggregate follows.
    feed = _feed_statement(everything).order_by("starts_at", "id").subquery("feed")
    drawn = [column for column in feed.c if column.key not in OWNER]
    owner = [feed.c[key] for key in OWNER]
    return select(
        *owner,
        func.count(feed.c.id).label("sessions"),
        func.max(feed.c.updated_at).label("changed"),
        func.md5(
            _joined_in_order(_drawn_text(*drawn), feed.c.starts_at, feed.c.id)
        ).label("drawn"),
    ).group_by(*owner)


@functools.cache
def _feed_statement(everything: bool) -> Select:
    # Calendar clients poll feeds far more often than people open pages, and
    # most polls find nothing new: one Core statement, built once, reads the
    # owner and every session of their feed (every session at all with
    # `everything`) with the names drawn into it. An unknown token gives no
    # row; a feed with no sessions one row of NULLs. Names come from
    # subqueries, not joins, which cost more to plan.
    feeds, users = CalendarFeed.__table__, User.__table__
    sessions, shadows = TrainingSession.__table__, SessionShadow.__table__
    digest = bindparam("digest")
    owner = (
        select(feeds.c.user_id).where(feeds.c.token_hash == digest).scalar_subquery()
    )
    # One indexed lookup for each way a session can be theirs: an OR across
    # them makes PostgreSQL scan every session in the network.
    shadowing = shadows.alias("shadowing")
    theirs = sessions.c.id.in_(
        union_all(
            select(sessions.c.id).where(sessions.c.trainer_id == owner),
            select(sessions.c.id)
            .join(
                group_organisers,
                group_organisers.c.group_id == sessions.c.group_id,
            )
            .where(group_organisers.c.user_id == owner),
            select(shadowing.c.session_id).where(shadowing.c.trainer_id == owner),
        )
    )

    def name_of(table, key) -> ScalarSelect:
        return select(table.c.name).where(table.c.id == key).scalar_subquery()

    shadow = users.alias("shadow")
    found = (
        select(
            # The session columns an event is drawn from (see _drawn).
            *(
                sessions.c[name]
                for name in (
                    "id",
                    "ical_uid",
                    "ical_sequence",
                    "updated_at",
                    "starts_at",
                    "ends_at",
                    "status",
                    "is_online",
                    "venue_address",
                    "venue_postcode",
                )
            ),
            name_of(Topic.__table__, sessions.c.topic_id).label("topic"),
            name_of(Group.__table__, sessions.c.group_id).label("group"),
            name_of(users, sessions.c.trainer_id).label("trainer"),
            select(_json_list(shadow.c.name))
            .select_from(shadows)
            .join(shadow, shadow.c.id == shadows.c.trainer_id)
            .where(shadows.c.session_id == sessions.c.id)
            .scalar_subquery()
            .label("shadows"),
        )
        .where(
            true() if everything else theirs,
            sessions.c.starts_at >= bindparam("history_from"),
            or_(
                sessions.c.status != SessionStatus.CANCELLED,
                sessions.c.cancelled_at >= bindparam("cancelled_from"),
            ),
        )
        .subquery()
    )
    return (
        select(
            feeds.c.user_id,
            users.c.name,
            users.c.is_office,
            users.c.is_active,
            *found.c,
        )
        .select_from(feeds)
        .join(users, users.c.id == feeds.c.user_id)
        .outerjoin(found, true())
        .where(feeds.c.token_hash == digest)
    )
