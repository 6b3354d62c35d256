"""Forgetting what old emails said: their text and invites go after the retention
period, once they are no longer waiting to be sent."""

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from trainers.extensions import db
from trainers.outbox.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


def clear_old_emails(now: datetime, batch_size: int = BATCH_SIZE) -> str:
    """Empty the body and invite of every sent or failed email queued
    OUTBOX_BODY_RETENTION_DAYS or more ago; who it went to, when and its subject
    stay for the office's page.

    Batch by batch, each committed; each UPDATE takes only rows still holding
    text, so two schedulers at once clear each row once.
    """
    cutoff = now - timedelta(days=current_app.config["OUTBOX_BODY_RETENTION_DAYS"])
    old = (
        OutboxMessage.created_at <= cutoff,
        OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.FAILED)),
        func.length(OutboxMessage.body) > 0,
    )
    total = 0
    while True:
        batch = db.session.scalars(
            select(OutboxMessage.id)
            .where(*old)
            .order_by(OutboxMessage.id)
            .limit(batch_size)
        ).all()
        if not batch:
            break
        total += db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(batch), *old)
            .values(body="", calendar=None, secret_link=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    logger.info("Cleared the text of %s emails (queued by %s)", total, cutoff)
    return f"{total} emails' text cleared"
