"""Outgoing email: one place that builds messages and hands them to a backend.

Development writes each message as an `.eml` file under `instance/mail/` and logs
it, so invitations can be followed without a mail server.
"""

import logging
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template

logger = logging.getLogger(__name__)


def send_email(to: str, template: str, **context) -> EmailMessage:
    """Render `templates/email/<template>.txt` (first line `Subject: ...`) and send it."""
    rendered = render_template(f"email/{template}.txt", **context)
    first_line, _, body = rendered.lstrip().partition("\n")
    if not first_line.startswith("Subject:"):
        raise ValueError(f"email template {template} must start with 'Subject:'")
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = first_line.removeprefix("Subject:").strip()
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="trainers.invalid")
    message.set_content(body.lstrip("\n"))
    _deliver(message)
    return message


def _deliver(message: EmailMessage) -> None:
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "file":
        _write_file(message)
    elif backend == "smtp":
        _send_smtp(message)
    else:
        raise RuntimeError(f"unknown MAIL_BACKEND {backend!r}")


def _write_file(message: EmailMessage) -> None:
    folder = Path(current_app.config["MAIL_FILE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.eml"
    path.write_bytes(bytes(message))
    logger.info(
        "Email to %s written to %s: %s\n%s",
        message["To"],
        path,
        message["Subject"],
        message.get_content(),
    )


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    if config["MAIL_USE_SSL"]:
        client = smtplib.SMTP_SSL(host, port, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port)
    with client:
        if config["MAIL_USE_STARTTLS"]:
            client.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            client.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        client.send_message(message)
    logger.info("Email to %s sent: %s", message["To"], message["Subject"])
