"""Recording an event: one message per active endpoint that wants it, written in
the caller's transaction, so a rollback takes it with the change and a commit
keeps it for the scheduler to deliver (trainers.webhooks.delivery).

Payloads carry ids only, never names, addresses or notes: a receiver reads the
details through the API, which checks what it may see.
"""

import json
import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from trainers.extensions import db
from trainers.webhooks.models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)


def record(event_type: str, data: dict[str, int | None], now: datetime) -> None:
    """Queue the event for every active endpoint subscribed to `event_type`.
    Flushes; the caller commits."""
    endpoints = db.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.is_active)
    )
    for endpoint in endpoints:
        if endpoint.wants(event_type):
            queue(endpoint, event_type, data, now)
    db.session.flush()


def queue(
    endpoint: WebhookEndpoint, event_type: str, data: dict, now: datetime
) -> WebhookDelivery:
    """One message of `event_type` for `endpoint`, due now. The caller flushes."""
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_type=event_type,
        message_id=f"msg_{uuid.uuid4().hex}",
        payload=payload(event_type, data, now),
        created_at=now,
        next_attempt_at=now,
    )
    db.session.add(delivery)
    logger.info("Webhook %s queued for endpoint %s", event_type, endpoint.id)
    return delivery


def payload(event_type: str, data: dict, now: datetime) -> str:
    """The message body as Standard Webhooks shapes it: type, time, data."""
    return json.dumps(
        {
            "type": event_type,
            "timestamp": now.isoformat().replace("+00:00", "Z"),
            "data": data,
        },
        separators=(",", ":"),
    )


def about_request(training_request: Any) -> dict[str, int | None]:
    """A request's event data: its id and the ids it points to."""
    return {
        "id": training_request.id,
        "request_id": training_request.id,
        "group_id": training_request.group_id,
        "topic_id": training_request.topic_id,
    }


def about_session(training_session: Any) -> dict[str, int | None]:
    """A session's event data: its id and the ids it points to."""
    return {
        "id": training_session.id,
        "session_id": training_session.id,
        "request_id": training_session.request_id,
        "group_id": training_session.group_id,
        "topic_id": training_session.topic_id,
    }
