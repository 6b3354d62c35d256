"""A session's attendance: its headcount read and recorded by the roster's
audience (the session's trainer, its group's organisers, the office) through
the attendance page's service. Counts only: no attendee's name leaves here."""

from marshmallow import Schema, fields, validate

from trainers.api.auth import caller
from trainers.api.resources import may_answer, resource
from trainers.api.schemas import LondonDateTime
from trainers.api.writes import writes
from trainers.attendance import services
from trainers.timeutil import utcnow

blp = resource("attendance", "How many came to a session.")


class AttendanceSchema(Schema):
    session_id = fields.Integer(required=True)
    headcount = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "None until attendance is recorded."},
    )
    people_count = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The larger of the headcount and the roster."},
    )
    recorded_at = LondonDateTime(required=True, allow_none=True)
    updated_at = LondonDateTime(required=True, allow_none=True)
    recording_problem = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Why it cannot be recorded now; None when it can."},
    )


class HeadcountSchema(Schema):
    # Left out, the service refuses it in its words, after the caller is
    # known to see the session: a stranger's call is a 404 whatever it sends.
    headcount = fields.Integer(
        load_default=None,
        validate=validate.Range(
            0, services.MAX_HEADCOUNT, error=services.HEADCOUNT_MESSAGE
        ),
        metadata={"description": "How many came (needed)."},
    )


@blp.route("/sessions/<int:session_id>/attendance")
@may_answer(blp, 403, 404)
@blp.etag
@blp.response(200, AttendanceSchema)
def get_attendance(session_id: int):
    """The session's attendance: its figures once recorded.

    The session's trainer, its group's organisers and the office."""
    training_session = services.session_for_roster(caller(), session_id)
    return _shown(training_session, services.attendance_of(session_id))


@blp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
@may_answer(blp, 400, 403, 404, 415)
@writes()
@blp.arguments(HeadcountSchema)
@blp.response(200, AttendanceSchema)
def record_attendance(sent, session_id: int):
    """Record or correct the headcount, once the session has started.

    The session's trainer, its group's organisers and the office. The first
    recording makes the session and its request delivered."""
    training_session = services.session_for_roster(caller(), session_id)
    attendance = services.record_attendance(
        training_session, sent["headcount"], caller(), utcnow()
    )
    return _shown(training_session, attendance)


def _shown(training_session, attendance) -> dict:
    return {
        "session_id": training_session.id,
        "headcount": attendance and attendance.headcount,
        "people_count": attendance and attendance.people_count,
        "recorded_at": attendance and attendance.recorded_at,
        "updated_at": attendance and attendance.updated_at,
        "recording_problem": services.recording_problem(training_session, utcnow()),
    }
