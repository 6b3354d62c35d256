"""A session drawn as a calendar event, the same from an invite and from a feed:
who organises every event, and the link back to the session."""

import functools
from email.utils import parseaddr

from flask import current_app

from trainers.calendar import ical
from trainers.links import absolute_url
from trainers.sessions.models import SessionStatus

Reach = tuple[str, str, str | None]  # a person's name, email and phone


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


def draw_event(
    training_session,
    topic: str,
    group: str,
    trainer: str,
    co_trainers: tuple[str, ...],
    headcount: int | None,
    access_needs: str | None,
    notes: str | None,
    trainer_contact: Reach | None,
    organiser_contacts: list[Reach],
    attendees: tuple[ical.Person, ...] = (),
) -> ical.SessionEvent:
    """The event of a session, whose other names are passed in."""
    # `training_session` is a TrainingSession or a feed row carrying the same
    # names: every session column an event shows is read here, and only here;
    # the rest is passed in, from the ORM (services.session_event) or from the
    # feed's row (feed.feed_body). Contacts are of working accounts only, as
    # for email.
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
        co_trainers=co_trainers,
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
    prefix = link_prefix(current_app.url_map, current_app.config["BASE_URL"])
    return f"{prefix}{session_id}"


@functools.lru_cache(maxsize=8)
def link_prefix(url_map, base_url: str) -> str:
    """A session's link but its id, for this app's URL map and base URL."""
    prefix = absolute_url("sessions.show", session_id=1).removesuffix("1")
    if absolute_url("sessions.show", session_id=23) != f"{prefix}23":
        raise RuntimeError("a session's link does not end with its id")
    return prefix
