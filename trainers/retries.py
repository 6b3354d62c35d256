"""The retry policy everything delivered later shares (emails, webhooks): claim
what is due, wait longer after each failure, give up after a number of tries.

Claiming is one conditional UPDATE, so however many deliverers run at once each
row is taken by exactly one; a claim not finished within the lease (the
deliverer died) is taken again. A model delivered this way has `status`
("pending" or "sending" among its states), `next_attempt_at`, `claim_token`
and `claimed_at`.
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from trainers.extensions import db

LEASE = timedelta(minutes=5)
PENDING, SENDING = "pending", "sending"


def claim_due(model, now: datetime, limit: int) -> list:
    """Take up to `limit` due rows of `model` for this deliverer alone, oldest
    first. Commits the claim."""
    token = str(uuid.uuid4())
    due = or_(
        and_(model.status == PENDING, model.next_attempt_at <= now),
        and_(model.status == SENDING, model.claimed_at < now - LEASE),
    )
    ids = select(model.id).where(due).order_by(model.id).limit(limit)
    db.session.execute(
        update(model)
        .where(model.id.in_(ids.scalar_subquery()), due)
        .values(status=SENDING, claim_token=token, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(model).where(model.claim_token == token).order_by(model.id)
        )
    )


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 1, 2, 4 ... minutes, at most 6 hours."""
    return min(timedelta(minutes=2 ** (attempts - 1)), timedelta(hours=6))


def next_attempt(attempts: int, max_attempts: int, now: datetime) -> datetime | None:
    """When to try again after the n-th failed attempt; None: give up."""
    if attempts >= max_attempts:
        return None
    return now + backoff(attempts)
