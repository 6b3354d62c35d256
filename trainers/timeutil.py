"""UTC storage and Europe/London display: the one place that knows about clocks."""

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

LONDON = ZoneInfo("Europe/London")


class LocalTimeError(ValueError):
    """A local date and time that the Europe/London clock never shows."""


def utcnow() -> datetime:
    """The current time as an aware UTC datetime: the app's CLOCK setting when one is
    set (tests move it), else the real clock. Called on hot paths, so kept cheap."""
    if has_app_context() and (clock := current_app.config.get("CLOCK")) is not None:
        return clock()
    return datetime.now(UTC)


def to_local(moment: datetime) -> datetime:
    """An aware datetime shown on the Europe/London clock."""
    return moment.astimezone(LONDON)


def local_to_utc(day: date, clock: time) -> datetime:
    """The UTC instant of a Europe/London wall-clock time.

    Raises LocalTimeError for times skipped when the clocks go forward. In the
    repeated hour when they go back, the first (BST) occurrence is taken.
    """
    local = datetime.combine(day, clock, tzinfo=LONDON)
    moment = local.astimezone(UTC)
    if moment.astimezone(LONDON).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise LocalTimeError(
            f"{clock:%H:%M} does not exist on {day:%-d %B %Y} in the UK: "
            "the clocks go forward an hour that night."
        )
    return moment


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC; naive datetimes are refused so none slip in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given for a UTC column")
        moment = value.astimezone(UTC)
        # SQLite has no time zones: store the UTC wall time without an offset.
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# English names, whatever the server's locale (strftime's %a and %b follow it),
# and written out rather than by strftime, which cost twice as much: a list
# page formats a few dozen dates.
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def _day(day: date) -> str:
    return f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def format_datetime(moment: datetime | None) -> str:
    """'Tue 3 Mar 2026, 18:00' on the Europe/London clock."""
    if moment is None:
        return ""
    local = to_local(moment)
    return f"{_day(local)}, {local.hour:02}:{local.minute:02}"


def format_date(day: date | datetime | None) -> str:
    """'Tue 3 Mar 2026'; a datetime is first put on the Europe/London clock."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = to_local(day)
    return _day(day)


def format_time(moment: datetime | None) -> str:
    """'18:00' on the Europe/London clock."""
    if moment is None:
        return ""
    local = to_local(moment)
    return f"{local.hour:02}:{local.minute:02}"


def duration_in_words(span: timedelta) -> str:
    """A span as people say it, rounded up past a minute to whole minutes:
    "30 seconds", "5 minutes", "1 hour 30 minutes", "14 days"."""
    seconds = math.ceil(span.total_seconds())
    if seconds < 60:
        return _count(seconds, "second")
    minutes = math.ceil(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    if days and not rest:
        return _count(days, "day")
    hours, minutes = divmod(minutes, 60)
    parts = [_count(hours, "hour")] if hours else []
    if minutes or not hours:
        parts.append(_count(minutes, "minute"))
    return " ".join(parts)


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"
