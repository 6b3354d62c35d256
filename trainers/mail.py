"""Outgoing email: one place that builds messages and puts them in the outbox.

A message is written in the same transaction as the change that caused it, so a
rollback takes the email with it and a commit keeps it; trainers.outbox delivers
it afterwards, retrying until it is sent.
"""

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template

from trainers.extensions import db
from trainers.outbox.models import OutboxMessage
from trainers.timeutil import utcnow

logger = logging.getLogger(__name__)


def build_email(
    to: str, template: str, calendar: tuple[bytes, str] | None = None, **context
) -> EmailMessage:
    """Render `templates/email/<template>.txt` (first line `Subject: ...`) as a message.

    Text and HTML alternatives always; with `calendar` (the .ics bytes and its
    METHOD) also a text/calendar alternative, which clients show as an invite,
    and the same bytes attached as invite.ics (application/ics), which any
    client lets people open or save.
    """
    rendered = render_template(f"email/{template}.txt", **context)
    first_line, _, body = rendered.lstrip().partition("\n")
    if not first_line.startswith("Subject:"):
        raise ValueError(f"email template {template} must start with 'Subject:'")
    text = body.lstrip("\n")
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = first_line.removeprefix("Subject:").strip()
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="trainers.invalid")
    message.set_content(text)
    message.add_alternative(
        render_template("email/_html.html", paragraphs=text.split("\n\n")),
        subtype="html",
    )
    if calendar is not None:
        ics, method = calendar
        params = {"method": method, "charset": "UTF-8"}
        message.add_alternative(ics, maintype="text", subtype="calendar", params=params)
        message.make_mixed()
        # application/ics, not a second text/calendar part, which a client may
        # take for a second invite: this one is only a file to open or save.
        message.add_attachment(
            ics, maintype="application", subtype="ics", filename="invite.ics"
        )
    return message


def send_email(
    to: str, template: str, calendar: tuple[bytes, str] | None = None, **context
) -> OutboxMessage:
    """Build a message and add it to the outbox in the caller's transaction."""
    message = build_email(to, template, calendar, **context)
    queued = OutboxMessage(
        to_address=to,
        subject=str(message["Subject"]),
        kind=template,
        # CRLF as on the wire: smtplib sends bytes as they are.
        raw=message.as_bytes(policy=message.policy.clone(linesep="\r\n")),
        next_attempt_at=utcnow(),
    )
    db.session.add(queued)
    logger.info("Email queued to %s: %s", to, message["Subject"])
    return queued
