"""Requests: an organiser lists and makes their groups', the office any group's,
through the same scope (TrainingRequest.visible_to), checks and service as the
request form."""

from datetime import UTC, date, datetime, time, timedelta

from flask import url_for
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from trainers.api.auth import caller, office_only, roles_required
from trainers.api.paging import Order, PageArgs, next_link, page_of, page_schema
from trainers.api.problems import VALIDATION, Problem
from trainers.api.refusals import ask_to_confirm, confirmable
from trainers.api.resources import may_answer, resource
from trainers.api.schemas import LondonDateTime
from trainers.api.writes import writes
from trainers.errors import DomainError, NotFound
from trainers.geo import REGIONS
from trainers.matching import lifecycle, places
from trainers.network.models import Group
from trainers.numbers import LARGEST
from trainers.requests.details import (
    MAX_ACCESSIBILITY,
    MAX_ADDRESS,
    MAX_MEETING_URL,
    MAX_NOTES,
    NeedsConfirmation,
    Particulars,
)
from trainers.requests.models import RequestStatus, TrainingRequest, request_start
from trainers.requests.queries import (
    get_request_for,
    get_topic,
    group_for,
    visible_requests,
)
from trainers.requests.slots import InvalidSlots, SlotRow, parse_slots
from trainers.timeutil import LONDON, local_to_utc, utcnow

blp = resource("requests", "Groups' requests for training.")
organiser_or_office = roles_required("organiser", "office")

AN_ID = validate.Range(1, LARGEST)
# Dates a list may be narrowed to: any a request could take place on.
A_DATE = validate.Range(date(2000, 1, 1), date(2999, 12, 31))
# Times far beyond any plan are refused before arithmetic on them overflows.
A_TIME = validate.Range(
    datetime(2000, 1, 1, tzinfo=UTC),
    datetime(2999, 12, 31, tzinfo=UTC),
    error="Choose a time between the years 2000 and 2999.",
)
# What may be confirmed, by the form's box it stands for.
CONFIRMABLE = {
    "short": "confirm_short",
    "far": "confirm_far",
    "overlap": "confirm_overlap",
}


class SlotSchema(Schema):
    id = fields.Integer(dump_only=True)
    starts_at = LondonDateTime(required=True, validate=A_TIME)
    ends_at = LondonDateTime(
        validate=A_TIME,
        metadata={"description": "The same day; the topic's usual length if left out."},
    )


class RequestSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf([str(s) for s in RequestStatus])
    )
    group_id = fields.Integer(required=True)
    group_name = fields.String(required=True, attribute="group.name")
    region = fields.String(required=True, attribute="group.region")
    topic_id = fields.Integer(required=True)
    topic_name = fields.String(required=True, attribute="topic.name")
    slots = fields.List(fields.Nested(SlotSchema), required=True)
    is_online = fields.Boolean(required=True)
    venue_postcode = fields.String(required=True, allow_none=True)
    venue_address = fields.String(required=True)
    meeting_url = fields.String(required=True, allow_none=True)
    expected_attendance = fields.Integer(required=True)
    accessibility_needs = fields.String(required=True)
    notes = fields.String(required=True)
    cancel_reason = fields.String(required=True, allow_none=True)
    trainers_needed = fields.Integer(
        required=True,
        attribute="places_needed",
        metadata={
            "description": "How many trainers its session needs, the lead "
            "included: the office's number, else the topic's rule (one more "
            "above the topic's headcount for one more)."
        },
    )
    trainers_override = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The office's number, if it set one."},
    )
    allows_shadowing = fields.Boolean(
        required=True,
        metadata={
            "description": "Whether a trainer shadowing the topic may take a "
            "co-trainer's place."
        },
    )
    created_at = LondonDateTime(required=True)
    status_changed_at = LondonDateTime(required=True)


class TrainersSchema(Schema):
    trainers_override = fields.Integer(
        required=True,
        allow_none=True,
        metadata={
            "description": "How many trainers the session needs, 1 to 5, the "
            "lead included; null for the topic's rule."
        },
    )
    allows_shadowing = fields.Boolean(
        required=True,
        metadata={
            "description": "Whether a trainer shadowing the topic may take a "
            "co-trainer's place."
        },
    )


class RequestFiltersSchema(PageArgs):
    status = fields.String(validate=validate.OneOf([str(s) for s in RequestStatus]))
    region = fields.String(validate=validate.OneOf(REGIONS))
    topic = fields.Integer(validate=AN_ID, metadata={"description": "A topic's id."})
    from_ = fields.Date(
        data_key="from",
        validate=A_DATE,
        metadata={"description": "Taking place on or after this date (London)."},
    )
    to = fields.Date(
        validate=A_DATE,
        metadata={"description": "Taking place on or before this date (London)."},
    )


class NewRequestSchema(Schema):
    group_id = fields.Integer(required=True, validate=AN_ID)
    topic_id = fields.Integer(required=True, validate=AN_ID)
    slots = fields.List(
        fields.Nested(SlotSchema),
        required=True,
        metadata={"description": "1 to 5 proposed times."},
    )
    is_online = fields.Boolean(load_default=False)
    venue_postcode = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=20, error="That is too long for a postcode."),
    )
    venue_address = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(
            max=MAX_ADDRESS, error=f"Keep the address under {MAX_ADDRESS} characters."
        ),
    )
    meeting_url = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=MAX_MEETING_URL, error="That link is too long."),
    )
    expected_attendance = fields.Integer(required=True, validate=AN_ID)
    accessibility_needs = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(
            max=MAX_ACCESSIBILITY,
            error=f"Keep this under {MAX_ACCESSIBILITY} characters.",
        ),
    )
    notes = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(
            max=MAX_NOTES, error=f"Keep the notes under {MAX_NOTES} characters."
        ),
    )
    confirm = confirmable(
        CONFIRMABLE,
        "What is unusual and meant: short (times much shorter than the topic's "
        "usual length), far (a venue far from the group), overlap (another open "
        "request of the group's for the topic then).",
    )


