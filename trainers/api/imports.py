"""Bulk import through the API: the office checks a CSV file of groups or
people, then imports it, all rows or none, with the import page's service
(imports.services) and its words."""

from flask import abort
from marshmallow import Schema, fields, validate

from trainers.api.auth import caller, office_only
from trainers.api.problems import VALIDATION, Problem
from trainers.api.resources import may_answer, resource
from trainers.api.writes import writes
from trainers.imports import services
from trainers.timeutil import utcnow

blp = resource("imports", "Groups and people brought in from a CSV file.")


class FileSchema(Schema):
    csv = fields.String(
        required=True,
        validate=validate.Length(
            max=services.MAX_BYTES, error="That file is too large to import."
        ),
        metadata={
            "description": "The file's text, its header row first, as the import "
            "page describes for its kind (groups or people)."
        },
    )


class ProblemRowSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "1 is the header."})
    column = fields.String(required=True)
    message = fields.String(required=True)


class PlannedRowSchema(Schema):
    row = fields.Integer(required=True)
    does = fields.String(required=True, metadata={"description": "In words."})


class CheckedSchema(Schema):
    kind = fields.String(required=True)
    planned = fields.List(fields.Nested(PlannedRowSchema), required=True)
    problems = fields.List(fields.Nested(ProblemRowSchema), required=True)


@blp.route("/imports/<kind>/check", methods=["POST"])
@may_answer(blp, 400, 403, 404, 415)
@office_only
@writes()
@blp.arguments(FileSchema)
@blp.response(200, CheckedSchema)
def check_file(sent, kind: str):
    """Check a file: every row's problem by row and column, and what each good
    row would do. Saves nothing."""
    return services.preview(_known(kind), sent["csv"], utcnow())


@blp.route("/imports/<kind>", methods=["POST"])
@may_answer(blp, 400, 403, 404, 415)
@office_only
@writes()
@blp.arguments(FileSchema)
@blp.response(201, CheckedSchema)
def import_file(sent, kind: str):
    """Import a file: every row saved and each new person invited, or, if any
    row has a problem, nothing saved and a 422 problem listing them all."""
    try:
        return services.apply(_known(kind), sent["csv"], caller(), utcnow())
    except services.ImportRefused as refused:
        raise Problem(
            422,
            refused.message,
            type_=VALIDATION,
            problems=CheckedSchema().dump(refused.preview)["problems"],
        ) from None


def _known(kind: str) -> str:
    if kind not in services.KINDS:
        abort(404)
    return kind
