"""Training requests: make, edit and cancel them (reading them is queries.py).

Every function that changes something flushes and leaves the commit to the caller.
"""

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    and_,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError

from trainers.auth.models import User
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.network.models import Group, Topic
from trainers.requests.details import (
    MAX_REASON,
    Details,
    NeedsConfirmation,
    Particulars,
    apply_details,
    changes_between,
    check_choice,
    checked_details,
    clean,
    unusual,
)
from trainers.requests.models import (
    CANCELLABLE_STATUSES,
    OPEN_STATUSES,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
    matching_slot,
    request_start,
)
from trainers.requests.slots import Slot
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import format_datetime
from trainers.webhooks import events as webhook_events
from trainers.webhooks.models import EventType

logger = logging.getLogger(__name__)


def create_request(
    group: Group,
    topic: Topic,
    slots: list[Slot],
    written: Particulars,
    *,
    by: User,
    now: datetime,
    submission_key: str | None = None,
    warn_of_overlap: bool = False,
    warn_of_short: bool = False,
    warn_of_distance: bool = False,
) -> TrainingRequest:
    """Submit a group's request for a topic in one of `slots` (from parse_slots).

    Records it in the history; matching may run on the result straight after.
    Raises AlreadySubmitted when the form with `submission_key` made a request
    before; NeedsConfirmation for what the `warn_of_*` options ask to be warned
    of: an open request of the group's for the topic at an overlapping time
    (OverlapsOpenRequest), times much shorter than the topic's usual length, a
    venue far from the group; or DomainError naming the field at fault.
    Flushes; the caller commits.
    """
    if not group.is_active:
        raise DomainError(
            f"{group.name} is no longer active, so it cannot ask for training."
        )
    check_choice(topic, slots)
    details = checked_details(topic, slots, written)
    _ensure_not_sent(submission_key)
    warnings = unusual(
        group, details, warn_of_short=warn_of_short, warn_of_distance=warn_of_distance
    )
    if warn_of_overlap:
        overlapping = overlapping_requests(group, topic, slots)
        if overlapping:
            warnings.append(OverlapsOpenRequest(group, topic, overlapping))
    if warnings:
        raise NeedsConfirmation(warnings)
    training_request = TrainingRequest(
        group=group,
        created_by=by,
        status=RequestStatus.SUBMITTED,
        submission_key=submission_key,
        created_at=now,
        status_changed_at=now,
    )
    apply_details(training_request, details)
    try:
        # A savepoint: the same form sent twice at once loses here, not at commit.
        with db.session.begin_nested():
            db.session.add(training_request)
    except IntegrityError:
        _ensure_not_sent(submission_key)
        raise
    training_request.note(
        "submitted",
        _plural(len(slots), "slot") + " proposed",
        by,
        now,
    )
    db.session.flush()
    webhook_events.record(
        EventType.REQUEST_CREATED, webhook_events.about_request(training_request), now
    )
    logger.info(
        "Training request %s created for group %s (topic %s) by user %s",
        training_request.id,
        group.id,
        topic.id,
        by.id,
    )
    return training_request


class AlreadySubmitted(DomainError):
    """The same form was sent before; `training_request` is what it made."""

    def __init__(self, training_request: TrainingRequest):
        super().__init__("You had already sent this request: here it is.")
        self.training_request = training_request


class OverlapsOpenRequest(DomainError):
    """The group already has a request for the topic at an overlapping time."""

    def __init__(self, group: Group, topic: Topic, others: list[TrainingRequest]):
        when = ", ".join(format_datetime(when) for _, when in others)
        super().__init__(
            f"{group.name} already has a request for {topic.name} at an overlapping "
            f"time ({when}): see its requests. If this is another session, tick the "
            "box to send it as well.",
            field="confirm_overlap",
        )
        self.others = others


def _ensure_not_sent(submission_key: str | None) -> None:
    if submission_key:
        sent = db.session.scalar(
            select(TrainingRequest).where(
                TrainingRequest.submission_key == submission_key
            )
        )
        if sent is not None:
            raise AlreadySubmitted(sent)


def overlapping_requests(
    group: Group, topic: Topic, slots: list[Slot]
) -> list[tuple[TrainingRequest, datetime]]:
    """The group's open or booked requests for the topic at a time overlapping one
    of `slots` (a booked one at its session's time), each with when it is."""
    when = request_start()
    found = db.session.execute(
        select(TrainingRequest, when)
        .where(
            TrainingRequest.group_id == group.id,
            TrainingRequest.topic_id == topic.id,
            TrainingRequest.status.in_(CANCELLABLE_STATUSES),
            or_(*(_overlaps(starts_at, ends_at) for starts_at, ends_at in slots)),
        )
        .order_by(when)
    )
    return [(training_request, starts_at) for training_request, starts_at in found]


