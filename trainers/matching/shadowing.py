"""Trainers learning a topic by shadowing booked sessions, and qualifying."""

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from trainers.auth.models import User
from trainers.calendar import services as calendar
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.matching import booking
from trainers.matching.booking import TrainerNotFree, session_venue
from trainers.network.models import Topic
from trainers.profiles.models import TrainerTopic
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import SessionShadow, SessionStatus, TrainingSession

logger = logging.getLogger(__name__)


def add_shadow(
    training_session: TrainingSession, trainer_id: int, by: User, now: datetime
) -> SessionShadow:
    """The office adds a trainer who is shadowing the topic as second trainer,
    through the booking gate: they must be free then."""
    level = db.session.scalar(
        select(TrainerTopic.level).where(
            TrainerTopic.trainer_id == trainer_id,
            TrainerTopic.topic_id == training_session.topic_id,
        )
    )
    if level != "shadowing":
        raise DomainError(
            "Only a trainer shadowing this topic can be added.", field="trainer_id"
        )
    _ensure_open_to(training_session, trainer_id, now)
    try:
        verdict = booking.admit(
            training_session.training_request,
            trainer_id,
            training_session.starts_at,
            training_session.ends_at,
            now,
            venue=session_venue(training_session),
            rules=booking.SHADOWING,
        )
    except TrainerNotFree as error:
        raise DomainError(
            f"{error.verdict.name} cannot join: {error.verdict.reasons}.",
            field="trainer_id",
        ) from None
    # Held now: the session may have moved, ended or taken them meanwhile.
    db.session.refresh(training_session)
    _ensure_open_to(training_session, trainer_id, now)
    shadow = SessionShadow(
        session_id=training_session.id, trainer_id=trainer_id, added_at=now
    )
    db.session.add(shadow)
    db.session.flush()
    training_session.training_request.note(
        "shadow added",
        f"{verdict.name} will shadow",
        by,
        now,
    )
    db.session.refresh(training_session)
    calendar.send_invites(training_session, "shadow_added", people=[shadow.trainer])
    return shadow


def _ensure_open_to(
    training_session: TrainingSession, trainer_id: int, now: datetime
) -> None:
    if (
        training_session.status != SessionStatus.BOOKED
        or training_session.ends_at <= now
    ):
        raise DomainError("Only a session still to come can take a shadowing trainer.")
    if trainer_id == training_session.trainer_id or any(
        s.trainer_id == trainer_id for s in training_session.shadows
    ):
        raise DomainError(
            "That trainer is already on this session.", field="trainer_id"
        )


def drop_shadows_not_free(
    training_request: TrainingRequest,
    training_session: TrainingSession,
    by: User,
    now: datetime,
) -> None:
    """Shadowing trainers who can't join the session as it now is (moved, or at
    a new venue) come off it, with a CANCEL of its event. The caller holds them
    (booking.hold) with its trainer."""
    verdicts = booking.judge(
        training_request,
        [shadow.trainer_id for shadow in training_session.shadows],
        training_session.starts_at,
        training_session.ends_at,
        venue=session_venue(training_session),
        moving_session_id=training_session.id,
        rules=booking.SHADOWING,
    )
    for shadow in list(training_session.shadows):
        verdict = verdicts[shadow.trainer_id]
        if not verdict.is_free:
            remove_shadow(
                training_session,
                shadow,
                f"the session changed and no longer fits ({verdict.reasons})",
                by,
                now,
            )


def remove_shadow(
    training_session: TrainingSession,
    shadow: SessionShadow,
    why: str,
    by: User | None,
    now: datetime,
) -> None:
    """Take a shadowing trainer off a session that goes on: they get a CANCEL of
    its event saying `why`, and the history says so."""
    calendar.send_invites(
        training_session,
        "shadow_removed",
        people=[shadow.trainer],
        removed=True,
        why=why,
    )
    training_session.training_request.note(
        "shadow removed",
        f"{shadow.trainer.name} no longer shadows it: {why}",
        by,
        now,
    )
    training_session.shadows.remove(shadow)
    db.session.flush()


def shadow_choices(training_session: TrainingSession) -> list[User]:
    """Active trainers shadowing the session's topic who are not on it yet."""
    on_it = {
        training_session.trainer_id,
        *(s.trainer_id for s in training_session.shadows),
    }
    return [
        user
        for user in db.session.scalars(
            select(User)
            .join(TrainerTopic, TrainerTopic.trainer_id == User.id)
            .where(
                User.is_active,
                TrainerTopic.topic_id == training_session.topic_id,
                TrainerTopic.level == "shadowing",
            )
            .order_by(User.name)
        )
        if user.id not in on_it
    ]


def ready_to_qualify(now: datetime) -> list[tuple[User, Topic, int]]:
    """Shadowing trainers who have shadowed enough past sessions of a topic."""
    needed = current_app.config["SHADOWED_SESSIONS_TO_QUALIFY"]
    shadowed = func.count(SessionShadow.session_id)
    rows = db.session.execute(
        select(User, Topic, shadowed)
        .join(SessionShadow, SessionShadow.trainer_id == User.id)
        .join(TrainingSession, TrainingSession.id == SessionShadow.session_id)
        .join(Topic, Topic.id == TrainingSession.topic_id)
        .join(
            TrainerTopic,
            (TrainerTopic.trainer_id == User.id) & (TrainerTopic.topic_id == Topic.id),
        )
        .where(
            TrainerTopic.level == "shadowing",
            TrainingSession.status != SessionStatus.CANCELLED,
            TrainingSession.ends_at < now,
        )
        .group_by(User.id, Topic.id)
        .having(shadowed >= needed)
        .order_by(User.name, Topic.name)
    )
    return [tuple(row) for row in rows]


def mark_qualified(trainer_id: int, topic_id: int) -> TrainerTopic:
    """The office marks a shadowing trainer qualified for a topic."""
    trainer_topic = db.session.get(TrainerTopic, (trainer_id, topic_id))
    if trainer_topic is None:
        raise NotFound()
    trainer_topic.level = "qualified"
    db.session.flush()
    logger.info("Trainer %s qualified for topic %s", trainer_id, topic_id)
    return trainer_topic
