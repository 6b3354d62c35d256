"""Coverage (the national office): the dashboard's headline figures, and the
rows of the CSV downloads of the dashboard, the cold spots and the
data-quality lists as JSON, computed by the pages' own reports and queries
with their filters, checked by their make_filters."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from flask import abort, current_app
from marshmallow import Schema, fields, validate

from trainers.api.auth import office_only
from trainers.api.paging import PageArgs, read_cursor, write_cursor
from trainers.api.refusals import invalid
from trainers.api.resources import may_answer, resource
from trainers.coverage.dashboard.exports import EXPORTS
from trainers.coverage.dashboard.report import CoverageReport, topic_names
from trainers.coverage.filters import (
    EARLIEST_DAY,
    LATEST_DAY,
    CoverageFilters,
    default_filters,
    make_filters,
)
from trainers.coverage.quality.queues import (
    QUEUES,
    QueueQuery,
    check_stuck_days,
    queue_export,
)
from trainers.coverage.recruiting.coldspots import cold_spots as find_cold_spots
from trainers.coverage.recruiting.tables import COLD_SPOT_TABLES
from trainers.errors import DomainError
from trainers.geo import REGIONS
from trainers.numbers import LARGEST
from trainers.timeutil import to_local, utcnow

blp = resource("coverage", "The network's coverage (the national office).")

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


class QualityArgsSchema(ExportArgsSchema):
    days = fields.Integer(
        validate=validate.Range(1, LARGEST),
        metadata={"description": "Stuck for more than this many days (1 to 365)."},
    )


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


class RowsPageSchema(Schema):
    name = fields.String(
        required=True, metadata={"description": "Which list, e.g. exports/groups."}
    )
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
@may_answer(blp, 400, 403)
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
@may_answer(blp, 400, 403, 404)
@office_only
@blp.etag
@blp.arguments(ExportArgsSchema, location="query")
@blp.response(200, RowsPageSchema)
def get_export(args, table: str):
    """One of the dashboard's CSV exports as rows, a page at a time.

    The office. The tables: summary, states, regions, topics, months, map,
    groups, sessions."""
    chosen = EXPORTS.get(table)
    if chosen is None:
        abort(404)
    report = _report(args)
    rows = chosen.rows(report)
    return _rows_page(f"exports/{table}", chosen.header, rows, report.filters, args)


@blp.route("/coverage/cold-spots/<table>")
@may_answer(blp, 400, 403, 404)
@office_only
@blp.etag
@blp.arguments(ExportArgsSchema, location="query")
@blp.response(200, RowsPageSchema)
def get_cold_spots(args, table: str):
    """One of the cold-spots page's CSV downloads as rows, a page at a time.

    The office. The tables: groups, regions, districts."""
    chosen = COLD_SPOT_TABLES.get(table)
    if chosen is None:
        abort(404)
    filters, now, _ = _filters(args)
    header, rows = chosen(find_cold_spots(filters, now))
    return _rows_page(f"cold-spots/{table}", header, rows, filters, args)


@blp.route("/coverage/data-quality/<queue>")
@may_answer(blp, 400, 403, 404)
@office_only
@blp.etag
@blp.arguments(QualityArgsSchema, location="query")
@blp.response(200, RowsPageSchema)
def get_data_quality(args, queue: str):
    """One of the data-quality lists' CSV downloads as rows, a page at a time.

    The office. The lists: sessions-without-attendance, stuck-requests,
    trainers-without-availability, groups-without-organiser."""
    if queue not in QUEUES:
        abort(404)
    filters, now, _ = _filters(args)
    try:
        days = check_stuck_days(
            args.get("days", current_app.config["STUCK_REQUEST_DAYS"])
        )
    except DomainError as error:
        raise invalid("days", error.message) from None
    header, rows = queue_export(queue, QueueQuery(filters, now, days))
    return _rows_page(f"data-quality/{queue}", header, rows, filters, args)


def _filters(args: dict) -> tuple[CoverageFilters, datetime, dict[int, str]]:
    """The filters sent, checked as the pages check them (a 422 problem naming
    the field otherwise); the moment; the topics by id."""
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
    return filters, now, topics


def _report(args: dict) -> CoverageReport:
    """The dashboard's report for the filters sent."""
    return CoverageReport(*_filters(args))


def _rows_page(
    name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    filters: CoverageFilters,
    args: dict,
) -> dict:
    """A page of a download's rows, after the rows a cursor of this one gave."""
    rows = list(rows)
    start = 0
    if args.get("cursor") is not None:
        key, start = read_cursor(args["cursor"])
        if key != name or start < 0:
            raise invalid("cursor", "Not a cursor of this list.")
    end = start + args["limit"]
    return {
        "name": name,
        "filters": filters,
        "header": list(header),
        "items": [list(row) for row in rows[start:end]],
        "next_cursor": write_cursor(name, end) if end < len(rows) else None,
    }
