"""Delivering the outbox: claim safely, send, retry with backoff, give up loudly.

Claiming and retrying follow the policy every delivery shares (trainers.retries).
A crash after the mail server accepted a message but before it was marked sent
can resend it once; its Message-ID is unchanged, so mail clients treat the two
as one.

A one-time link waiting beside a message is forgotten in the same commit that
records the message sent or given up on. Logs name messages by id, never by
address: an erasure cannot reach into logs.
"""

import email
import email.policy
import logging
import os
import re
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import func, select

from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.mail import assemble
from trainers.outbox.models import OutboxMessage, OutboxStatus
from trainers.retries import claim_due, next_attempt

logger = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """The mail server refused the message for good (a 5xx answer)."""


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def claim(now: datetime, limit: int) -> list[OutboxMessage]:
    """Take up to `limit` due messages for this deliverer alone. Commits the claim."""
    return claim_due(OutboxMessage, now, limit)


def deliver_outbox(now: datetime, limit: int = 100) -> DeliveryReport:
    """Send what is due, recording each outcome as it happens. Commits."""
    report = DeliveryReport()
    config = current_app.config
    claimed = claim(now, limit)
    for message in claimed:
        message.attempts += 1
        try:
            _send(assemble(message), message)
        except PermanentFailure as error:
            _give_up(message, str(error))
            report.failed += 1
        except (OSError, smtplib.SMTPException) as error:
            retry_at = next_attempt(message.attempts, config["MAIL_MAX_ATTEMPTS"], now)
            if retry_at is None:
                _give_up(message, _describe(error))
                report.failed += 1
            else:
                message.status = OutboxStatus.PENDING
                message.last_error = _describe(error)
                message.next_attempt_at = retry_at
                report.retrying += 1
                logger.warning(
                    "Email %s failed (attempt %s), retrying at %s: %s",
                    message.id,
                    message.attempts,
                    message.next_attempt_at.isoformat(),
                    _without_address(message.last_error, message.to_address),
                )
        else:
            message.status, message.sent_at = OutboxStatus.SENT, now
            message.last_error = None
            report.sent += 1
        if message.status != OutboxStatus.PENDING:
            message.secret_link = None  # sent or given up: never needed again
        message.claim_token = None
        db.session.commit()
    if claimed:
        logger.info("Outbox: %s", report)
    return report


def _give_up(message: OutboxMessage, error: str) -> None:
    message.status, message.last_error = OutboxStatus.FAILED, error
    logger.error(
        "Email %s failed for good: %s",
        message.id,
        _without_address(error, message.to_address),
    )


def _without_address(text: str, address: str) -> str:
    # Servers and smtplib name the refused address in their errors.
    return re.sub(re.escape(address), "<recipient>", text, flags=re.IGNORECASE)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _send(raw: bytes, message: OutboxMessage) -> None:
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "file":
        _write_file(raw, message.id)
    elif backend == "smtp":
        _send_smtp(raw, message.to_address)
    else:
        raise RuntimeError(f"unknown MAIL_BACKEND {backend!r}")


def _write_file(raw: bytes, message_id: int) -> None:
    folder = Path(current_app.config["MAIL_FILE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.eml"
    # Written aside and renamed into place: a crash never leaves half a message.
    partial = path.with_suffix(".partial")
    partial.write_bytes(raw)
    os.replace(partial, path)
    logger.info("Email %s written to %s", message_id, path)
    if current_app.config["APP_ENV"] == "development":
        # `make run` shows the text, one-time links and all, on the terminal;
        # not through logging, whose records may be shipped and kept.
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        click.echo(parsed.get_body(("plain",)).get_content(), err=True)


def _send_smtp(raw: bytes, to: str) -> None:
    config = current_app.config
    host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    timeout = config["MAIL_TIMEOUT_SECONDS"]
    if config["MAIL_USE_SSL"]:
        client = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    sender = config["MAIL_ENVELOPE_FROM"]
    with client:
        if config["MAIL_USE_STARTTLS"]:
            client.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            client.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        try:
            client.sendmail(sender, [to], raw)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise PermanentFailure(
                    f"recipient refused: {error.recipients}"
                ) from error
            raise
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentFailure(
                    f"{error.smtp_code} {error.smtp_error!r}"
                ) from error
            raise


def retry(message_id: int, now: datetime) -> OutboxMessage:
    """The office sends a failed message again from scratch. Flushes."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound()
    if message.status != OutboxStatus.FAILED:
        raise DomainError(
            f"That email is {message.status}; only failed ones can be retried."
        )
    if message.link_removed:
        raise DomainError(
            "That email held a one-time link, removed when it failed, so it cannot "
            "be sent again. Resend the invitation from the invitations page, or ask "
            "the person to ask for a new password reset link."
        )
    if not message.body:
        raise DomainError(
            "That email's text has been cleared since it failed, so it cannot be "
            "sent again."
        )
    message.status, message.attempts = OutboxStatus.PENDING, 0
    message.next_attempt_at = now
    db.session.flush()
    logger.info("Email %s queued again by the office", message.id)
    return message


def counts() -> dict[str, int]:
    """How many messages are in each state."""
    found = {
        status: n
        for status, n in db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
    }
    return {status.value: found.get(status.value, 0) for status in OutboxStatus}


def listing(status: str | None, limit: int = 200) -> list[OutboxMessage]:
    """Recent messages, newest first, optionally in one state."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.scalars(query))
