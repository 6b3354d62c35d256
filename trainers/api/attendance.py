"""A session's attendance: its headcount read and recorded by the roster's
audience (the session's trainer, its group's organisers, the office) through
the attendance page's service. Counts only: no attendee's name leaves here."""

from marshmallow import Schema, fields, validate

from trainers.api.auth import caller
from trainers.api.problems import Problem
from trainers.api.resources import resource
from trainers.api.schemas import LondonDateTime
from trainers.api.writes import writes
from trainers.attendance import services
from trainers.timeutil import utcnow

blp = resource("attendance", "How many came to a session.")


class AttendanceSchema(Schema):
    session_id = fields.Integer(required=True)
    headcount = fields.Integer(required=True)
    people_count = fields.Integer(
        required=True,
        metadata={"description": "The larger of the headcount and the roster."},
    )
    recorded_at = LondonDateTime(required=True)
    updated_at = LondonDateTime(required=True)


class HeadcountSchema(Schema):
    headcount = fields.Integer(
        required=True,
        validate=validate.Range(
            0, services.MAX_HEADCOUNT, error=services.HEADCOUNT_MESSAGE
        ),
    )


@blp.route("/sessions/<int:session_id>/attendance")
@blp.etag
@blp.response(200, AttendanceSchema)
def get_attendance(session_id: int):
    """The session's recorded attendance (404 until it is recorded)."""
    services.session_for_roster(caller(), session_id)
    attendance = services.attendance_of(session_id)
    if attendance is None:
        raise Problem(404, "No attendance has been recorded for this session yet.")
    return attendance


@blp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
@writes()
@blp.arguments(HeadcountSchema)
@blp.response(200, AttendanceSchema)
def record_attendance(sent, session_id: int):
    """Record or correct the headcount once the session has started; the first
    recording makes the session and its request delivered."""
    training_session = services.session_for_roster(caller(), session_id)
    return services.record_attendance(
        training_session, sent["headcount"], caller(), utcnow()
    )
