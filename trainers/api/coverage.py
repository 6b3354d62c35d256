"""Coverage (the national office): the dashboard's headline figures and its
CSV exports' rows as JSON, computed by the dashboard's own report
(coverage.dashboard) with its filters, checked by its make_filters."""

from flask import abort
from marshmallow import Schema, fields, validate

from trainers.api.auth import roles_required
from trainers.api.paging import PageArgs, _read, _write
from trainers.api.refusals import invalid
from trainers.api.resources import resource
from trainers.coverage.dashboard.exports import EXPORTS
from trainers.coverage.dashboard.report import CoverageReport, topic_names
from trainers.coverage.filters import (
    EARLIEST_DAY,
    LATEST_DAY,
    default_filters,
    make_filters,
)
from trainers.errors import DomainError
from trainers.geo import REGIONS
from trainers.numbers import LARGEST
from trainers.timeutil import to_local, utcnow

blp = resource("coverage", "The network's coverage (the national office).")
office_only = roles_required("office")

# The form's field names, as the API's.
FIELDS = {"from_": "from", "to": "to", "region": "region"}


class CoverageFiltersSchema(Schema):
    from_ = fields.Date(
        data_key="from",
        validate=validate.Range(EARLIEST_DAY, LATEST_DAY),
        metadata={"description": "The range's first day (London); a year ago."},
    )
    to = fields.Date(
        validate=validate.Range(EARLIEST_DAY, LATEST_DAY),
        metadata={"description": "The range's last day (London); today."},
    )
    region = fields.String(validate=validate.OneOf(REGIONS))
    topic = fields.Integer(
        validate=validate.Range(1, LARGEST), metadata={"description": "A topic's id."}
    )


class ExportArgsSchema(CoverageFiltersSchema, PageArgs):
    pass


class UsedFiltersSchema(Schema):
    from_ = fields.Date(required=True, data_key="from", attribute="first_day")
    to = fields.Date(required=True, attribute="last_day")
    region = fields.String(required=True, allow_none=True)
    topic = fields.Integer(required=True, allow_none=True, attribute="topic_id")


class FigureSchema(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    value = fields.Float(required=True, allow_none=True)
    text = fields.String(required=True, metadata={"description": "As shown."})
    how_counted = fields.String(required=True)


class CoverageSchema(Schema):
    filters = fields.Nested(UsedFiltersSchema, required=True)
    figures = fields.List(fields.Nested(FigureSchema), required=True)


class ExportPageSchema(Schema):
    table = fields.String(required=True, validate=validate.OneOf(list(EXPORTS)))
    filters = fields.Nested(UsedFiltersSchema, required=True)
    header = fields.List(fields.String(), required=True)
    items = fields.List(
        fields.List(fields.Raw(allow_none=True)),
        required=True,
        metadata={"description": "Rows, each as the CSV's: a cell per header."},
    )
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as `cursor` for the next page."},
    )


@blp.route("/coverage")
@office_only
@blp.etag
@blp.arguments(CoverageFiltersSchema, location="query")
@blp.response(200, CoverageSchema)
def get_coverage(args):
    """The coverage dashboard's headline figures for the filters.

    The office. By default the last twelve months, the whole network, every
    topic."""
    report = _report(args)
    return {"filters": report.filters, "figures": report.figures}


@blp.route("/coverage/exports/<table>")
@office_only
@blp.etag
@blp.arguments(ExportArgsSchema, location="query")
@blp.response(200, ExportPageSchema)
def get_export(args, table: str):
    """One of the dashboard's CSV exports as rows, a page at a time.

    The office. The tables: summary, states, regions, topics, months, map,
    groups, sessions."""
    chosen = EXPORTS.get(table)
    if chosen is None:
        abort(404)
    report = _report(args)
    rows = list(chosen.rows(report))
    start = _position(table, args.get("cursor"))
    end = start + args["limit"]
    return {
        "table": table,
        "filters": report.filters,
        "header": list(chosen.header),
        "items": [list(row) for row in rows[start:end]],
        "next_cursor": _write(table, end) if end < len(rows) else None,
    }


def _report(args: dict) -> CoverageReport:
    """The dashboard's report for the filters sent, checked as the page checks
    them; a 422 problem naming the field otherwise."""
    now = utcnow()
    topics = topic_names()
    if args.get("topic") is not None and args["topic"] not in topics:
        raise invalid("topic", "Choose a topic from the list.")
    default = default_filters(to_local(now).date())
    try:
        filters = make_filters(
            args.get("from_", default.first_day),
            args.get("to", default.last_day),
            args.get("region"),
            args.get("topic"),
        )
    except DomainError as error:
        raise invalid(FIELDS.get(error.field, "_schema"), error.message) from None
    return CoverageReport(filters, now, topics)


def _position(table: str, cursor: str | None) -> int:
    """Where the page starts: 0, or after the rows a cursor of this table gave."""
    if cursor is None:
        return 0
    key, given = _read(cursor)
    if key != table or given < 0:
        raise invalid("cursor", "Not a cursor this API gave.")
    return given
