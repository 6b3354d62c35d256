"""Delivering webhooks, a scheduler job: claim what is due, sign it, POST it,
and retry with the outbox's backoff (trainers.retries).

A 2xx is delivered; `410 Gone` disables the endpoint at once; anything else
(another answer, a redirect, which is never followed, a timeout, a refused
address) is retried until WEBHOOK_MAX_ATTEMPTS, then given up on. After
WEBHOOK_FAILURES_TO_DISABLE messages given up on in a row the endpoint is
disabled, and the office told by email.

A crash after the receiver took a message but before it was marked delivered
sends it again once its claim's lease runs out, under the same `webhook-id`,
which a receiver uses to drop the repeat.
"""

import http.client
import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from trainers import mail
from trainers.addresses import PinnedConnection, Target, checked_target
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.retries import claim_due, next_attempt
from trainers.webhooks import signing
from trainers.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from trainers.webhooks.services import disable_endpoint

logger = logging.getLogger(__name__)

# Enough of an answer to see it arrived; receivers should say little.
ANSWER_BYTES = 1024


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: the receiver's status code, or why there was none."""

    status_code: int | None = None
    error: str | None = None

    @property
    def is_delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def deliver_webhooks(now: datetime, limit: int = 100) -> str:
    """Send every message due, recording each outcome as it happens. Commits."""
    counts: Counter[str] = Counter()
    for delivery in claim_due(WebhookDelivery, now, limit):
        counts[record_outcome(delivery, send(delivery, now), now)] += 1
        db.session.commit()
    return (
        f"delivered {counts[DeliveryStatus.DELIVERED]}, "
        f"retrying {counts[DeliveryStatus.PENDING]}, "
        f"failed {counts[DeliveryStatus.FAILED]}"
    )


def send(delivery: WebhookDelivery, now: datetime) -> Outcome:
    """POST the message, signed with the endpoint's secrets at `now`, to its
    endpoint; never raises for the network."""
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return Outcome(error="Not sent: the endpoint is disabled.")
    config = current_app.config
    # The receiver checks this against its own clock, so it is the real time
    # of sending, not the app's (a test's) clock.
    sent_at = int(time.time())
    try:
        target = checked_target(endpoint.url, config["WEBHOOKS_ALLOW_LOOPBACK"])
        return Outcome(
            status_code=_post(
                target,
                delivery.payload,
                signing.headers(
                    endpoint.secrets_at(now),
                    delivery.message_id,
                    sent_at,
                    delivery.payload,
                ),
                config["WEBHOOK_TIMEOUT_SECONDS"],
            )
        )
    except DomainError as error:
        return Outcome(error=error.message)
    except (OSError, http.client.HTTPException) as error:
        return Outcome(error=f"{type(error).__name__}: {error}"[:2000])


def record_outcome(
    delivery: WebhookDelivery, outcome: Outcome, now: datetime
) -> DeliveryStatus:
    """Write down what the attempt got, and what follows: delivered, retried,
    given up, the endpoint disabled. Flushes; the caller commits."""
    endpoint = delivery.endpoint
    delivery.attempts += 1
    delivery.claim_token = None
    delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
    if outcome.is_delivered:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
        endpoint.consecutive_failures = 0
    elif not endpoint.is_active:
        delivery.status = DeliveryStatus.FAILED
    elif outcome.status_code == 410:
        delivery.status = DeliveryStatus.FAILED
        _disable(endpoint, "It answered 410 Gone: the receiver is no more.", now)
    else:
        if outcome.status_code is not None:
            delivery.last_error = f"It answered {outcome.status_code}."
        retry_at = next_attempt(
            delivery.attempts, current_app.config["WEBHOOK_MAX_ATTEMPTS"], now
        )
        if retry_at is not None:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, retry_at
        else:
            delivery.status = DeliveryStatus.FAILED
            _given_up(endpoint, now)
    db.session.flush()
    logger.info(
        "Webhook %s to endpoint %s, attempt %s: %s (%s)",
        delivery.id,
        endpoint.id,
        delivery.attempts,
        delivery.status,
        outcome.status_code or delivery.last_error,
    )
    return DeliveryStatus(delivery.status)


def _given_up(endpoint: WebhookEndpoint, now: datetime) -> None:
    endpoint.consecutive_failures += 1
    failures = endpoint.consecutive_failures
    if failures >= current_app.config["WEBHOOK_FAILURES_TO_DISABLE"]:
        _disable(endpoint, f"{failures} messages in a row could not be delivered.", now)


def _disable(endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    disable_endpoint(endpoint, reason, now)
    mail.send_email(
        current_app.config["OFFICE_EMAIL"],
        "webhook_disabled",
        endpoint=endpoint,
        reason=reason,
        link=absolute_url("webhooks.show", endpoint_id=endpoint.id),
    )


def _post(target: Target, body: str, headers: dict[str, str], timeout: float) -> int:
    connection = PinnedConnection(target, timeout)
    try:
        connection.request("POST", target.path, body=body.encode(), headers=headers)
        answer = connection.getresponse()
        answer.read(ANSWER_BYTES)
        return answer.status
    finally:
        connection.close()
