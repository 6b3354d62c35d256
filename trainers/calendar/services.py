"""Calendar invites by email and .ics downloads for one session, and who gets them."""

import logging
from dataclasses import replace

from trainers import mail
from trainers.auth.models import User
from trainers.calendar import ical
from trainers.calendar.events import draw_event, organizer
from trainers.links import absolute_url
from trainers.sessions.models import TrainingSession

logger = logging.getLogger(__name__)


def participants(training_session: TrainingSession) -> list[User]:
    """Everyone on the session with a working account: trainer, the group's
    organisers (deactivated or erased accounts get no mail)."""
    return _reachable([*trainers_of(training_session), *organisers(training_session)])


def trainers_of(training_session: TrainingSession) -> list[User]:
    """The session's trainers, lead and co-trainers, with a working account."""
    return _reachable([training_session.trainer, *co_trainers(training_session)])


def co_trainers(training_session: TrainingSession) -> list[User]:
    """The trainers beside the session's lead with a working account."""
    return _reachable([place.trainer for place in training_session.co_trainers])


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
    return draw_event(
        training_session,
        topic=training_session.topic.name,
        group=training_session.group.name,
        trainer=trainer.name,
        # Sorted, as a feed draws them.
        co_trainers=tuple(
            sorted(
                place.trainer.name + (" (shadowing)" if place.is_shadowing else "")
                for place in training_session.co_trainers
            )
        ),
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
