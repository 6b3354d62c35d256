"""Telling trainers who opted in of the new requests they could take, at most daily.

A trainer's `board_news_seen_at` says which requests are news to them: those
made after it. Each run, a trainer last looked at a day or more ago is claimed
by moving it to now (one UPDATE, so two schedulers never both claim them), and
the new requests on their board since then, if any, are emailed. Each email
carries a stop link: a signed GET that only shows a confirmation page, so a
mail scanner or link prefetcher that follows it changes nothing; the POST from
that page stops the emails.
"""

import logging
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from trainers import mail
from trainers.auth.models import User
from trainers.board.services import open_requests
from trainers.extensions import db
from trainers.links import absolute_url
from trainers.profiles.models import TrainerProfile

logger = logging.getLogger(__name__)

NEWS_EVERY = timedelta(days=1)
_STOP_SALT = "board-news-stop"


def stop_token(trainer_id: int) -> str:
    """The signed token of a trainer's stop link. It only ever stops their
    emails, so it need not expire."""
    return _serializer().dumps(trainer_id)


def trainer_of(token: str) -> int | None:
    """The trainer a stop token was made for, or None if it is not one of ours."""
    try:
        trainer_id = _serializer().loads(token)
    except BadSignature:
        return None
    return trainer_id if isinstance(trainer_id, int) else None


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_STOP_SALT)


def email_new_requests(now: datetime) -> str:
    """Email each opted-in trainer, at most once a day, the requests made since
    they were last looked at that they could take now. Commits each trainer."""
    cutoff = now - NEWS_EVERY
    due = (
        TrainerProfile.has_board_emails,
        TrainerProfile.board_news_seen_at <= cutoff,
    )
    trainer_ids = db.session.scalars(
        select(TrainerProfile.user_id)
        .join(User, User.id == TrainerProfile.user_id)
        .where(User.is_active, *due)
        .order_by(TrainerProfile.user_id)
    ).all()
    emailed = 0
    for trainer_id in trainer_ids:
        seen_at = _claim(trainer_id, now, due)
        if seen_at is None:
            continue  # another run claimed them first
        trainer = db.session.get(User, trainer_id)
        news = open_requests(trainer, now, made_after=seen_at)
        if news:
            mail.send_email(
                trainer.email,
                "board_news",
                trainer=trainer,
                news=news,
                link=absolute_url("board.index"),
                secret_link=absolute_url(
                    "board.stop_emails", token=stop_token(trainer_id)
                ),
            )
            emailed += 1
            logger.info("Trainer %s told of %s new requests", trainer_id, len(news))
        db.session.commit()
    return f"{emailed} of {len(trainer_ids)} trainers told of new requests"


def _claim(trainer_id: int, now: datetime, due: tuple) -> datetime | None:
    """Move the trainer's `board_news_seen_at` to now if they are still due;
    what it was, or None when another run had claimed them."""
    seen_at = db.session.scalar(
        select(TrainerProfile.board_news_seen_at).where(
            TrainerProfile.user_id == trainer_id
        )
    )
    claimed = db.session.execute(
        update(TrainerProfile)
        .where(TrainerProfile.user_id == trainer_id, *due)
        .values(board_news_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    return seen_at if claimed.rowcount == 1 else None
