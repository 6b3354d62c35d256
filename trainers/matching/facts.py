"""Loading what the matching rules and the score need, in a few bulk queries.

Nothing here loops over trainers with a query each: every function takes a set
of trainer ids and answers for all of them at once.
"""

import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, Subquery, select

from trainers.busy.parsing import merged
from trainers.extensions import db
from trainers.matching import fact_statements as statements
from trainers.matching.fact_statements import KM_PER_DEGREE
from trainers.matching.rules import (
    Booking,
    TrainerFacts,
    TravelSettings,
    Venue,
    local_month,
)
from trainers.sessions.models import TrainingSession, worked_in
from trainers.timeutil import local_to_utc, to_local, utcnow


def worked_by(trainer_ids: Sequence[int]) -> Subquery:
    """SQL: the sessions that occupy these trainers, whatever their place
    (sessions.models.worked_in), each counted as each one's."""
    return worked_in(lambda trainer_id: one_of(trainer_id, list(trainer_ids)))


def sessions_of(trainer_ids: Sequence[int]) -> list[ColumnElement[bool]]:
    """SQL: the sessions that occupy these trainers, whatever their place."""
    return [TrainingSession.id.in_(select(worked_by(trainer_ids).c.session_id))]


@dataclass(frozen=True)
class LoadFacts:
    """A trainer's recent load and history, for the soft score."""

    recent_sessions: int = 0
    total_sessions: int = 0
    sessions_with_group: int = 0
    days_off_recently: int = 0


def one_of(column, ids: list[int]) -> ColumnElement[bool]:
    """SQL: column is one of ids."""
    return statements.among_ids(column, _dialect(), ids)


def travel_settings() -> TravelSettings:
    """Travel speed and minimum gap, and whether an unknown calendar blocks,
    from the app's config."""
    config = current_app.config
    return TravelSettings(
        config["TRAVEL_SPEED_KMH"],
        config["TRAVEL_MIN_MINUTES"],
        config["BUSY_UNKNOWN_BLOCKS"],
    )


def trainers_in_reach(
    topic_id: int,
    venue: Venue,
    levels=("qualified",),
    free_at: Sequence[tuple[datetime, datetime]] | None = None,
) -> list[int]:
    """Ids of active trainers at one of `levels` for the topic whose radius reaches the venue.

    The SQL uses a flat-earth distance inflated by a margin, so it never drops a
    trainer that the exact great-circle rule would keep; the rules check exactly.
    """
    free_at = free_at or []
    params: dict = {"topic_id": topic_id}
    for i, (starts_at, ends_at) in enumerate(free_at):
        start, end = to_local(starts_at), to_local(ends_at)
        params |= {
            f"weekday_{i}": start.weekday(),
            f"opens_{i}": start.time(),
            f"closes_{i}": end.time(),
        }
    if not venue.is_online:
        params |= {
            "lat": venue.latitude,
            "lon": venue.longitude,
            "km_per_lon": KM_PER_DEGREE * math.cos(math.radians(venue.latitude)),
        }
    statement = statements.in_reach(
        _dialect(), tuple(levels), len(free_at), venue.is_online
    )
    return list(db.session.scalars(statement, params))


def _dialect() -> str:
    return db.engine.dialect.name


def load_trainer_facts(
    trainer_ids: Collection[int],
    topic_id: int,
    starts_at: datetime,
    ends_at: datetime,
    around: Sequence[tuple[datetime, datetime]] | None = None,
    ignore_session_id: int | None = None,
) -> tuple[dict[int, TrainerFacts], dict[int, str]]:
    """Rule facts for these trainers over [starts_at, ends_at], and their names.

    Sessions are counted for every Europe/London month the span touches (the
    monthly cap); bookings and busy times in their own calendars are loaded
    within a day of each interval in `around` (default: the whole span), which
    is all the travel rule can need. The session `ignore_session_id` (one being
    moved) is left out of both.
    """
    if not trainer_ids:
        return {}, {}
    ids = {"ids": list(trainer_ids), "ignore_session_id": ignore_session_id}
    dialect = _dialect()
    facts, names = _profiles(dialect, ids | {"topic_id": topic_id})
    for trainer_id, weekday, opens, closes in db.session.execute(
        statements.windows(dialect), ids
    ):
        facts[trainer_id].windows.append((weekday, opens, closes))
    for trainer_id, first_on, last_on in _days_off(
        dialect, ids, to_local(starts_at).date(), to_local(ends_at).date()
    ):
        facts[trainer_id].days_off.append((first_on, last_on))
    ignoring = ignore_session_id is not None
    _count_months(facts, dialect, ids, ignoring, starts_at, ends_at)
    intervals = around or [(starts_at, ends_at)]
    _add_bookings(facts, dialect, ids, ignoring, intervals)
    _add_busy(facts, dialect, ids, intervals)
    return facts, names


