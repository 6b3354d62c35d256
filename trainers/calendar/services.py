"""Calendar invites by email, private feeds and downloads for sessions."""

import functools
import hashlib
import json
import logging
from collections import namedtuple
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parseaddr
from operator import attrgetter

from flask import current_app
from sqlalchemy import (
    Connection,
    ScalarSelect,
    Select,
    Text,
    and_,
    bindparam,
    func,
    or_,
    select,
    true,
    union,
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
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import SessionShadow, SessionStatus, TrainingSession

logger = logging.getLogger(__name__)

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


def organizer() -> ical.Person:
    """The organiser of every event: the sender of every email (MAIL_FROM), so
    that the invite's ORGANIZER and the email's From agree, and clients that
    add invites only from organisers they know add ours."""
    return _sender(current_app.config["MAIL_FROM"])


@functools.lru_cache(maxsize=4)
def _sender(mail_from: str) -> ical.Person:
    # Read on every feed poll: parsed once.
    name, address = parseaddr(mail_from)
    if "@" not in address:
        raise ValueError(f"MAIL_FROM has no email address: {mail_from!r}")
    return ical.Person(name, address)


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
    training_request = training_session.training_request
    trainer = training_session.trainer
    return _drawn(
        training_session,
        topic=training_session.topic.name,
        group=training_session.group.name,
        trainer=trainer.name,
        shadows=tuple(s.trainer.name for s in training_session.shadows),
        headcount=training_request.expected_attendance,
        access_needs=training_request.accessibility_needs,
        notes=training_request.notes,
        trainer_contact=(trainer.name, trainer.email, trainer.phone)
        if trainer.is_active
        else None,
        organiser_contacts=[
            (p.name, p.email, p.phone) for p in organisers(training_session)
        ],
        attendees=tuple(
            ical.Person(p.name, p.email) for p in participants(training_session)
        )
        if with_attendees
        else (),
    )


Reach = tuple[str, str, str | None]  # a person's name, email and phone


def _drawn(
    training_session,
    topic: str,
    group: str,
    trainer: str,
    shadows: tuple[str, ...],
    headcount: int | None,
    access_needs: str | None,
    notes: str | None,
    trainer_contact: Reach | None,
    organiser_contacts: list[Reach],
    attendees: tuple[ical.Person, ...] = (),
) -> ical.SessionEvent:
    # `training_session` is a TrainingSession or a feed row carrying the same
    # names: every session column an event shows is read here, and only here;
    # the rest is passed in, from the ORM (session_event) or from the feed's
    # row (feed_body). Contacts are of working accounts only, as for email.
    contacts = [ical.Contact("trainer", *trainer_contact)] if trainer_contact else []
    contacts += [
        ical.Contact("organiser", *reach)
        for reach in sorted(organiser_contacts, key=lambda r: (r[0], r[1], r[2] or ""))
    ]
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
        link=_session_link(training_session.id),
        is_cancelled=training_session.status == SessionStatus.CANCELLED,
        attendees=attendees,
        meeting_url=training_session.meeting_url
        if training_session.is_online
        else None,
        headcount=headcount,
        access_needs=access_needs or "",
        notes=notes or "",
        contacts=tuple(contacts),
    )


def _session_link(session_id: int) -> str:
    # A feed links hundreds of sessions: Werkzeug builds one link, and the rest
    # are its prefix and their id.
    prefix = _link_prefix(current_app.url_map, current_app.config["BASE_URL"])
    return f"{prefix}{session_id}"


@functools.lru_cache(maxsize=8)
def _link_prefix(url_map, base_url: str) -> str:
    prefix = absolute_url("sessions.show", session_id=1).removesuffix("1")
    if absolute_url("sessions.show", session_id=23) != f"{prefix}23":
        raise RuntimeError("a session's link does not end with its id")
    return prefix


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
FEED_DRAWING = "2"


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
        "window_from": now - FEED_PAST,
        "window_until": now + FEED_AHEAD,
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
        params |= {
            "window_from": now - OFFICE_FEED_PAST,
            "window_until": now + OFFICE_FEED_AHEAD,
        }
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
    sender = organizer()
    prefix = _link_prefix(current_app.url_map, current_app.config["BASE_URL"])
    return ical.publish(
        version.name,
        f"feed-{version.user_id}@trainers-network",
        [_feed_event(row[len(OWNER) :], prefix, sender) for row in found],
    )


