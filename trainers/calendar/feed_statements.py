"""The calendar feed's statement: its owner and its sessions with everything
their events are drawn from, on SQLite and PostgreSQL alike."""

from sqlalchemy import (
    ColumnElement,
    FromClause,
    ScalarSelect,
    Select,
    Subquery,
    Text,
    and_,
    bindparam,
    case,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from trainers.auth.models import User
from trainers.calendar.models import CalendarFeed
from trainers.network.models import Group, Topic, group_organisers
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import SessionPlace, SessionStatus, TrainingSession
from trainers.statements import built_once

# The owner's columns at the head of every row of feed_statement.
OWNER = ("user_id", "name", "is_office", "is_active")


@built_once
def feed_statement(everything: bool) -> Select:
    """The owner of the feed behind the token and every session of their feed
    (every session at all with `everything`) in the window the parameters give,
    with the names and contacts drawn into it."""
    # Calendar clients poll feeds far more often than people open pages: one
    # Core statement, built once. An unknown token gives no row; a feed with
    # no sessions one row of NULLs.
    feeds, users = CalendarFeed.__table__, User.__table__
    sessions = TrainingSession.__table__
    digest = bindparam("digest")
    owner = (
        select(feeds.c.user_id).where(feeds.c.token_hash == digest).scalar_subquery()
    )
    in_feed = _in_feed(sessions)
    if everything:
        found = _drawn_sessions(sessions, in_feed)
    else:
        theirs = _theirs(owner, in_feed)
        found = _drawn_sessions(
            theirs.join(sessions, sessions.c.id == theirs.c.id), true()
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


def _in_feed(sessions) -> ColumnElement[bool]:
    """A session in the window the parameters give, and still shown."""
    return and_(
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


def _theirs(owner: ScalarSelect, in_feed: ColumnElement[bool]) -> Subquery:
    """The ids of the owner's sessions in the feed: those they train, their
    groups' and those they hold a place on beside the lead."""
    # One indexed lookup for each way a session can be theirs, each in the
    # window: an OR across them makes PostgreSQL scan every session in the
    # network. The sessions are then read by id from the ids found: asked
    # instead whether each session in the window is among theirs, PostgreSQL
    # may guess that the window leaves a single session, and read every one
    # of theirs again for each session.
    sessions = TrainingSession.__table__
    places = SessionPlace.__table__.alias("places")
    return union(
        select(sessions.c.id).where(sessions.c.trainer_id == owner, in_feed),
        select(sessions.c.id)
        .join(
            group_organisers,
            group_organisers.c.group_id == sessions.c.group_id,
        )
        .where(group_organisers.c.user_id == owner, in_feed),
        select(places.c.session_id)
        .join(sessions, sessions.c.id == places.c.session_id)
        .where(places.c.trainer_id == owner, in_feed),
    ).subquery("theirs")


def _drawn_sessions(source: FromClause, where: ColumnElement[bool]) -> Subquery:
    """Every session in `source` that `where` keeps, with all an event is drawn
    from: its columns, its request's, the names and the contacts."""
    # Names come from subqueries, not joins, which cost more to plan; the
    # request's columns and the trainer's, several each, from one join each,
    # cheaper than a subquery a column.
    sessions, requests = TrainingSession.__table__, TrainingRequest.__table__
    trainer = User.__table__.alias("trainer")
    return (
        select(
            # The session columns an event is drawn from (see events.draw_event).
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
            _name_of(Topic.__table__, sessions.c.topic_id).label("topic"),
            _name_of(Group.__table__, sessions.c.group_id).label("group"),
            trainer.c.name.label("trainer"),
            trainer.c.email.label("trainer_email"),
            trainer.c.phone.label("trainer_phone"),
            trainer.c.is_active.label("trainer_is_active"),
            _co_trainer_names(sessions).label("co_trainers"),
            _organiser_contacts(sessions).label("organisers"),
        )
        .select_from(
            source.join(requests, requests.c.id == sessions.c.request_id).join(
                trainer, trainer.c.id == sessions.c.trainer_id
            )
        )
        .where(where)
        .subquery()
    )


def _name_of(table, key) -> ScalarSelect:
    return select(table.c.name).where(table.c.id == key).scalar_subquery()


def _co_trainer_names(sessions) -> ScalarSelect:
    """The names of the trainers beside the session's lead, as JSON text."""
    places, holder = SessionPlace.__table__, User.__table__.alias("holder")
    name = case(
        (places.c.is_shadowing, holder.c.name + literal(" (shadowing)")),
        else_=holder.c.name,
    )
    return (
        select(_json_list(name))
        .select_from(places)
        .join(holder, holder.c.id == places.c.trainer_id)
        .where(places.c.session_id == sessions.c.id)
        .scalar_subquery()
    )


def _organiser_contacts(sessions) -> ScalarSelect:
    """The name, email and phone of each of the session's group's organisers
    with a working account (as for email), as JSON text."""
    organiser = User.__table__.alias("organiser")
    return (
        select(_json_rows(organiser.c.name, organiser.c.email, organiser.c.phone))
        .select_from(group_organisers)
        .join(organiser, organiser.c.id == group_organisers.c.user_id)
        .where(
            group_organisers.c.group_id == sessions.c.group_id,
            organiser.c.is_active,
        )
        .scalar_subquery()
    )


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
