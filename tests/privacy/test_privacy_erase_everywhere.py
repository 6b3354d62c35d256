"""Erasure finds a person by what every text says, not by whom it was sent to:
their name, addresses and phone go from every column of every table and from
the development mail folder, and the network's figures stay the same."""

import email
import re
from datetime import date, timedelta
from email import policy
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from tests.privacy.conftest import EMAIL, NAME
from tests.privacy.test_privacy_erasure import (
    coverage_counts,
    dashboard_figures,
    erase,
)
from tests.stored import stored_text
from trainers import audit, mail
from trainers.attendance.models import Attendance, Attendee
from trainers.calendar import services as calendar
from trainers.extensions import db
from trainers.matching.offers import make_offer
from trainers.outbox.models import OutboxMessage, OutboxStatus
from trainers.outbox.services import deliver_outbox
from trainers.profiles.models import DayOff
from trainers.requests.models import RequestEvent, RequestStatus
from trainers.timeutil import utcnow

from .conftest import PAST, training_request

PHONE = "07700 900123"
# Her phone as it must not be found: the digits after the trunk 0 or +44,
# in any text with its spaces and punctuation taken out.
PHONE_DIGITS = "7700900123"
NEEDLES = (NAME, EMAIL, "alice.example%40example.org")


def readable(value: object) -> str:
    """A stored value as it reads: bytes decoded and an invite's lines unfolded."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace").replace("\r\n ", "")
    return re.sub(r"\s+", " ", str(value).replace("\\n", " "))


def traces(text: str) -> list[str]:
    """What of her identity the text still holds."""
    folded = text.casefold()
    found = [needle for needle in NEEDLES if needle.casefold() in folded]
    if PHONE_DIGITS in re.sub(r"\D", "", text.replace("+44", "0")):
        found.append("phone")
    return found


def database_traces() -> list[str]:
    """Every table.column holding a trace of her, in every text column there is."""
    return [
        f"{place}: {what}"
        for place, value in stored_text()
        for what in traces(readable(value))
    ]


def mail_folder() -> dict[str, str]:
    """Each file of the development mail folder, decoded part by part."""
    files = {}
    for path in sorted(Path(current_app.config["MAIL_FILE_DIR"]).glob("*.eml")):
        raw = path.read_bytes()
        message = email.message_from_bytes(raw, policy=policy.default)
        parts = [str(message["To"]), str(message["Subject"]), readable(raw)]
        parts += [
            readable(part.get_payload(decode=True))
            for part in message.walk()
            if not part.is_multipart()
        ]
        files[path.name] = " ".join(parts)
    return files


def folder_traces() -> list[str]:
    return [
        f"{name}: {what}"
        for name, text in mail_folder().items()
        for what in traces(text)
    ]


def test_erasure_leaves_no_trace_of_her_anywhere(everything, client_for, make_session):
    p = everything
    alice = p.alice
    alice.phone = PHONE
    # Another group's organiser quotes her, with her phone spelt another way;
    # the trainer offered the session is emailed the notes.
    quoted = training_request(
        p.other_group,
        p.topic,
        PAST + timedelta(days=30),
        RequestStatus.OFFERED,
        created_by=p.organiser,
        notes=f"Our contact is {NAME.upper()}, on +44 7700-900-123.",
        accessibility_needs="Ask alice.example@EXAMPLE.org about the ramp",
        events=[RequestEvent(actor=p.organiser, action="submitted", detail="")],
    )
    db.session.add(quoted)
    db.session.flush()
    make_offer(quoted, p.trainer.id, quoted.slots[0], 1.0, ["near"], utcnow())
    # The trainer's report and the organiser's rating name her; a roster has her
    # name typed without an address; another trainer's day off mentions her.
    shadowed = db.session.get(Attendance, p.shadowed.id)
    shadowed.went_well = f"alice  example led the role play; ring {PHONE}"
    shadowed.follow_up_requested = f"Mail {EMAIL.upper()} the slides"
    shadowed.rating_comment = f"Thanks to {NAME}!"
    db.session.add(
        Attendee(
            session_id=p.trained.id,
            name="alice example",
            consent_given_at=utcnow(),
            added_by_id=p.trainer.id,
        )
    )
    p.trainer.trainer_profile.days_off.append(
        DayOff(
            first_on=date(2030, 1, 1), last_on=date(2030, 1, 2), note=f"{NAME} covers"
        )
    )
    audit.record(p.office.id, "phoned", detail=f"spoke to {NAME} on {PHONE}")
    db.session.commit()
    # Mail about her session to the others, delivered into the mail folder;
    # then invites to a session she shadows, still waiting to be sent.
    calendar.send_invites(p.trained, "session_booked")
    unrelated = mail.send_email(
        "bob@example.org", "password_reset", user=p.organiser, link="x", hours=2
    )
    db.session.commit()
    deliver_outbox(utcnow())
    calendar.send_invites(p.shadowed, "session_booked")
    db.session.commit()
    waiting = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.to_address == p.trainer.email,
        )
    ).all()
    assert waiting and all(NAME in readable(m.calendar) for m in waiting)
    found = database_traces()
    for what in (*NEEDLES[:2], "phone"):
        assert any(trace.endswith(what) for trace in found), what
    assert any(t.endswith("phone") for t in folder_traces())
    assert any(t.endswith(NAME) for t in folder_traces())
    kept_file = next(
        name for name, text in mail_folder().items() if "bob@example.org" in text
    )
    counts, figures = coverage_counts(), dashboard_figures()

    assert erase(client_for(p.office), alice).status_code == 302

    db.session.expire_all()
    assert database_traces() == []
    assert folder_traces() == []
    assert coverage_counts() == counts
    assert dashboard_figures() == figures
    # Only what mentioned her went: the rest of the mail, text around her name,
    # other people on the rosters and the emails' rows (they count) stay.
    assert kept_file in mail_folder()
    assert db.session.get(OutboxMessage, unrelated.id).body
    report = db.session.get(Attendance, p.shadowed.id)
    assert report.went_well == (
        "Erased person led the role play; ring [erased phone number]"
    )
    assert db.session.scalar(select(Attendee).where(Attendee.name == "Bob Bystander"))
    for message in waiting:
        message = db.session.get(OutboxMessage, message.id)
        assert "Erased person" in readable(message.calendar)
        # Still an invite a client reads: every line folded to 75 octets.
        assert all(len(line) <= 75 for line in message.calendar.split(b"\r\n"))


def test_an_erased_attendee_loses_their_name_as_well_as_their_address(
    everything, client_for
):
    report = db.session.get(Attendance, everything.shadowed.id)
    report.went_well = "Bob Bystander (bob@example.org) asked for a second session"
    db.session.commit()
    done = client_for(everything.office).post(
        "/office/privacy/lookup/erase",
        data={"email": "bob@example.org", "confirmation": "bob@example.org"},
    )
    assert done.status_code == 302
    assert db.session.get(Attendance, everything.shadowed.id).went_well == (
        "Erased person ([erased address]) asked for a second session"
    )