@blp.route("/requests")
@may_answer(blp, 403)
@organiser_or_office
@blp.etag
@blp.arguments(RequestFiltersSchema, location="query")
@blp.response(200, page_schema(RequestSchema))
def list_requests(args):
    """The requests the caller may see, newest first.

    Organisers: their groups'; the office: all; trainers are refused."""
    query = visible_requests(caller(), status=args.get("status"))
    if "region" in args:
        in_region = select(Group.id).where(Group.region == args["region"])
        query = query.where(TrainingRequest.group_id.in_(in_region))
    if "topic" in args:
        query = query.where(TrainingRequest.topic_id == args["topic"])
    if "from_" in args:
        query = query.where(request_start() >= _london_midnight(args["from_"]))
    if "to" in args:
        query = query.where(
            request_start() < _london_midnight(args["to"] + timedelta(days=1))
        )
    page = page_of(
        query, Order(TrainingRequest.created_at, TrainingRequest.id, True), args
    )
    return page, next_link(page["next_cursor"])


@blp.route("/requests/<int:request_id>")
@may_answer(blp, 403, 404)
@organiser_or_office
@blp.etag
@blp.response(200, RequestSchema)
def get_request(request_id: int):
    """One request the caller may see."""
    return get_request_for(caller(), request_id)


@blp.route("/requests", methods=["POST"])
@may_answer(blp, 400, 403, 415)
@organiser_or_office
@writes()
@blp.arguments(NewRequestSchema)
@blp.response(201, RequestSchema)
def create_request(sent):
    """Ask for training for a group.

    Organisers: for one of their groups; the office: for any. Checked as the
    request form checks it, and offered at once to the best trainers."""
    user, now = caller(), utcnow()
    topic = get_topic(sent["topic_id"])
    try:
        group = group_for(user, sent["group_id"])
    except NotFound:
        raise DomainError(
            "Choose one of your groups that is still active.", field="group_id"
        ) from None
    slots = _slots(sent["slots"], now, topic.default_minutes)
    confirmed = set(sent["confirm"])
    try:
        training_request = lifecycle.submit_request(
            group,
            topic,
            slots,
            Particulars(
                is_online=sent["is_online"],
                venue_postcode=sent["venue_postcode"],
                venue_address=sent["venue_address"],
                expected_attendance=sent["expected_attendance"],
                meeting_url=sent["meeting_url"],
                accessibility_needs=sent["accessibility_needs"],
                notes=sent["notes"],
            ),
            by=user,
            now=now,
            warn_of_short="short" not in confirmed,
            warn_of_distance="far" not in confirmed,
            warn_of_overlap="overlap" not in confirmed,
        )
    except NeedsConfirmation as error:
        raise ask_to_confirm(CONFIRMABLE, error.warnings) from None
    location = url_for(".get_request", request_id=training_request.id)
    return training_request, {"Location": location}


@blp.route("/requests/<int:request_id>/trainers", methods=["PUT"])
@may_answer(blp, 400, 403, 404, 415)
@office_only
@writes()
@blp.arguments(TrainersSchema)
@blp.response(200, RequestSchema)
def set_trainers(sent, request_id: int):
    """Say how many trainers a request's session needs, and whether a trainer
    shadowing the topic may take a co-trainer's place.

    The office, as on the request page. A booked session gains open places,
    offered at once, or loses open ones; fewer places than the trainers
    already on it is a 422."""
    training_request = get_request_for(caller(), request_id)
    places.set_trainers(
        training_request,
        sent["trainers_override"],
        sent["allows_shadowing"],
        caller(),
        utcnow(),
    )
    return training_request


def _slots(sent: list[dict], now: datetime, usual_minutes: int) -> list:
    """The proposed times as the form's rows (London date, start, end), checked
    by the form's own parse_slots; its errors name `slots.N.starts_at|ends_at`."""
    rows: list[SlotRow] = []
    for number, slot in enumerate(sent):
        starts = slot["starts_at"].astimezone(LONDON)
        ends = slot["ends_at"].astimezone(LONDON) if "ends_at" in slot else None
        if ends is not None and ends.date() != starts.date():
            raise Problem(
                422,
                "A slot ends on the day it starts.",
                type_=VALIDATION,
                errors={f"slots.{number}.ends_at": ["End on the day it starts."]},
            )
        rows.append((starts.date(), starts.time(), ends.time() if ends else None))
    try:
        return parse_slots(rows, now, usual_minutes)
    except InvalidSlots as error:
        raise Problem(
            422,
            error.message,
            type_=VALIDATION,
            errors={_slot_field(each.field): [each.message] for each in error.errors},
        ) from None


def _slot_field(form_field: str) -> str:
    # The form's "slot_2_end" is the API's "slots.1.ends_at".
    _, row, part = form_field.split("_")
    return f"slots.{int(row) - 1}.{'ends_at' if part == 'end' else 'starts_at'}"


def _london_midnight(day: date) -> datetime:
    return local_to_utc(day, time(0))
