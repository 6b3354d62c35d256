"""Schemas every resource shares: problems, and times with their offset."""

from datetime import UTC

from marshmallow import Schema, ValidationError, fields

from trainers.timeutil import LONDON


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    field = fields.String(metadata={"description": "The field at fault, if one."})
    errors = fields.Dict(
        keys=fields.String(),
        metadata={"description": "Messages by field, for input that is not valid."},
    )


class LondonDateTime(fields.AwareDateTime):
    """An ISO 8601 time with its offset: shown in Europe/London, read in any
    offset and kept in UTC."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", default_timezone=None, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(
            value.astimezone(LONDON) if value is not None else None,
            attr,
            obj,
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError as error:
            raise ValidationError(
                "That time is out of any range we can use."
            ) from error
