"""iCalendar for sessions: invites (iTIP REQUEST and CANCEL), feeds and downloads.

Pure functions of their arguments. Every time is written in UTC (a trailing Z):
VTIMEZONE blocks with RDATE lists are read wrongly by Outlook and ical.js, and
floating times land at the wrong hour. Identical input gives identical bytes.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vDuration, vText

PRODID = "-//Trainers' Network//Sessions//EN"
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Person:
    name: str  # "" for none: the address alone
    email: str


@dataclass(frozen=True)
class Contact:
    """Someone on a session, as the others reach them."""

    role: str  # "trainer" or "organiser"
    name: str
    email: str
    phone: str | None = None


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
    co_trainers: tuple[str, ...]  # by name, "(shadowing)" after a shadowing one
    is_online: bool
    address: str
    postcode: str | None
    link: str  # the session's page
    is_cancelled: bool
    attendees: tuple[Person, ...] = ()
    meeting_url: str | None = None  # an online session's meeting link
    headcount: int | None = None  # how many people the group expects
    access_needs: str = ""
    notes: str = ""
    contacts: tuple[Contact, ...] = ()  # the trainer's, then the organisers'


def invite(event: SessionEvent, method: str, organizer: Person) -> bytes:
    """An iTIP message: METHOD:REQUEST (new or changed) or METHOD:CANCEL."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method}")
    return _with_events(_calendar(method), [_event(event, organizer, True).to_ical()])


def feed(
    name: str, identity: str, events: Iterable[SessionEvent], organizer: Person
) -> bytes:
    """A subscription feed (METHOD:PUBLISH) with a stable identity and refresh hints."""
    return publish(name, identity, [published_event(e, organizer) for e in events])


def published_event(event: SessionEvent, organizer: Person) -> bytes:
    """One event's VEVENT as a feed publishes it (no attendees), for `publish`."""
    return _event(event, organizer, False).to_ical()


def publish(name: str, identity: str, events: Iterable[bytes]) -> bytes:
    """A feed of events drawn by `published_event` (which a caller may keep)."""
    calendar = _calendar("PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("uid", identity)
    calendar.add("refresh-interval", HOUR, parameters={"VALUE": "DURATION"})
    # An X- property has no known type: say it is a DURATION, or it prints as "1:00:00".
    calendar.add("x-published-ttl", vDuration(HOUR))
    # iTIP forbids attendees in PUBLISH; the people are named in DESCRIPTION.
    return _with_events(calendar, events)


def _with_events(calendar: Calendar, events: Iterable[bytes]) -> bytes:
    end = b"END:VCALENDAR\r\n"
    head = calendar.to_ical()
    return head[: -len(end)] + b"".join(events) + end


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
    # The meeting link is what an online session's attendees open: calendar
    # clients offer URL (and a LOCATION that is a link) as the way to join.
    vevent.add("url", _meeting_link(event) or event.link)
    vevent.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    vevent.add("transp", "TRANSPARENT" if event.is_cancelled else "OPAQUE")
    vevent.add("organizer", _address(organizer, organizer_role=True))
    if with_attendees:
        for person in event.attendees:
            vevent.add("attendee", _address(person))
    return vevent


def _where(event: SessionEvent) -> str:
    if event.is_online:
        return _meeting_link(event) or "Online"
    place = ", ".join(
        line.strip() for line in event.address.splitlines() if line.strip()
    )
    return ", ".join(part for part in (place, event.postcode or "") if part)


def _meeting_link(event: SessionEvent) -> str | None:
    return event.meeting_url if event.is_online else None


def _description(event: SessionEvent) -> str:
    lines = [
        f"{event.topic} for {event.group}.",
        f"Trainer: {event.trainer}",
    ]
    if event.co_trainers:
        lines.append("Co-trainers: " + ", ".join(event.co_trainers))
    if event.is_online:
        lines.append("Where: Online")
        lines.append(f"Meeting link: {_meeting_link(event) or 'to follow'}")
    else:
        lines.append("Where: " + "\n".join(event.address.splitlines()))
        if event.postcode:
            lines.append(event.postcode)
    if event.headcount is not None:
        people = "person" if event.headcount == 1 else "people"
        lines.append(f"About {event.headcount} {people}.")
    if event.access_needs.strip():
        lines.append(f"Access needs: {event.access_needs.strip()}")
    if event.notes.strip():
        lines.append(f"Notes: {event.notes.strip()}")
    if event.contacts:
        lines += ["", "Contacts:"]
        lines += [_contact(contact) for contact in event.contacts]
    lines += ["", f"Details and changes: {event.link}"]
    return "\n".join(lines)


def _contact(contact: Contact) -> str:
    reach = ", ".join(part for part in (contact.email, contact.phone) if part)
    return f"{contact.name} ({contact.role}): {reach}"


def _address(person: Person, organizer_role: bool = False) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        # libical shows RFC 6868's ^' escape literally; a plain apostrophe
        # reads the same.
        address.params["cn"] = vText(person.name.replace('"', "'"))
    if not organizer_role:
        address.params["role"] = "REQ-PARTICIPANT"
        # Replies are not read, so nobody is asked for one: everyone on a
        # session is on it already. RSVP=TRUE with NEEDS-ACTION would have
        # clients ask each person to answer, and send the answer nowhere.
        address.params["partstat"] = "ACCEPTED"
    return address
