"""A trainer's profile: for the trainer themselves and the office, through
the profile page's lookup (profiles.services.get_trainer_profile, by
TrainerProfile.visible_to)."""

from marshmallow import Schema, fields, validate

from trainers.api.auth import caller
from trainers.api.resources import may_answer, resource
from trainers.api.schemas import LondonDateTime
from trainers.profiles.models import LEVELS
from trainers.profiles.services import get_trainer_profile

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
