"""The office's endpoints: add one, choose its events, rotate its secret,
disable or enable it, send a message again, send a test event.

Every function flushes and leaves the commit to the caller.
"""

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from trainers.addresses import checked_target
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.listing import Page, page_number
from trainers.webhooks import events, signing
from trainers.webhooks.models import (
    TEST_EVENT,
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)

DELIVERIES_PER_PAGE = 50


def add_endpoint(
    url: str, event_types: list[str], now: datetime
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint and its secret, to be shown this once. Raises
    DomainError for an unsafe address or no events."""
    checked_target(url, current_app.config["WEBHOOKS_ALLOW_LOOPBACK"])
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        url=url.strip(), events=_events(event_types), secret=secret, created_at=now
    )
    db.session.add(endpoint)
    db.session.flush()
    logger.info("Webhook endpoint %s added", endpoint.id)
    return endpoint, secret


def change_events(endpoint_id: int, event_types: list[str]) -> WebhookEndpoint:
    """Choose which events the endpoint is sent from now on. Raises DomainError."""
    endpoint = get_endpoint(endpoint_id)
    endpoint.events = _events(event_types)
    db.session.flush()
    logger.info("Webhook endpoint %s: events changed", endpoint.id)
    return endpoint


def _events(event_types: list[str]) -> str:
    known = [kind for kind in EventType if kind in event_types]
    if not known:
        raise DomainError("Tick at least one event to send.", field="events")
    return " ".join(known)


def rotate_secret(endpoint_id: int, now: datetime) -> tuple[WebhookEndpoint, str]:
    """A new secret, to be shown this once; the old one keeps signing too for
    WEBHOOK_PREVIOUS_SECRET_HOURS, while the receiver changes over."""
    endpoint = get_endpoint(endpoint_id)
    hours = current_app.config["WEBHOOK_PREVIOUS_SECRET_HOURS"]
    secret = signing.new_secret()
    endpoint.previous_secret, endpoint.secret = endpoint.secret, secret
    endpoint.previous_secret_until = now + timedelta(hours=hours)
    db.session.flush()
    logger.info("Webhook endpoint %s: secret rotated", endpoint.id)
    return endpoint, secret


def disable(endpoint_id: int, now: datetime) -> WebhookEndpoint:
    """The office stops sending to the endpoint."""
    endpoint = get_endpoint(endpoint_id)
    if not endpoint.is_active:
        raise DomainError("That endpoint is already disabled.")
    return disable_endpoint(endpoint, "Disabled by the office.", now)


def disable_endpoint(
    endpoint: WebhookEndpoint, reason: str, now: datetime
) -> WebhookEndpoint:
    """Stop sending to the endpoint, saying why; what waits for it is given up
    on when its turn comes."""
    endpoint.is_active = False
    endpoint.disabled_at, endpoint.disabled_reason = now, reason
    db.session.flush()
    logger.warning("Webhook endpoint %s disabled: %s", endpoint.id, reason)
    return endpoint


def enable(endpoint_id: int) -> WebhookEndpoint:
    """Send to the endpoint again, its count of failures started afresh. Raises
    DomainError if its address is no longer allowed."""
    endpoint = get_endpoint(endpoint_id)
    if endpoint.is_active:
        raise DomainError("That endpoint is already enabled.")
    checked_target(endpoint.url, current_app.config["WEBHOOKS_ALLOW_LOOPBACK"])
    endpoint.is_active, endpoint.consecutive_failures = True, 0
    endpoint.disabled_at = endpoint.disabled_reason = None
    db.session.flush()
    logger.info("Webhook endpoint %s enabled", endpoint.id)
    return endpoint


def send_again(delivery_id: int, now: datetime) -> WebhookDelivery:
    """Send a message again, as it was (same `webhook-id`), from its first
    attempt. Raises DomainError while it is still being tried, or while its
    endpoint is disabled."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound()
    if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
        raise DomainError("That message is still being sent; wait for it to end.")
    if not delivery.endpoint.is_active:
        raise DomainError("Enable the endpoint first: nothing is sent to it now.")
    delivery.status, delivery.attempts = DeliveryStatus.PENDING, 0
    delivery.next_attempt_at = now
    db.session.flush()
    logger.info("Webhook %s queued again by the office", delivery.id)
    return delivery


def send_test(endpoint_id: int, now: datetime) -> WebhookDelivery:
    """A test event for this endpoint alone, whatever events it wants. Raises
    DomainError while it is disabled."""
    endpoint = get_endpoint(endpoint_id)
    if not endpoint.is_active:
        raise DomainError("Enable the endpoint first: nothing is sent to it now.")
    delivery = events.queue(endpoint, TEST_EVENT, {"id": endpoint.id}, now)
    db.session.flush()
    return delivery


def get_endpoint(endpoint_id: int) -> WebhookEndpoint:
    """The endpoint. Raises NotFound."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound()
    return endpoint


def endpoints() -> list[WebhookEndpoint]:
    """Every endpoint, oldest first."""
    return list(db.session.scalars(select(WebhookEndpoint).order_by("id")))


def deliveries(endpoint_id: int, page: int) -> Page[WebhookDelivery]:
    """One page of the endpoint's messages, newest first."""
    page = page_number(page)
    mine = WebhookDelivery.endpoint_id == endpoint_id
    total = db.session.scalar(
        select(func.count()).select_from(WebhookDelivery).where(mine)
    )
    found = db.session.scalars(
        select(WebhookDelivery)
        .where(mine)
        .order_by(WebhookDelivery.id.desc())
        .limit(DELIVERIES_PER_PAGE)
        .offset((page - 1) * DELIVERIES_PER_PAGE)
    )
    return Page(items=list(found), page=page, per_page=DELIVERIES_PER_PAGE, total=total)
