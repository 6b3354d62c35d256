"""The sections of a person's data report that say what they did and what was
done with their data: requests they made, offers to them, sessions they trained
or shadowed, request history they caused, attendance they wrote, and the audit
log about them and by them."""

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from trainers.attendance.models import Attendance
from trainers.audit import AuditEntry
from trainers.auth.models import User
from trainers.extensions import db
from trainers.matching.models import Offer
from trainers.network.models import Group, Topic
from trainers.privacy.audit_log import actor_label, subject_label
from trainers.privacy.sections import Section, rows_from
from trainers.requests.models import RequestEvent, TrainingRequest
from trainers.sessions.models import SessionPlace, TrainingSession


def activity_sections(user: User) -> list[Section]:
    """What the account holder did, and who looked at or changed their data."""
    return [
        _requests_made(user),
        _offers(user),
        _sessions(user, shadowed=False),
        _sessions(user, shadowed=True),
        _history(user),
        _attendance_written(user),
        _audit_about(user),
        _audit_by(user),
    ]


def _requests_made(user: User) -> Section:
    query = db.session.execute(
        select(TrainingRequest)
        .options(
            selectinload(TrainingRequest.group), selectinload(TrainingRequest.topic)
        )
        .where(TrainingRequest.created_by_id == user.id)
        .order_by(TrainingRequest.created_at)
    )
    return Section(
        "requests",
        "Requests they made",
        "Training their group asked for, with what they wrote.",
        (
            ("request_id", "Request"),
            ("topic", "Topic"),
            ("group", "Group"),
            ("status", "State"),
            ("created_at", "Asked"),
            ("expected_attendance", "Expected attendance"),
            ("accessibility_needs", "Accessibility needs"),
            ("notes", "Notes"),
        ),
        rows_from(
            query,
            lambda r: {
                "request_id": r.id,
                "topic": r.topic.name,
                "group": r.group.name,
                "status": r.status,
                "created_at": r.created_at,
                "expected_attendance": r.expected_attendance,
                "accessibility_needs": r.accessibility_needs,
                "notes": r.notes,
            },
        ),
        link=("requests.show", "request_id"),
    )


def _offers(user: User) -> Section:
    query = db.session.execute(
        select(Offer)
        .options(
            selectinload(Offer.training_request).selectinload(TrainingRequest.group),
            selectinload(Offer.training_request).selectinload(TrainingRequest.topic),
        )
        .where(Offer.trainer_id == user.id)
        .order_by(Offer.created_at, Offer.id)
    )
    return Section(
        "offers",
        "Offers made to them",
        "Sessions they were asked to run, why they were chosen, and their answer.",
        (
            ("created_at", "Offered"),
            ("topic", "Topic"),
            ("group", "Group"),
            ("status", "State"),
            ("responded_at", "Answered"),
            ("response_note", "Their note"),
            ("reasons", "Why them"),
        ),
        rows_from(
            query,
            lambda offer: {
                "created_at": offer.created_at,
                "topic": offer.training_request.topic.name,
                "group": offer.training_request.group.name,
                "status": offer.status,
                "responded_at": offer.responded_at,
                "response_note": offer.response_note,
                "reasons": list(offer.reasons or []),
            },
        ),
    )


def _sessions(user: User, shadowed: bool) -> Section:
    query = select(TrainingSession).options(
        selectinload(TrainingSession.group), selectinload(TrainingSession.topic)
    )
    if shadowed:
        query = query.join(SessionPlace).where(SessionPlace.trainer_id == user.id)
    else:
        query = query.where(TrainingSession.trainer_id == user.id)
    return Section(
        "sessions_shadowed" if shadowed else "sessions_trained",
        "Sessions they co-trained or shadowed" if shadowed else "Sessions they trained",
        "Booked sessions they held a place on beside the lead: co-training, or "
        "shadowing to learn the topic."
        if shadowed
        else "Booked sessions they ran or were to run.",
        (
            ("session_id", "Session"),
            ("starts_at", "When"),
            ("topic", "Topic"),
            ("group", "Group"),
            ("status", "State"),
        ),
        rows_from(
            db.session.execute(query.order_by(TrainingSession.starts_at)),
            lambda s: {
                "session_id": s.id,
                "starts_at": s.starts_at,
                "topic": s.topic.name,
                "group": s.group.name,
                "status": s.status,
            },
        ),
        link=("sessions.show", "session_id"),
    )


