"""Outgoing email: one place that builds messages and puts them in the outbox.

A message is written in the same transaction as the change that caused it, so a
rollback takes the email with it and a commit keeps it; trainers.outbox delivers
it afterwards, retrying until it is sent.

A one-time link (a password reset, an invitation) is never part of the stored
body: the body holds a stand-in, the link waits in its own column, and it is put
in only as the message is assembled for sending; the outbox forgets it once the
message is sent or given up on. Logs name messages by their Message-ID, never by
their address or content.
"""

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template

from trainers.extensions import db
from trainers.outbox.models import ONE_TIME_LINK, OutboxMessage
from trainers.timeutil import utcnow

logger = logging.getLogger(__name__)


def send_email(
    to: str,
    template: str,
    calendar: tuple[bytes, str] | None = None,
    secret_link: str | None = None,
    **context,
) -> OutboxMessage:
    """Render `templates/email/<template>.txt` (first line `Subject: ...`) into
    the outbox in the caller's transaction; `calendar` is an invite's .ics
    bytes and its METHOD; `secret_link` a one-time link the template shows
    as `{{ secret_link }}`, stored apart from the body."""
    if secret_link is not None:
        context["secret_link"] = ONE_TIME_LINK
    rendered = render_template(f"email/{template}.txt", **context)
    first_line, _, body = rendered.lstrip().partition("\n")
    if not first_line.startswith("Subject:"):
        raise ValueError(f"email template {template} must start with 'Subject:'")
    body = body.lstrip("\n")
    if secret_link is not None and ONE_TIME_LINK not in body:
        raise ValueError(f"email template {template} must show {{{{ secret_link }}}}")
    ics, method = calendar or (None, None)
    queued = OutboxMessage(
        to_address=to,
        subject=first_line.removeprefix("Subject:").strip(),
        kind=template,
        body=body,
        secret_link=secret_link,
        calendar=ics,
        calendar_method=method,
        message_id=make_msgid(domain="trainers.invalid"),
        next_attempt_at=utcnow(),
    )
    db.session.add(queued)
    logger.info("Email %s queued: %s", queued.message_id, template)
    return queued


def assemble(message: OutboxMessage) -> bytes:
    """The queued message as the bytes to send, CRLF as on the wire.

    Text and HTML alternatives always; with a calendar also a text/calendar
    alternative, which clients show as an invite, and the same bytes attached
    as invite.ics (application/ics), which any client lets people open or save.
    Assembled when it is sent, not when it is queued, at no cost to the request
    that queued it: a message sent again keeps its Message-ID and Date.
    """
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(message.created_at.timestamp())
    email["Message-ID"] = message.message_id
    body = message.body
    if message.secret_link is not None:
        body = body.replace(ONE_TIME_LINK, message.secret_link)
    email.set_content(body)
    email.add_alternative(
        render_template("email/_html.html", paragraphs=body.split("\n\n")),
        subtype="html",
    )
    if message.calendar is not None:
        params = {"method": message.calendar_method, "charset": "UTF-8"}
        email.add_alternative(
            message.calendar, maintype="text", subtype="calendar", params=params
        )
        email.make_mixed()
        # application/ics, not a second text/calendar part, which a client may
        # take for a second invite: this one is only a file to open or save.
        email.add_attachment(
            message.calendar,
            maintype="application",
            subtype="ics",
            filename="invite.ics",
        )
    return email.as_bytes(policy=email.policy.clone(linesep="\r\n"))
