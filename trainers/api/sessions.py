"""Sessions: read by whoever may see them (TrainingSession.visible_to);
rescheduled and cancelled by the group's organisers and the office with the
request pages' rules and services (matching.lifecycle)."""

from datetime import date, datetime, time, timedelta

from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from trainers.api.auth import caller, roles_required
from trainers.api.paging import Order, PageArgs, next_link, page_of, page_schema
from trainers.api.refusals import ask_to_confirm, confirmable, invalid
from trainers.api.resources import may_answer, resource
from trainers.api.schemas import LondonDateTime
from trainers.api.writes import writes
from trainers.errors import DomainError
from trainers.matching import lifecycle
from trainers.matching.notice import NeedsConfirmation
from trainers.numbers import LARGEST
from trainers.requests.details import MAX_REASON
from trainers.requests.models import RequestStatus
from trainers.requests.queries import get_request_for
from trainers.requests.slots import InvalidSlots, parse_slots
from trainers.sessions.models import (
    BookedVia,
    SessionPlace,
    SessionStatus,
    TrainingSession,
)
from trainers.sessions.services import get_session_for
from trainers.timeutil import LONDON, local_to_utc, utcnow

blp = resource("sessions", "Booked sessions: read, rescheduled and cancelled.")
# As on the request pages: only the group's organisers and the office change one.
organiser_or_office = roles_required("organiser", "office")

# What may be confirmed, by the page's box it stands for.
CONFIRMABLE = {"short_notice": "confirm", "release": "release"}
CANCEL_CONFIRMABLE = {"short_notice": "confirm"}
# Dates a list may be narrowed to: any a session could start on.
A_DATE = validate.Range(date(2000, 1, 1), date(2999, 12, 31))
CONFIRM_HELP = (
    "What is meant though the page would ask: short_notice (a change inside "
    "the notice window; the national office is told), release (the trainer "
    "cannot do the new time: release them and look for another)."
)


class PlaceSchema(Schema):
    place = fields.Integer(required=True, metadata={"description": "2 and up."})
    trainer_id = fields.Integer(required=True, allow_none=True)
    trainer_name = fields.Function(
        lambda place: place.trainer.name if place.trainer else None,
        required=True,
        allow_none=True,
        metadata={"type": "string"},
    )
    is_shadowing = fields.Boolean(required=True)
    is_open = fields.Boolean(required=True)


class SessionSchema(Schema):
    id = fields.Integer(required=True)
    request_id = fields.Integer(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf([str(s) for s in SessionStatus])
    )
    booked_via = fields.String(
        required=True, validate=validate.OneOf([str(b) for b in BookedVia])
    )
    trainer_id = fields.Integer(required=True)
    trainer_name = fields.String(required=True, attribute="trainer.name")
    group_id = fields.Integer(required=True)
    group_name = fields.String(required=True, attribute="group.name")
    topic_id = fields.Integer(required=True)
    topic_name = fields.String(required=True, attribute="topic.name")
    starts_at = LondonDateTime(required=True)
    ends_at = LondonDateTime(required=True)
    is_online = fields.Boolean(required=True)
    venue_postcode = fields.String(required=True, allow_none=True)
    venue_address = fields.String(required=True)
    meeting_url = fields.String(required=True, allow_none=True)
    cancelled_at = LondonDateTime(required=True, allow_none=True)
    cancel_reason = fields.String(required=True, allow_none=True)
    updated_at = LondonDateTime(required=True)
    places = fields.List(
        fields.Nested(PlaceSchema),
        required=True,
        metadata={"description": "The places beside the lead (place 1), by place."},
    )
    is_fully_staffed = fields.Boolean(
        required=True,
        metadata={"description": "Booked, with every place it needs taken."},
    )


class SessionFiltersSchema(PageArgs):
    status = fields.String(validate=validate.OneOf([str(s) for s in SessionStatus]))
    from_ = fields.Date(
        data_key="from",
        validate=A_DATE,
        metadata={"description": "Starting on or after this date (London)."},
    )
    to = fields.Date(
        validate=A_DATE,
        metadata={"description": "Starting on or before this date (London)."},
    )


class RescheduleSchema(Schema):
    slot_id = fields.Integer(
        validate=validate.Range(1, LARGEST),
        metadata={"description": "One of the request's proposed times to move to."},
    )
    starts_at = LondonDateTime(
        metadata={"description": "A new time instead (with ends_at)."}
    )
    ends_at = LondonDateTime(metadata={"description": "The same day as starts_at."})
    reason = fields.String(
        load_default="",
        validate=validate.Length(
            max=MAX_REASON, error=f"Keep the reason under {MAX_REASON} characters."
        ),
        metadata={"description": "Everyone on the session is told."},
    )
    confirm = confirmable(CONFIRMABLE, CONFIRM_HELP)


class RescheduledSchema(Schema):
    session = fields.Nested(SessionSchema, required=True)
    kept_trainer = fields.Boolean(
        required=True,
        metadata={"description": "False: released, and the request offered again."},
    )
    request_status = fields.String(
        required=True, validate=validate.OneOf([str(s) for s in RequestStatus])
    )
    offers_made = fields.Integer(required=True)


class CancelSchema(Schema):
    reason = fields.String(
        load_default="",
        validate=validate.Length(
            max=MAX_REASON, error=f"Keep the reason under {MAX_REASON} characters."
        ),
        metadata={"description": "Why it is cancelled (needed); everyone is told."},
    )
    confirm = confirmable(
        CANCEL_CONFIRMABLE,
        "short_notice: cancelling inside the notice window is meant; the "
        "national office is told.",
    )