def _history(user: User) -> Section:
    query = db.session.execute(
        select(RequestEvent, Topic.name, Group.name)
        .join(TrainingRequest, TrainingRequest.id == RequestEvent.request_id)
        .join(Topic, Topic.id == TrainingRequest.topic_id)
        .join(Group, Group.id == TrainingRequest.group_id)
        .where(RequestEvent.actor_id == user.id)
        .order_by(RequestEvent.at, RequestEvent.id)
    )
    return Section(
        "history",
        "Things they did to requests",
        "Lines of requests' history they caused.",
        (
            ("request_id", "Request"),
            ("at", "When"),
            ("request", "Topic and group"),
            ("action", "What"),
            ("detail", "Detail"),
        ),
        rows_from(
            query,
            lambda event, topic, group: {
                "request_id": event.request_id,
                "at": event.at,
                "request": f"{topic} for {group}",
                "action": event.action,
                "detail": event.detail,
            },
        ),
        link=("requests.show", "request_id"),
    )


def _attendance_written(user: User) -> Section:
    mine = (
        Attendance.recorded_by_id == user.id,
        Attendance.rated_by_id == user.id,
        Attendance.reported_by_id == user.id,
    )
    query = db.session.execute(
        select(Attendance, TrainingSession.starts_at, Topic.name, Group.name)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .join(Topic, Topic.id == TrainingSession.topic_id)
        .join(Group, Group.id == TrainingSession.group_id)
        .where(or_(*mine))
        .order_by(TrainingSession.starts_at)
    )

    def row(attendance: Attendance, starts_at, topic, group) -> dict[str, object]:
        did = [
            what
            for what, by in (
                ("recorded attendance", attendance.recorded_by_id),
                ("rated it", attendance.rated_by_id),
                ("reported on it", attendance.reported_by_id),
            )
            if by == user.id
        ]
        rated = attendance.rated_by_id == user.id
        reported = attendance.reported_by_id == user.id
        return {
            "session_id": attendance.session_id,
            "starts_at": starts_at,
            "session": f"{topic} for {group}",
            "did": did,
            "rating": attendance.rating if rated else None,
            "rating_comment": attendance.rating_comment if rated else None,
            "went_well": attendance.went_well if reported else None,
            "follow_up_requested": attendance.follow_up_requested if reported else None,
        }

    return Section(
        "attendance",
        "Attendance, ratings and reports they wrote",
        "What they recorded about sessions after they took place.",
        (
            ("session_id", "Session"),
            ("starts_at", "When"),
            ("session", "Topic and group"),
            ("did", "What they did"),
            ("rating", "Rating"),
            ("rating_comment", "Comment"),
            ("went_well", "What went well"),
            ("follow_up_requested", "Follow-up asked for"),
        ),
        rows_from(query, row),
        link=("sessions.show", "session_id"),
    )


def _audit_about(user: User) -> Section:
    query = db.session.execute(
        select(AuditEntry)
        .options(selectinload(AuditEntry.actor))
        .where(AuditEntry.subject_user_id == user.id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return Section(
        "audit_about",
        "Who looked at or changed their data",
        "Entries of the audit log about them.",
        (("at", "When"), ("by", "Who"), ("action", "What"), ("detail", "Detail")),
        rows_from(
            query,
            lambda entry: {
                "at": entry.at,
                "by": actor_label(entry),
                "action": entry.action,
                "detail": entry.detail,
            },
        ),
    )


def _audit_by(user: User) -> Section:
    query = db.session.execute(
        select(AuditEntry)
        .options(selectinload(AuditEntry.subject))
        .where(AuditEntry.actor_id == user.id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return Section(
        "audit_by",
        "Personal data they looked at or changed",
        "Entries of the audit log where they were the one acting.",
        (("at", "When"), ("action", "What"), ("whose", "Whose"), ("detail", "Detail")),
        rows_from(
            query,
            lambda entry: {
                "at": entry.at,
                "action": entry.action,
                "whose": subject_label(entry),
                "detail": entry.detail,
            },
        ),
    )
