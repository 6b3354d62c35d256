"""A trainer's profile and how their own calendar is read: for the trainer
themselves and the office, through the profile page's lookup
(profiles.services.get_trainer_profile, by TrainerProfile.visible_to)."""

from marshmallow import Schema, fields, validate

from trainers.api.auth import caller
from trainers.api.resources import may_answer, resource
from trainers.api.schemas import LondonDateTime
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
            "is secret, and is set on the profile's calendar page."
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


@blp.route("/trainers/<int:trainer_id>/calendar")
@may_answer(blp, 403, 404)
@blp.etag
@blp.response(200, OwnCalendarSchema)
def get_own_calendar(trainer_id: int):
    """Whether the trainer's own calendar is linked and read: no offer puts
    them in a time it is busy.

    The office, and the trainer themselves."""
    get_trainer_profile(caller(), trainer_id)
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
