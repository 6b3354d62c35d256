"""The statements behind `facts.py`, each built once for its shape (the
dialect, how many slots or months): candidate lists are held to a target in
bench/matching.py, and there building these statements and their cache keys
cost more than running them. Everything that differs between calls is bound
when it runs, under the names each builder's docstring gives."""

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Float,
    Integer,
    Select,
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
from trainers.profiles.models import (
    AvailabilityWindow,
    DayOff,
    TrainerProfile,
    TrainerTopic,
)
from trainers.sessions.models import OCCUPYING, TrainingSession, worked_in
from trainers.statements import built_once

KM_PER_DEGREE = 111.2


def among_ids(
    column, dialect: str, ids: list[int] | None = None
) -> ColumnElement[bool]:
    """SQL: column is one of the ids bound as `ids`, or of `ids` when given
    (bound under a name of their own). On PostgreSQL one array parameter keeps
    the statement's text the same for any number of ids, so it is prepared once."""
    own = ids is not None
    if dialect == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer), unique=own))
    return column.in_(bindparam("ids", ids, expanding=True, unique=own))


@built_once
def in_reach(
    dialect: str, levels: tuple[str, ...], windows: int, online: bool
) -> Select:
    """Active trainers at one of `levels` in topic `topic_id`; with `windows`,
    a weekly window holding one of the slots (`weekday_i`, `opens_i`,
    `closes_i` on the London clock); unless `online`, whose radius may reach
    (`lat`, `lon`, `km_per_lon`), by a flat-earth distance with a margin."""
    query = (
        select(TrainerProfile.user_id)
        .join(User, User.id == TrainerProfile.user_id)
        .join(TrainerTopic, _their_topic())
        .where(User.is_active, TrainerTopic.level.in_(levels))
    )
    if windows:
        query = query.where(or_(*(_window_holds(i) for i in range(windows))))
    if not online:
        km_lat = (TrainerProfile.latitude - bindparam("lat", type_=Float)) * (
            KM_PER_DEGREE
        )
        km_lon = (TrainerProfile.longitude - bindparam("lon", type_=Float)) * (
            bindparam("km_per_lon", type_=Float)
        )
        reach = TrainerProfile.travel_radius_km * 1.02 + 2
        query = query.where(
            TrainerProfile.latitude.is_not(None),
            km_lat * km_lat + km_lon * km_lon <= reach * reach,
        )
    return query


def _their_topic() -> ColumnElement[bool]:
    """SQL: the trainer's row for topic `topic_id`."""
    return and_(
        TrainerTopic.trainer_id == TrainerProfile.user_id,
        TrainerTopic.topic_id == bindparam("topic_id"),
    )


def _window_holds(i: int) -> ColumnElement[bool]:
    return (
        select(AvailabilityWindow.id)
        .where(
            AvailabilityWindow.trainer_id == TrainerProfile.user_id,
            AvailabilityWindow.weekday == bindparam(f"weekday_{i}"),
            AvailabilityWindow.start_time <= bindparam(f"opens_{i}"),
            AvailabilityWindow.end_time >= bindparam(f"closes_{i}"),
        )
        .exists()
    )


@built_once
def profiles(dialect: str) -> Select:
    """Each trainer's profile, level in `topic_id`, and whether their own
    calendar is unknown (not read since `read_before`)."""
    return (
        select(
            TrainerProfile.user_id,
            User.name,
            User.is_active,
            TrainerTopic.level,
            TrainerProfile.latitude,
            TrainerProfile.longitude,
            TrainerProfile.travel_radius_km,
            TrainerProfile.monthly_cap,
            BusyFeed.unknown(bindparam("read_before")),
        )
        .join(User, User.id == TrainerProfile.user_id)
        .outerjoin(TrainerTopic, _their_topic())
        .outerjoin(BusyFeed, BusyFeed.trainer_id == TrainerProfile.user_id)
        .where(among_ids(TrainerProfile.user_id, dialect))
    )


@built_once
def windows(dialect: str) -> Select:
    """Each trainer's weekly availability windows."""
    return select(
        AvailabilityWindow.trainer_id,
        AvailabilityWindow.weekday,
        AvailabilityWindow.start_time,
        AvailabilityWindow.end_time,
    ).where(among_ids(AvailabilityWindow.trainer_id, dialect))