@functools.lru_cache(maxsize=20_000)
def _feed_event(values: tuple, link_prefix: str, sender: ical.Person) -> bytes:
    # Keyed on everything an event is drawn from: a feed row's values (not its
    # owner's, so feeds share them), the links' prefix and the organiser. A
    # changed session is a new key and nothing stale is ever served; a repeat
    # poll skips drawing (and the slow folding of) every unchanged event.
    row = _feed_row()._make(values)
    contacts = json.loads(row.organisers) if row.organisers else []
    event = _drawn(
        row,
        topic=row.topic,
        group=row.group,
        trainer=row.trainer,
        shadows=_shadow_names(row),
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
    names = list(_feed_statement(False).selected_columns.keys())[len(OWNER) :]
    return namedtuple("FeedRow", names)


def feed_for_token(
    raw_token: str, now: datetime
) -> tuple[bytes, datetime | None] | None:
    """The feed behind a token and when it last changed; None for an unknown token."""
    version = feed_version(raw_token, now)
    if version is None:
        return None
    return feed_body(version), version.changed


def _shadow_names(row) -> tuple[str, ...]:
    # SQLite does not promise the order of an aggregate's input.
    names = json.loads(row.shadows) if row.shadows else ()
    return tuple(sorted(name for name in names if name is not None))


# The two aggregates give JSON as text, read only to draw an event: a feed
# row is then all text, numbers and times, and keys the drawn events' cache.


class _json_list(FunctionElement):
    """An aggregate: the values as the text of a JSON list (NULL or [] for
    none), in order on PostgreSQL; SQLite keeps the order it reads them in."""

    type = Text()
    inherit_cache = True


@compiles(_json_list, "postgresql")
def _json_agg(element, compiler, **kw) -> str:
    values = compiler.process(element.clauses, **kw)
    return f"CAST(json_agg({values} ORDER BY {values}) AS TEXT)"


@compiles(_json_list, "sqlite")
def _json_group_array(element, compiler, **kw) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


class _json_rows(FunctionElement):
    """An aggregate: each row's values as a JSON array, in the text of a JSON
    list (NULL or [] for none), ordered by the values on PostgreSQL; SQLite
    keeps the order it reads them in."""

    type = Text()
    inherit_cache = True


@compiles(_json_rows, "postgresql")
def _json_agg_rows(element, compiler, **kw) -> str:
    values = compiler.process(element.clauses, **kw)
    return f"CAST(json_agg(json_build_array({values}) ORDER BY {values}) AS TEXT)"


@compiles(_json_rows, "sqlite")
def _json_group_array_rows(element, compiler, **kw) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


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
    # `everything`) in the window the parameters give, with the names and
    # contacts drawn into it. An unknown token gives no row; a feed with no
    # sessions one row of NULLs. Names come from subqueries, not joins, which
    # cost more to plan; the request's columns and the trainer's, several
    # each, from one join each, cheaper than a subquery a column.
    feeds, users = CalendarFeed.__table__, User.__table__
    sessions, shadows = TrainingSession.__table__, SessionShadow.__table__
    requests = TrainingRequest.__table__
    digest = bindparam("digest")
    owner = (
        select(feeds.c.user_id).where(feeds.c.token_hash == digest).scalar_subquery()
    )
    in_feed = and_(
        sessions.c.starts_at >= bindparam("window_from"),
        sessions.c.starts_at < bindparam("window_until"),
        # A handed-back session's event goes on in the next trainer's session
        # (the same UID), or was cancelled to its trainer by email.
        sessions.c.handed_back_at.is_(None),
        or_(
            sessions.c.status != SessionStatus.CANCELLED,
            sessions.c.cancelled_at >= bindparam("cancelled_from"),
        ),
    )
    # One indexed lookup for each way a session can be theirs, each in the
    # window: an OR across them makes PostgreSQL scan every session in the
    # network. The sessions are then read by id from the ids found: asked
    # instead whether each session in the window is among theirs, PostgreSQL
    # may guess that the window leaves a single session, and read every one
    # of theirs again for each session.
    shadowing = shadows.alias("shadowing")
    theirs = union(
        select(sessions.c.id).where(sessions.c.trainer_id == owner, in_feed),
        select(sessions.c.id)
        .join(
            group_organisers,
            group_organisers.c.group_id == sessions.c.group_id,
        )
        .where(group_organisers.c.user_id == owner, in_feed),
        select(shadowing.c.session_id)
        .join(sessions, sessions.c.id == shadowing.c.session_id)
        .where(shadowing.c.trainer_id == owner, in_feed),
    ).subquery("theirs")

    def name_of(table, key) -> ScalarSelect:
        return select(table.c.name).where(table.c.id == key).scalar_subquery()

    shadow, organiser = users.alias("shadow"), users.alias("organiser")
    trainer = users.alias("trainer")
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
                    "meeting_url",
                )
            ),
            requests.c.expected_attendance,
            requests.c.accessibility_needs,
            requests.c.notes,
            name_of(Topic.__table__, sessions.c.topic_id).label("topic"),
            name_of(Group.__table__, sessions.c.group_id).label("group"),
            trainer.c.name.label("trainer"),
            trainer.c.email.label("trainer_email"),
            trainer.c.phone.label("trainer_phone"),
            trainer.c.is_active.label("trainer_is_active"),
            select(_json_list(shadow.c.name))
            .select_from(shadows)
            .join(shadow, shadow.c.id == shadows.c.trainer_id)
            .where(shadows.c.session_id == sessions.c.id)
            .scalar_subquery()
            .label("shadows"),
            # The group's organisers with a working account, as for email.
            select(_json_rows(organiser.c.name, organiser.c.email, organiser.c.phone))
            .select_from(group_organisers)
            .join(organiser, organiser.c.id == group_organisers.c.user_id)
            .where(
                group_organisers.c.group_id == sessions.c.group_id,
                organiser.c.is_active,
            )
            .scalar_subquery()
            .label("organisers"),
        )
        .select_from(
            (
                sessions
                if everything
                else theirs.join(sessions, sessions.c.id == theirs.c.id)
            )
            .join(requests, requests.c.id == sessions.c.request_id)
            .join(trainer, trainer.c.id == sessions.c.trainer_id)
        )
        .where(in_feed if everything else true())
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