def _with_people():
    return select(TrainingSession).options(
        joinedload(TrainingSession.group),
        joinedload(TrainingSession.topic),
        joinedload(TrainingSession.trainer),
        selectinload(TrainingSession.places).joinedload(SessionPlace.trainer),
    )


@blp.route("/sessions")
@may_answer(blp, 400, 403)
@blp.etag
@blp.arguments(SessionFiltersSchema, location="query")
@blp.response(200, page_schema(SessionSchema))
def list_sessions(args):
    """The sessions the caller may see, soonest first.

    Trainers: theirs; organisers: their groups'; the office: all."""
    query = _with_people().where(TrainingSession.visible_to(caller()))
    if "status" in args:
        query = query.where(TrainingSession.status == args["status"])
    if "from_" in args:
        query = query.where(
            TrainingSession.starts_at >= local_to_utc(args["from_"], time(0))
        )
    if "to" in args:
        next_day = args["to"] + timedelta(days=1)
        query = query.where(TrainingSession.starts_at < local_to_utc(next_day, time(0)))
    page = page_of(query, Order(TrainingSession.starts_at, TrainingSession.id), args)
    return page, next_link(page["next_cursor"])


@blp.route("/sessions/<int:session_id>")
@may_answer(blp, 403, 404)
@blp.etag
@blp.response(200, SessionSchema)
def get_session(session_id: int):
    """One session the caller may see.

    Its trainer, its group's organisers and the office."""
    return get_session_for(caller(), session_id)


@blp.route("/sessions/<int:session_id>/reschedule", methods=["POST"])
@may_answer(blp, 400, 403, 404, 415)
@organiser_or_office
@writes()
@blp.arguments(RescheduleSchema)
@blp.response(200, RescheduledSchema)
def reschedule_session(sent, session_id: int):
    """Move a booked session to a proposed time (slot_id) or a new time.

    The group's organisers and the office. The trainer keeps it if free then,
    else is released only when `release` is confirmed; everyone is sent the
    updated invite."""
    training_session, training_request = _booked(session_id, "rescheduled")
    starts_at, ends_at = _new_time(sent, training_request)
    confirmed = set(sent["confirm"])
    try:
        outcome = lifecycle.reschedule(
            training_request,
            starts_at,
            ends_at,
            caller(),
            utcnow(),
            reason=sent["reason"],
            confirmed="short_notice" in confirmed,
            release="release" in confirmed,
        )
    except (NeedsConfirmation, lifecycle.TrainerCannotMakeIt) as error:
        raise ask_to_confirm(CONFIRMABLE, [error]) from None
    return {
        "session": outcome.training_session,
        "kept_trainer": outcome.kept_trainer,
        "request_status": outcome.request_status,
        "offers_made": outcome.offers_made,
    }


@blp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@may_answer(blp, 400, 403, 404, 415)
@organiser_or_office
@writes()
@blp.arguments(CancelSchema)
@blp.response(200, SessionSchema)
def cancel_session(sent, session_id: int):
    """Cancel a booked session and its request, with a reason.

    The group's organisers and the office. As the request's cancel page:
    offers withdrawn, everyone told, calendars sent a cancellation."""
    training_session, training_request = _booked(session_id, "cancelled")
    try:
        lifecycle.cancel_training_request(
            training_request,
            sent["reason"],
            caller(),
            utcnow(),
            confirmed="short_notice" in sent["confirm"],
        )
    except NeedsConfirmation as error:
        raise ask_to_confirm(CANCEL_CONFIRMABLE, [error]) from None
    return training_session


def _booked(session_id: int, change: str):
    """The session the caller may see and its request, which they may change
    (else 404, as the pages); refused unless the session is still booked, so
    an old session never stands for its request's later booking."""
    training_session = get_session_for(caller(), session_id)
    training_request = get_request_for(caller(), training_session.request_id)
    if training_session.status != SessionStatus.BOOKED:
        raise DomainError(
            f"This session is {training_session.status}, so it can no longer be "
            f"{change}."
        )
    return training_session, training_request


def _new_time(sent: dict, training_request) -> tuple[datetime, datetime]:
    """The time chosen: a proposed slot of the request's, or a new start and
    end, checked as the page checks a typed time (parse_slots)."""
    if "slot_id" in sent:
        if "starts_at" in sent or "ends_at" in sent:
            raise invalid("slot_id", "Choose a proposed time or a new time, not both.")
        slot = next(
            (s for s in training_request.slots if s.id == sent["slot_id"]), None
        )
        if slot is None:
            raise invalid("slot_id", "That is not one of the request's times.")
        return slot.starts_at, slot.ends_at
    if "starts_at" not in sent or "ends_at" not in sent:
        raise invalid(
            "starts_at",
            "Choose a proposed time (slot_id) or a new starts_at and ends_at.",
        )
    starts = sent["starts_at"].astimezone(LONDON)
    ends = sent["ends_at"].astimezone(LONDON)
    if ends.date() != starts.date():
        raise invalid("ends_at", "End on the day it starts.")
    try:
        ((starts_at, ends_at),) = parse_slots(
            [(starts.date(), starts.time(), ends.time())], utcnow()
        )
    except InvalidSlots as error:
        part = error.errors[0].field.rsplit("_", 1)[-1]
        field = "ends_at" if part == "end" else "starts_at"
        raise invalid(field, error.message) from None
    return starts_at, ends_at