@built_once
def days_off(dialect: str) -> Select:
    """Each trainer's days off that touch [`first_day`, `last_day`]."""
    return select(DayOff.trainer_id, DayOff.first_on, DayOff.last_on).where(
        among_ids(DayOff.trainer_id, dialect),
        DayOff.first_on <= bindparam("last_day"),
        DayOff.last_on >= bindparam("first_day"),
    )


def _worked(dialect: str, ignoring: bool):
    """The sessions that occupy the trainers, whatever their place, but
    `ignore_session_id` when `ignoring`; and the conditions that leave it out."""
    worked = worked_in(lambda trainer_id: among_ids(trainer_id, dialect))
    others = [worked.c.session_id != bindparam("ignore_session_id")] if ignoring else []
    return worked, others


@built_once
def month_counts(dialect: str, months: int, ignoring: bool) -> Select:
    """Sessions per trainer in each of `months` months, the i-th from
    `month_i` to `month_{i+1}`."""
    worked, others = _worked(dialect, ignoring)
    counted = [
        func.sum(
            case(
                (
                    and_(
                        worked.c.starts_at >= bindparam(f"month_{i}"),
                        worked.c.starts_at < bindparam(f"month_{i + 1}"),
                    ),
                    1,
                ),
                else_=0,
            )
        )
        for i in range(months)
    ]
    return (
        select(worked.c.trainer_id, *counted)
        .where(
            *others,
            worked.c.starts_at >= bindparam("month_0"),
            worked.c.starts_at < bindparam(f"month_{months}"),
        )
        .group_by(worked.c.trainer_id)
    )


@built_once
def bookings(dialect: str, intervals: int, ignoring: bool) -> Select:
    """Each trainer's sessions, whatever their place, that start before
    `before_i` and after `after_i` and end after `ends_after_i` for an i."""
    worked, others = _worked(dialect, ignoring)
    near = [
        and_(
            worked.c.starts_at < bindparam(f"before_{i}"),
            # A lower bound on starts_at too, so the (trainer_id, starts_at)
            # index reads a short range rather than each trainer's history.
            worked.c.starts_at > bindparam(f"after_{i}"),
            worked.c.ends_at > bindparam(f"ends_after_{i}"),
        )
        for i in range(intervals)
    ]
    return select(worked).where(*others, or_(*near))


@built_once
def busy(dialect: str, intervals: int) -> Select:
    """Each trainer's busy times that start before `before_i` and end after
    `ends_after_i` for an i, in order."""
    near = [
        and_(
            BusyInterval.starts_at < bindparam(f"before_{i}"),
            BusyInterval.ends_at > bindparam(f"ends_after_{i}"),
        )
        for i in range(intervals)
    ]
    return (
        select(BusyInterval.trainer_id, BusyInterval.starts_at, BusyInterval.ends_at)
        .where(among_ids(BusyInterval.trainer_id, dialect), or_(*near))
        .order_by(BusyInterval.starts_at)
    )


@built_once
def load_counts(dialect: str) -> Select:
    """Per trainer: sessions from `since` to `now`, sessions in all, and
    sessions with group `group_id`."""
    worked, _ = _worked(dialect, False)
    recent = case(
        (
            and_(
                worked.c.starts_at >= bindparam("since"),
                worked.c.starts_at < bindparam("now"),
            ),
            1,
        ),
        else_=0,
    )
    with_group = case((worked.c.group_id == bindparam("group_id"), 1), else_=0)
    return select(
        worked.c.trainer_id,
        func.sum(recent),
        func.count(),
        func.sum(with_group),
    ).group_by(worked.c.trainer_id)


@built_once
def network_load() -> Select:
    """Sessions from `since` to `now` across the network, and active trainers."""
    return select(
        select(func.count())
        .select_from(TrainingSession)
        .where(
            TrainingSession.status.in_(OCCUPYING),
            TrainingSession.starts_at >= bindparam("since"),
            TrainingSession.starts_at < bindparam("now"),
        )
        .scalar_subquery(),
        select(func.count())
        .select_from(TrainerProfile)
        .join(User, User.id == TrainerProfile.user_id)
        .where(User.is_active)
        .scalar_subquery(),
    )
