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
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Subquery,
    and_,
    any_,
    bindparam,
    case,
    func,
    or_,
    select,
)

from trainers.auth.models import User
from trainers.busy.models import BusyFeed, BusyInterval
from trainers.busy.parsing import merged
from trainers.extensions import db
from trainers.matching.rules import (
    Booking,
    TrainerFacts,
    TravelSettings,
    Venue,
    local_month,
)
from trainers.profiles.models import (
    AvailabilityWindow,
    DayOff,
    TrainerProfile,
    TrainerTopic,
)
from trainers.sessions.models import (
    OCCUPYING,
    TrainingSession,
    worked_in,
)
from trainers.timeutil import local_to_utc, to_local, utcnow

KM_PER_DEGREE = 111.2


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


def one_of(column, ids: list[int]):
    """SQL: column is one of ids. On PostgreSQL one array parameter keeps the
    statement's text the same for any number of ids, so it is prepared once."""
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer), unique=True))
    return column.in_(ids)


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
    query = (
        select(TrainerProfile.user_id)
        .join(User, User.id == TrainerProfile.user_id)
        .join(
            TrainerTopic,
            and_(
                TrainerTopic.trainer_id == TrainerProfile.user_id,
                TrainerTopic.topic_id == topic_id,
            ),
        )
        .where(User.is_active, TrainerTopic.level.in_(levels))
    )
    if free_at:
        query = query.where(
            or_(*(_window_covers(start, end) for start, end in free_at))
        )
    if not venue.is_online:
        km_lat = (TrainerProfile.latitude - venue.latitude) * KM_PER_DEGREE
        km_lon = (
            (TrainerProfile.longitude - venue.longitude)
            * KM_PER_DEGREE
            * math.cos(math.radians(venue.latitude))
        )
        reach = TrainerProfile.travel_radius_km * 1.02 + 2
        query = query.where(
            TrainerProfile.latitude.is_not(None),
            km_lat * km_lat + km_lon * km_lon <= reach * reach,
        )
    return list(db.session.scalars(query))


def _window_covers(starts_at: datetime, ends_at: datetime):
    """SQL: the trainer has a weekly window holding this slot on the London clock."""
    start, end = to_local(starts_at), to_local(ends_at)
    return (
        select(AvailabilityWindow.id)
        .where(
            AvailabilityWindow.trainer_id == TrainerProfile.user_id,
            AvailabilityWindow.weekday == start.weekday(),
            AvailabilityWindow.start_time <= start.time(),
            AvailabilityWindow.end_time >= end.time(),
        )
        .exists()
    )


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
    ids = list(trainer_ids)
    facts, names = _profiles(ids, topic_id)
    _add_windows(facts, ids)
    _add_days_off(facts, ids, to_local(starts_at).date(), to_local(ends_at).date())
    worked = worked_by(ids)
    others = (
        [] if ignore_session_id is None else [worked.c.session_id != ignore_session_id]
    )
    _count_months(facts, worked, others, starts_at, ends_at)
    _add_bookings(facts, worked, others, around or [(starts_at, ends_at)])
    _add_busy(facts, ids, around or [(starts_at, ends_at)])
    return facts, names


def _profiles(
    ids: list[int], topic_id: int
) -> tuple[dict[int, TrainerFacts], dict[int, str]]:
    """Each trainer's profile and level in the topic, and whether their own
    calendar is unknown, with no windows, days off or bookings yet; and their
    names."""
    facts: dict[int, TrainerFacts] = {}
    names: dict[int, str] = {}
    stale = timedelta(hours=current_app.config["BUSY_STALE_HOURS"])
    rows = db.session.execute(
        select(
            TrainerProfile.user_id,
            User.name,
            User.is_active,
            TrainerTopic.level,
            TrainerProfile.latitude,
            TrainerProfile.longitude,
            TrainerProfile.travel_radius_km,
            TrainerProfile.monthly_cap,
            BusyFeed.unknown(utcnow(), stale),
        )
        .join(User, User.id == TrainerProfile.user_id)
        .outerjoin(
            TrainerTopic,
            and_(
                TrainerTopic.trainer_id == TrainerProfile.user_id,
                TrainerTopic.topic_id == topic_id,
            ),
        )
        .outerjoin(BusyFeed, BusyFeed.trainer_id == TrainerProfile.user_id)
        .where(one_of(TrainerProfile.user_id, ids))
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


def _add_windows(facts: dict[int, TrainerFacts], ids: list[int]) -> None:
    """Each trainer's weekly availability windows."""
    for trainer_id, weekday, opens, closes in db.session.execute(
        select(
            AvailabilityWindow.trainer_id,
            AvailabilityWindow.weekday,
            AvailabilityWindow.start_time,
            AvailabilityWindow.end_time,
        ).where(one_of(AvailabilityWindow.trainer_id, ids))
    ):
        facts[trainer_id].windows.append((weekday, opens, closes))


def _add_days_off(
    facts: dict[int, TrainerFacts], ids: list[int], first_day: date, last_day: date
) -> None:
    """Each trainer's days off that touch [first_day, last_day]."""
    for trainer_id, first_on, last_on in db.session.execute(
        select(DayOff.trainer_id, DayOff.first_on, DayOff.last_on).where(
            one_of(DayOff.trainer_id, ids),
            DayOff.first_on <= last_day,
            DayOff.last_on >= first_day,
        )
    ):
        facts[trainer_id].days_off.append((first_on, last_on))


def _add_bookings(
    facts: dict[int, TrainerFacts],
    worked: Subquery,
    others: list,
    intervals: Sequence[tuple[datetime, datetime]],
) -> None:
    """Each trainer's sessions, whatever their place, within a day of an interval."""
    longest = timedelta(hours=current_app.config["MAX_SLOT_HOURS"])
    near = [
        and_(
            worked.c.starts_at < end + timedelta(days=1),
            # A lower bound on starts_at too, so the (trainer_id, starts_at)
            # index reads a short range rather than each trainer's history.
            worked.c.starts_at > start - timedelta(days=1) - longest,
            worked.c.ends_at > start - timedelta(days=1),
        )
        for start, end in intervals
    ]
    for row in db.session.execute(select(worked).where(*others, or_(*near))):
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
    ids: list[int],
    intervals: Sequence[tuple[datetime, datetime]],
) -> None:
    """Each trainer's busy times from their own calendar within a day of an
    interval (a day either side covers any travel), in order and merged where
    they overlap, as the rule reads them."""
    near = [
        and_(
            BusyInterval.starts_at < end + timedelta(days=1),
            BusyInterval.ends_at > start - timedelta(days=1),
        )
        for start, end in intervals
    ]
    for trainer_id, starts_at, ends_at in db.session.execute(
        select(BusyInterval.trainer_id, BusyInterval.starts_at, BusyInterval.ends_at)
        .where(one_of(BusyInterval.trainer_id, ids), or_(*near))
        .order_by(BusyInterval.starts_at)
    ):
        facts[trainer_id].busy.append((starts_at, ends_at))
    for trainer in facts.values():
        if trainer.busy:
            trainer.busy = merged(trainer.busy)