def _profiles(
    dialect: str, params: dict
) -> tuple[dict[int, TrainerFacts], dict[int, str]]:
    """Each trainer's profile and level in the topic, and whether their own
    calendar is unknown, with no windows, days off or bookings yet; and their
    names."""
    facts: dict[int, TrainerFacts] = {}
    names: dict[int, str] = {}
    stale = timedelta(hours=current_app.config["BUSY_STALE_HOURS"])
    rows = db.session.execute(
        statements.profiles(dialect), params | {"read_before": utcnow() - stale}
    )
    for trainer_id, name, active, level, lat, lon, radius, cap, unknown in rows:
        names[trainer_id] = name
        facts[trainer_id] = TrainerFacts(
            trainer_id=trainer_id,
            is_active=active,
            level=level,
            latitude=lat,
            longitude=lon,
            travel_radius_km=radius,
            monthly_cap=cap,
            windows=[],
            days_off=[],
            bookings=[],
            busy=[],
            is_calendar_unknown=bool(unknown),
        )
    return facts, names


def _days_off(dialect: str, ids: dict, first_day: date, last_day: date):
    """Rows of each trainer's days off that touch [first_day, last_day]."""
    return db.session.execute(
        statements.days_off(dialect),
        ids | {"first_day": first_day, "last_day": last_day},
    )


def _add_bookings(
    facts: dict[int, TrainerFacts],
    dialect: str,
    ids: dict,
    ignoring: bool,
    intervals: Sequence[tuple[datetime, datetime]],
) -> None:
    """Each trainer's sessions, whatever their place, within a day of an interval."""
    longest = timedelta(hours=current_app.config["MAX_SLOT_HOURS"])
    params = dict(ids)
    for i, (start, end) in enumerate(intervals):
        params |= {
            f"before_{i}": end + timedelta(days=1),
            f"after_{i}": start - timedelta(days=1) - longest,
            f"ends_after_{i}": start - timedelta(days=1),
        }
    statement = statements.bookings(dialect, len(intervals), ignoring)
    for row in db.session.execute(statement, params):
        facts[row.trainer_id].bookings.append(
            Booking(
                row.starts_at,
                row.ends_at,
                Venue(row.is_online, row.venue_latitude, row.venue_longitude),
                session_id=row.session_id,
            )
        )


def _add_busy(
    facts: dict[int, TrainerFacts],
    dialect: str,
    ids: dict,
    intervals: Sequence[tuple[datetime, datetime]],
) -> None:
    """Each trainer's busy times from their own calendar within a day of an
    interval (a day either side covers any travel), in order and merged where
    they overlap, as the rule reads them."""
    params = dict(ids)
    for i, (start, end) in enumerate(intervals):
        params |= {
            f"before_{i}": end + timedelta(days=1),
            f"ends_after_{i}": start - timedelta(days=1),
        }
    statement = statements.busy(dialect, len(intervals))
    for trainer_id, starts_at, ends_at in db.session.execute(statement, params):
        facts[trainer_id].busy.append((starts_at, ends_at))
    for trainer in facts.values():
        if trainer.busy:
            trainer.busy = merged(trainer.busy)


def _count_months(
    facts: dict[int, TrainerFacts],
    dialect: str,
    ids: dict,
    ignoring: bool,
    starts_at: datetime,
    ends_at: datetime,
) -> None:
    """Sessions per trainer in each local month of the span, counted in SQL."""
    starts = [_local_month_start(starts_at)]
    while starts[-1] < ends_at:
        starts.append(_next_local_month_start(starts[-1]))
    months = [local_month(start) for start in starts[:-1]]
    statement = statements.month_counts(dialect, len(months), ignoring)
    params = ids | {f"month_{i}": start for i, start in enumerate(starts)}
    for trainer_id, *counts in db.session.execute(statement, params):
        facts[trainer_id].sessions_by_month = {
            month: int(n) for month, n in zip(months, counts, strict=True) if n
        }


def load_load_facts(
    trainer_ids: Collection[int], group_id: int | None, now: datetime
) -> dict[int, LoadFacts]:
    """Recent sessions, all sessions, sessions with this group and recent days off."""
    if not trainer_ids:
        return {}
    dialect = _dialect()
    ids = {"ids": list(trainer_ids)}
    since = now - timedelta(days=current_app.config["LOAD_WINDOW_DAYS"])
    counts = {
        trainer_id: (int(r or 0), int(t or 0), int(g or 0))
        for trainer_id, r, t, g in db.session.execute(
            statements.load_counts(dialect),
            ids | {"since": since, "now": now, "group_id": group_id},
        )
    }
    days_off: dict[int, int] = defaultdict(int)
    today, start = to_local(now).date(), to_local(since).date()
    for trainer_id, first_on, last_on in _days_off(dialect, ids, start, today):
        days_off[trainer_id] += (min(last_on, today) - max(first_on, start)).days + 1
    return {
        trainer_id: LoadFacts(*counts.get(trainer_id, (0, 0, 0)), days_off[trainer_id])
        for trainer_id in ids["ids"]
    }


def network_recent_average(now: datetime) -> float:
    """Sessions per active trainer over the load window, across the whole network."""
    since = now - timedelta(days=current_app.config["LOAD_WINDOW_DAYS"])
    sessions, trainers = db.session.execute(
        statements.network_load(), {"since": since, "now": now}
    ).one()
    return sessions / trainers if trainers else 0.0


def _local_month_start(moment: datetime) -> datetime:
    local = to_local(moment)
    return local_to_utc(date(local.year, local.month, 1), time(0))


def _next_local_month_start(moment: datetime) -> datetime:
    local = to_local(moment)
    year, month = (
        (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    )
    return local_to_utc(date(year, month, 1), time(0))
