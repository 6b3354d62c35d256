"""Busy times from an iCalendar feed: repeating events expanded, and only the
times kept.

An event is busy unless it says it is free: `TRANSP:TRANSPARENT`, or
Outlook's `X-MICROSOFT-CDO-BUSYSTATUS:FREE`; all-day events follow the same
rule. Cancelled events and instances (`STATUS:CANCELLED`, an `EXDATE`, an
instance moved by a `RECURRENCE-ID` override) are not busy. Times with no zone
(floating, and all-day dates) are taken on the London clock.
"""

from datetime import UTC, date, datetime, time

import icalendar
import recurring_ical_events
import x_wr_timezone

from trainers.busy.fetching import FeedError
from trainers.timeutil import LONDON

FREE_STATUSES = {"FREE"}


def busy_intervals(
    ics: bytes, start: datetime, end: datetime, max_intervals: int
) -> list[tuple[datetime, datetime]]:
    """The busy times overlapping [start, end), in UTC, merged where they touch
    or overlap. Raises FeedError for a file that is not iCalendar, or that
    holds more than `max_intervals` busy times."""
    try:
        calendar = icalendar.Calendar.from_ical(ics)
        # Times with no zone in a feed that names its X-WR-TIMEZONE (Google's,
        # Nextcloud's) are that zone's.
        calendar = x_wr_timezone.to_standard(calendar)
        events = recurring_ical_events.of(calendar).after(start)
        found = []
        for event in events:
            starts_at, ends_at = _utc(event.start), _utc(event.end)
            if starts_at >= end:
                break
            if ends_at <= starts_at or not _is_busy(event):
                continue
            found.append((max(starts_at, start), min(ends_at, end)))
            if len(found) > max_intervals:
                raise FeedError(
                    f"The calendar has more than {max_intervals} busy times in "
                    "the months ahead."
                )
    except FeedError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as error:
        raise FeedError(
            f"The address does not give an iCalendar file ({type(error).__name__})."
        ) from None
    return merged(found)


def merged(
    intervals: list[tuple[datetime, datetime]],
) -> list[tuple[datetime, datetime]]:
    """The intervals sorted, those that touch or overlap made one."""
    result: list[tuple[datetime, datetime]] = []
    for starts_at, ends_at in sorted(intervals):
        if result and starts_at <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], ends_at))
        else:
            result.append((starts_at, ends_at))
    return result


def _is_busy(event: icalendar.Event) -> bool:
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    status = str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper()
    return status not in FREE_STATUSES


def _utc(moment: date | datetime) -> datetime:
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return moment.astimezone(UTC)
