"""Timed work on offers: nudge the trainer, then expire and offer onwards."""

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from trainers import mail
from trainers.claims import claim
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.offers import expire_offers

logger = logging.getLogger(__name__)


def nudge_offers(now: datetime) -> str:
    """Remind trainers of offers waiting OFFER_NUDGE_HOURS, once each. Commits."""
    config = current_app.config
    # Due for a nudge, and not yet past expiry (the expiry job handles those).
    due = (
        Offer.status == OfferStatus.PENDING,
        Offer.created_at <= now - timedelta(hours=config["OFFER_NUDGE_HOURS"]),
        Offer.created_at > now - timedelta(hours=config["OFFER_EXPIRY_HOURS"]),
    )
    nudged = 0
    for offer_id in db.session.scalars(
        select(Offer.id).where(Offer.nudged_at.is_(None), *due)
    ).all():
        if not claim(Offer, offer_id, Offer.nudged_at, now, *due):
            continue
        offer = db.session.get(Offer, offer_id)
        mail.send_email(
            offer.trainer.email,
            "offer_nudge",
            offer=offer,
            training_request=offer.training_request,
            expires_at=offer.created_at + timedelta(hours=config["OFFER_EXPIRY_HOURS"]),
            link=absolute_url("matching.offer", offer_id=offer.id),
        )
        db.session.commit()
        nudged += 1
    return f"{nudged} offers nudged"


def expire(now: datetime) -> str:
    """Expire unanswered offers and ask the next candidates. Commits."""
    expired = expire_offers(now)
    db.session.commit()
    return f"{expired} offers expired"