def _overlaps(starts_at: datetime, ends_at: datetime) -> ColumnElement[bool]:
    """SQL: the request takes place at a time overlapping [starts_at, ends_at):
    its booked session's, or, while open, a time matching may offer."""
    booked = (
        select(TrainingSession.id)
        .where(
            TrainingSession.request_id == TrainingRequest.id,
            TrainingSession.status == SessionStatus.BOOKED,
            TrainingSession.starts_at < ends_at,
            TrainingSession.ends_at > starts_at,
        )
        .exists()
    )
    proposed = (
        select(RequestSlot.id)
        .where(
            RequestSlot.request_id == TrainingRequest.id,
            matching_slot(),
            RequestSlot.starts_at < ends_at,
            RequestSlot.ends_at > starts_at,
        )
        .exists()
    )
    return or_(
        and_(TrainingRequest.status == RequestStatus.BOOKED, booked),
        and_(TrainingRequest.status.in_(OPEN_STATUSES), proposed),
    )


def update_request(
    training_request: TrainingRequest,
    topic: Topic,
    slots: list[Slot],
    written: Particulars,
    *,
    by: User,
    now: datetime,
    warn_of_short: bool = False,
    warn_of_distance: bool = False,
) -> list[str]:
    """Change an open request and record what changed; returns the changes (none: []).

    Raises NeedsConfirmation as create_request does, or DomainError if the
    request is no longer open or a field is wrong. Flushes; the caller commits.
    """
    ensure_editable(training_request)
    check_choice(topic, slots)
    details = checked_details(topic, slots, written)
    warnings = unusual(
        training_request.group,
        details,
        warn_of_short=warn_of_short,
        warn_of_distance=warn_of_distance,
    )
    if warnings:
        raise NeedsConfirmation(warnings)
    return _save_changes(training_request, details, by, now)


def change_booked_request(
    training_request: TrainingRequest, written: Particulars, *, by: User, now: datetime
) -> list[str]:
    """Change where a booked request takes place (venue and address, or meeting
    link), how many are expected, access needs and notes: not its topic, times,
    or whether it is online (`written.is_online` is not read). Records and
    returns the changes (none: []).

    The booked session is the caller's to follow (see matching.details).
    Raises DomainError if it is not booked or a field is wrong. Flushes.
    """
    if training_request.status != RequestStatus.BOOKED:
        raise DomainError(
            f"This request is {training_request.status}: only a booked session's "
            "details can be changed here."
        )
    details = checked_details(
        training_request.topic,
        [(slot.starts_at, slot.ends_at) for slot in training_request.slots],
        replace(written, is_online=training_request.is_online),
    )
    return _save_changes(training_request, details, by, now)


def _save_changes(
    training_request: TrainingRequest, details: "Details", by: User, now: datetime
) -> list[str]:
    changes = changes_between(training_request, details)
    if not changes:
        return []
    apply_details(training_request, details)
    training_request.note("edited", "; ".join(changes), by, now)
    db.session.flush()
    # Slots were edited in memory; reload them in their stored order when next read.
    db.session.expire(training_request, ["slots"])
    logger.info(
        "Training request %s edited by user %s: %s",
        training_request.id,
        by.id,
        "; ".join(changes),
    )
    return changes


def cancel_request(
    training_request: TrainingRequest, reason: str, by: User, now: datetime
) -> TrainingRequest:
    """Mark a request cancelled with a reason, in its history.

    Its offers and booked session are matching's to wind down (see
    trainers.matching.lifecycle). Raises DomainError if it cannot be cancelled
    or the reason is blank. Flushes; the caller commits.
    """
    ensure_cancellable(training_request)
    reason = clean(reason)
    if not reason:
        raise DomainError("Say why the request is being cancelled.", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(
            f"Keep the reason under {MAX_REASON} characters.", field="reason"
        )
    training_request.move_to(RequestStatus.CANCELLED, now)
    training_request.cancel_reason = reason
    training_request.note("cancelled", reason, by, now)
    webhook_events.record(
        EventType.REQUEST_CANCELLED, webhook_events.about_request(training_request), now
    )
    logger.info("Training request %s cancelled by user %s", training_request.id, by.id)
    return training_request


def ensure_editable(training_request: TrainingRequest) -> None:
    """Raises DomainError unless the request is still open to changes."""
    if not training_request.is_open:
        raise DomainError(
            f"This request is {training_request.status}, so it can no longer be "
            "changed."
        )


def ensure_cancellable(training_request: TrainingRequest) -> None:
    """Raises DomainError unless the request can still be cancelled."""
    if training_request.status == RequestStatus.CANCELLED:
        raise DomainError("This request is already cancelled.")
    if training_request.status not in CANCELLABLE_STATUSES:
        raise DomainError(
            f"This request is {training_request.status}, so it can no longer be "
            "cancelled."
        )


def is_short_notice(training_request: TrainingRequest, now: datetime) -> bool:
    """Whether an open request's first slot starts within SHORT_NOTICE_DAYS of now."""
    return is_short_notice_at(
        training_request.status,
        training_request.first_slot_starts_at,
        now,
        current_app.config["SHORT_NOTICE_DAYS"],
    )


def is_short_notice_at(
    status: str, first_slot_starts_at: datetime | None, now: datetime, days: int
) -> bool:
    """Still open though its first proposed time is under `days` away."""
    return (
        status in OPEN_STATUSES
        and first_slot_starts_at is not None
        and first_slot_starts_at - now < timedelta(days=days)
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
