"""iCalendar for sessions: invites (iTIP REQUEST and CANCEL), feeds and downloads.

Pure functions of their arguments. Every time is written in UTC (a trailing Z):
VTIMEZONE blocks with RDATE lists are read wrongly by Outlook and ical.js, and
floating times land at the wrong hour. Identical input gives identical bytes.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from icalendar import Calendar, Event, vCalAddress, vDuration, vText

PRODID = "-//Trainers' Network//Sessions//EN"
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class SessionEvent:
    """What a calendar needs to know about one session."""

    uid: str
    sequence: int
    stamp: datetime  # when this version of the session was made (DTSTAMP)
    starts_at: datetime
    ends_at: datetime
    topic: str
    group: str
    trainer: str
    shadows: tuple[str, ...]
    is_online: bool
    address: str
    postcode: str | None
    link: str
    is_cancelled: bool
    attendees: tuple[Person, ...] = ()


def invite(event: SessionEvent, method: str, organizer: Person) -> bytes:
    """An iTIP message: METHOD:REQUEST (new or changed) or METHOD:CANCEL."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method}")
    return _with_events(_calendar(method), [_event_bytes(event, organizer, True)])


def feed(
    name: str, identity: str, events: Iterable[SessionEvent], organizer: Person
) -> bytes:
    """A subscription feed (METHOD:PUBLISH) with a stable identity and refresh hints."""
    calendar = _calendar("PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("uid", identity)
    calendar.add("refresh-interval", HOUR, parameters={"VALUE": "DURATION"})
    # An X- property has no known type: say it is a DURATION, or it prints as "1:00:00".
    calendar.add("x-published-ttl", vDuration(HOUR))
    # iTIP forbids attendees in PUBLISH; the people are named in DESCRIPTION.
    return _with_events(calendar, [_event_bytes(e, organizer, False) for e in events])


def _with_events(calendar: Calendar, events: list[bytes]) -> bytes:
    end = b"END:VCALENDAR\r\n"
    head = calendar.to_ical()
    return head[: -len(end)] + b"".join(events) + end


@lru_cache(maxsize=20_000)
def _event_bytes(event: SessionEvent, organizer: Person, with_attendees: bool) -> bytes:
    # Keyed on everything the event is drawn from, so a changed session is a new
    # key and nothing stale is ever served; repeat feed polls skip the slow folding.
    return _event(event, organizer, with_attendees).to_ical()


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _event(event: SessionEvent, organizer: Person, with_attendees: bool) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", event.stamp.astimezone(UTC))
    vevent.add("dtstart", event.starts_at.astimezone(UTC))
    vevent.add("dtend", event.ends_at.astimezone(UTC))
    vevent.add("summary", f"{event.topic}: {event.group}")
    vevent.add("location", _where(event))
    vevent.add("description", _description(event))
    vevent.add("url", event.link)
    vevent.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    vevent.add("transp", "TRANSPARENT" if event.is_cancelled else "OPAQUE")
    vevent.add("organizer", _address(organizer, organizer_role=True))
    if with_attendees:
        for person in event.attendees:
            vevent.add("attendee", _address(person))
    return vevent


def _where(event: SessionEvent) -> str:
    if event.is_online:
        return "Online"
    place = ", ".join(
        line.strip() for line in event.address.splitlines() if line.strip()
    )
    return ", ".join(part for part in (place, event.postcode or "") if part)


def _description(event: SessionEvent) -> str:
    lines = [
        f"{event.topic} for {event.group}.",
        f"Trainer: {event.trainer}",
    ]
    if event.shadows:
        lines.append("Shadowing: " + ", ".join(event.shadows))
    if event.is_online:
        lines.append("Where: online")
    else:
        lines.append("Where: " + "\n".join(event.address.splitlines()))
        if event.postcode:
            lines.append(event.postcode)
    lines += ["", f"Details and changes: {event.link}"]
    return "\n".join(lines)


def _address(person: Person, organizer_role: bool = False) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    # libical shows RFC 6868's ^' escape literally; a plain apostrophe reads the same.
    address.params["cn"] = vText(person.name.replace('"', "'"))
    if not organizer_role:
        address.params["role"] = "REQ-PARTICIPANT"
        address.params["partstat"] = "NEEDS-ACTION"
        address.params["rsvp"] = "TRUE"
    return address