def _count_months(
    facts: dict[int, TrainerFacts],
    worked: Subquery,
    others: list,
    starts_at: datetime,
    ends_at: datetime,
) -> None:
    """Sessions per trainer in each local month of the span, counted in SQL."""
    months = []
    month_start = _local_month_start(starts_at)
    while month_start < ends_at:
        next_start = _next_local_month_start(month_start)
        months.append((local_month(month_start), month_start, next_start))
        month_start = next_start
    counted = [
        func.sum(
            case(
                (
                    and_(worked.c.starts_at >= first, worked.c.starts_at < after),
                    1,
                ),
                else_=0,
            )
        )
        for _, first, after in months
    ]
    for trainer_id, *counts in db.session.execute(
        select(worked.c.trainer_id, *counted)
        .where(
            *others,
            worked.c.starts_at >= months[0][1],
            worked.c.starts_at < months[-1][2],
        )
        .group_by(worked.c.trainer_id)
    ):
        facts[trainer_id].sessions_by_month = {
            month: int(n) for (month, _, _), n in zip(months, counts, strict=True) if n
        }


def load_load_facts(
    trainer_ids: Collection[int], group_id: int | None, now: datetime
) -> dict[int, LoadFacts]:
    """Recent sessions, all sessions, sessions with this group and recent days off."""
    if not trainer_ids:
        return {}
    ids = list(trainer_ids)
    window = timedelta(days=current_app.config["LOAD_WINDOW_DAYS"])
    since = now - window
    worked = worked_by(ids)
    recent = case(
        (and_(worked.c.starts_at >= since, worked.c.starts_at < now), 1),
        else_=0,
    )
    with_group = case((worked.c.group_id == group_id, 1), else_=0)
    counts = {
        trainer_id: (int(r or 0), int(t or 0), int(g or 0))
        for trainer_id, r, t, g in db.session.execute(
            select(
                worked.c.trainer_id,
                func.sum(recent),
                func.count(),
                func.sum(with_group),
            ).group_by(worked.c.trainer_id)
        )
    }
    days_off: dict[int, int] = defaultdict(int)
    today, start = to_local(now).date(), to_local(since).date()
    for trainer_id, first_on, last_on in db.session.execute(
        select(DayOff.trainer_id, DayOff.first_on, DayOff.last_on).where(
            one_of(DayOff.trainer_id, ids),
            DayOff.first_on <= today,
            DayOff.last_on >= start,
        )
    ):
        days_off[trainer_id] += (min(last_on, today) - max(first_on, start)).days + 1
    return {
        trainer_id: LoadFacts(*counts.get(trainer_id, (0, 0, 0)), days_off[trainer_id])
        for trainer_id in ids
    }


def network_recent_average(now: datetime) -> float:
    """Sessions per active trainer over the load window, across the whole network."""
    since = now - timedelta(days=current_app.config["LOAD_WINDOW_DAYS"])
    sessions, trainers = db.session.execute(
        select(
            select(func.count())
            .select_from(TrainingSession)
            .where(
                TrainingSession.status.in_(OCCUPYING),
                TrainingSession.starts_at >= since,
                TrainingSession.starts_at < now,
            )
            .scalar_subquery(),
            select(func.count())
            .select_from(TrainerProfile)
            .join(User, User.id == TrainerProfile.user_id)
            .where(User.is_active)
            .scalar_subquery(),
        )
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
