"""A session with co-trainers as real calendar clients read its invites
(Mozilla's ical.js and libical): every trainer an ATTENDEE, each change of who
trains a later SEQUENCE of the one event for everyone on it, and a CANCEL for
the one who left."""

from sqlalchemy import select

from tests import calendar_parsers
from tests.booking.conftest import (
    NOW,
    accept,
    ask,
    world,  # noqa: F401 - the booking tests' world
)
from tests.booking.test_co_trainers import needs, trainer
from trainers.extensions import db
from trainers.matching import answers
from trainers.matching.models import Offer

calendar_parsers.require_parsers()


def invite(mailbox, person) -> tuple[str, dict]:
    """The METHOD and each parser's one event of the person's latest invite."""
    message = mailbox.to(person.email)[-1]
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    readings = calendar_parsers.parse_with_all(part.get_payload(decode=True))
    events = {}
    for parser, reading in readings.items():
        assert calendar_parsers.problems(reading) == [], parser
        (events[parser],) = reading["events"]
    return part.get_param("method"), events


def attendees(event) -> set[str]:
    return {a["address"].lower().removeprefix("mailto:") for a in event["attendees"]}


def test_invites_list_every_trainer_and_follow_who_joins_and_leaves(
    world,  # noqa: F811
    client_for,
    make_trainer,
    mailbox,
):
    needs(world, 3)
    tom = trainer(world, make_trainer, "tom@example.org", "Tom Trainer")
    training_request = ask(world, client_for)
    training_session = accept(client_for, world.priya, training_request)
    for co_trainer in (world.sam, tom):
        offer = db.session.scalar(
            select(Offer.id).where(
                Offer.trainer_id == co_trainer.id,
                Offer.place > 1,
                Offer.status == "pending",
            )
        )
        answers.accept_offer(offer, co_trainer, NOW)
        db.session.commit()
    everyone = (world.priya, world.sam, tom, world.organiser)
    emails = {p.email for p in everyone}
    for person in everyone:
        method, events = invite(mailbox, person)
        assert method == "REQUEST"
        for event in events.values():
            assert event["uid"] == training_session.ical_uid
            assert event["sequence"] == 2  # booked 0, Sam joined 1, Tom joined 2
            assert attendees(event) == emails
            assert "Co-trainers: Sam Trainer, Tom Trainer" in event["description"]

    client_for(world.sam).post(
        f"/sessions/{training_session.id}/drop-out", data={"reason": "Car broke"}
    )
    method, events = invite(mailbox, world.sam)
    assert method == "CANCEL"
    assert {e["sequence"] for e in events.values()} == {3}
    for person in (world.priya, tom, world.organiser):
        method, events = invite(mailbox, person)
        assert method == "REQUEST"
        for event in events.values():
            assert event["sequence"] == 3
            assert attendees(event) == emails - {world.sam.email}
            assert "Co-trainers: Tom Trainer" in event["description"]
