"""A trainer's profile and how their own calendar is read: for the trainer
themselves and the office, through the profile page's lookup
(profiles.services.get_trainer_profile, by TrainerProfile.visible_to)."""

from collections.abc import Callable
from functools import wraps

from marshmallow import Schema, fields, validate

from trainers.api.auth import caller
from trainers.api.resources import may_answer, resource
from trainers.api.schemas import LondonDateTime
from trainers.api.writes import writes
from trainers.busy import services as busy
from trainers.profiles.models import LEVELS
from trainers.profiles.services import get_trainer_profile
from trainers.timeutil import utcnow

blp = resource("profiles", "Trainers' profiles (the office; a trainer: their own).")


class TaughtTopicSchema(Schema):
    topic_id = fields.Integer(required=True)
    topic_name = fields.String(required=True, attribute="topic.name")
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))


class WindowSchema(Schema):
    weekday = fields.Integer(
        required=True, metadata={"description": "0 is Monday, 6 Sunday."}
    )
    weekday_name = fields.String(required=True)
    start_time = fields.Time(
        required=True, format="%H:%M", metadata={"description": "London time."}
    )
    end_time = fields.Time(required=True, format="%H:%M")


class DayOffSchema(Schema):
    first_on = fields.Date(required=True)
    last_on = fields.Date(required=True)
    note = fields.String(required=True)


class ProfileSchema(Schema):
    trainer_id = fields.Integer(required=True, attribute="user_id")
    name = fields.String(required=True, attribute="user.name")
    home_district = fields.String(required=True, allow_none=True)
    region = fields.String(required=True, allow_none=True)
    travel_radius_km = fields.Integer(required=True)
    monthly_cap = fields.Integer(required=True)
    topics = fields.List(fields.Nested(TaughtTopicSchema), required=True)
    availability = fields.List(
        fields.Nested(WindowSchema),
        required=True,
        metadata={"description": "Weekly windows when they are free."},
    )
    days_off = fields.List(fields.Nested(DayOffSchema), required=True)
    updated_at = LondonDateTime(required=True)


@blp.route("/trainers/<int:trainer_id>/profile")
@may_answer(blp, 403, 404)
@blp.etag
@blp.response(200, ProfileSchema)
def get_profile(trainer_id: int):
    """A trainer's profile: topics, reach, weekly availability, days off.

    The office, and the trainer themselves."""
    return get_trainer_profile(caller(), trainer_id)


class OwnCalendarSchema(Schema):
    trainer_id = fields.Integer(required=True)
    is_linked = fields.Boolean(required=True)
    address = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "Its host and last few characters only: the address "
            "is secret, and is never given back whole."
        },
    )
    is_unknown = fields.Boolean(
        required=True,
        metadata={
            "description": "Not read successfully lately: the office sees a "
            "warning beside the trainer (or, where it is set so, they are left "
            "out of offers)."
        },
    )
    last_read_at = LondonDateTime(
        required=True, allow_none=True, metadata={"description": "Its last good read."}
    )
    failing_since = LondonDateTime(required=True, allow_none=True)
    last_error = fields.String(required=True, allow_none=True)
    busy_times_ahead = fields.Integer(
        required=True,
        metadata={"description": "Busy times read from it that have not yet ended."},
    )


class CalendarAddressSchema(Schema):
    url = fields.String(
        required=True,
        metadata={
            "description": "The secret address of the calendar's ICS feed "
            "(https:// or webcal://), as the calendar's sharing settings give it."
        },
    )


def _their_own(view: Callable) -> Callable:
    """Let the call through to the trainer themselves and the office only,
    before its body is read (as the profile page's lookup decides)."""

    @wraps(view)
    def wrapped(*args, trainer_id: int, **kwargs):
        get_trainer_profile(caller(), trainer_id)
        return view(*args, trainer_id=trainer_id, **kwargs)

    return wrapped


@blp.route("/trainers/<int:trainer_id>/calendar")
@may_answer(blp, 403, 404)
@blp.etag
@blp.response(200, OwnCalendarSchema)
@_their_own
def get_own_calendar(trainer_id: int):
    """Whether the trainer's own calendar is linked and read: no offer puts
    them in a time it is busy.

    The office, and the trainer themselves."""
    return _own_calendar(trainer_id)


@blp.route("/trainers/<int:trainer_id>/calendar", methods=["PUT"])
@may_answer(blp, 400, 403, 404, 415)
@writes()
@_their_own
@blp.arguments(CalendarAddressSchema)
@blp.response(200, OwnCalendarSchema)
def set_own_calendar(sent, trainer_id: int):
    """Link the trainer's own calendar, or change its address: it is read
    within minutes, and nothing is known of it until then.

    The office, and the trainer themselves. An address that is not https, or
    leads to a private network, is a 422."""
    busy.set_feed(trainer_id, sent["url"], utcnow())
    return _own_calendar(trainer_id)


@blp.route("/trainers/<int:trainer_id>/calendar", methods=["DELETE"])
@may_answer(blp, 403, 404)
@writes()
@_their_own
@blp.response(204)
def remove_own_calendar(trainer_id: int):
    """Unlink the trainer's own calendar and forget every busy time read from it.

    The office, and the trainer themselves."""
    busy.remove_feed(trainer_id)


def _own_calendar(trainer_id: int) -> dict:
    state = busy.calendar_state(trainer_id, utcnow())
    feed = state.feed
    return {
        "trainer_id": trainer_id,
        "is_linked": feed is not None,
        "address": feed and feed.shown,
        "is_unknown": state.is_unknown,
        "last_read_at": feed and feed.last_success_at,
        "failing_since": feed and feed.failing_since,
        "last_error": feed and feed.last_error,
        "busy_times_ahead": state.busy_count,
    }
