"""Where to recruit (cold spots) and what needs tidying (data-quality queues)."""

from flask import Blueprint, abort, current_app, render_template, request
from wtforms import IntegerField
from wtforms.validators import Optional

from trainers.auth.access import office_required
from trainers.coverage import coldspots, quality
from trainers.coverage.filters import (
    CoverageFilterForm,
    CoverageFilters,
    filters_from_form,
)
from trainers.csvexport import csv_response
from trainers.errors import DomainError
from trainers.network.services import all_topics
from trainers.timeutil import to_local, utcnow
from trainers.viewhelpers import show_error

bp = Blueprint("recruiting", __name__, url_prefix="/office")

COLD_SPOT_TABLES = {
    "groups": coldspots.group_table,
    "regions": coldspots.region_table,
    "districts": coldspots.district_table,
}


class DataQualityFilterForm(CoverageFilterForm):
    """The coverage filters and how long a request may sit in one state."""

    days = IntegerField(
        "Stuck for more than (days)",
        validators=[Optional()],
        description="Requests open in one state for longer than this are listed.",
    )


@bp.before_request
@office_required
def require_office():
    """Every page here is the national office's alone."""


def _read_filters(form: CoverageFilterForm) -> CoverageFilters | None:
    """The checked filters, or None with the reasons put on the form."""
    form.set_topics((topic.id, topic.name) for topic in all_topics())
    if not form.validate():
        return None
    try:
        return filters_from_form(form, to_local(utcnow()).date())
    except DomainError as error:
        show_error(form, error)
        return None


def _stuck_days(form: DataQualityFilterForm) -> int | None:
    days = form.days.data
    if days is None:
        return current_app.config["STUCK_REQUEST_DAYS"]
    try:
        return quality.check_stuck_days(days)
    except DomainError as error:
        show_error(form, error)
        return None


def _refuse(form: CoverageFilterForm):
    """A download asked for with bad filters: say what was wrong, change nothing."""
    problems = [
        f"{form[name].label.text}: {message}"
        for name, messages in form.errors.items()
        for message in messages
    ]
    abort(400, description=" ".join(problems))


def _filename(stem: str, filters: CoverageFilters) -> str:
    return (
        f"{stem}-{filters.first_day.isoformat()}-to-{filters.last_day.isoformat()}.csv"
    )


@bp.route("/cold-spots")
def cold_spots():
    form = CoverageFilterForm(request.args)
    filters = _read_filters(form)
    if filters is None:
        return render_template("coverage/cold_spots.html", form=form, report=None), 400
    report = coldspots.cold_spots(filters, utcnow())
    return render_template("coverage/cold_spots.html", form=form, report=report)


def cold_spots_csv(table: str):
    form = CoverageFilterForm(request.args)
    filters = _read_filters(form)
    if filters is None:
        _refuse(form)
    header, rows = COLD_SPOT_TABLES[table](coldspots.cold_spots(filters, utcnow()))
    return csv_response(_filename(f"cold-spots-{table}", filters), header, rows)


for _table in COLD_SPOT_TABLES:
    bp.add_url_rule(
        f"/cold-spots/{_table}.csv",
        view_func=cold_spots_csv,
        defaults={"table": _table},
    )


@bp.route("/data-quality")
def data_quality():
    form = DataQualityFilterForm(request.args)
    filters = _read_filters(form)
    days = _stuck_days(form)
    if filters is None or days is None:
        return (
            render_template(
                "coverage/quality.html",
                form=form,
                pages=None,
                page_rows=quality.PAGE_ROWS,
            ),
            400,
        )
    asked = quality.QueueQuery(filters, utcnow(), days)
    return render_template(
        "coverage/quality.html",
        form=form,
        pages=quality.queue_pages(asked),
        query={**filters.as_query(), "days": days},
        days=days,
        now=asked.now,
        days_since=quality.days_since,
        page_rows=quality.PAGE_ROWS,
    )


def data_quality_csv(queue: str):
    form = DataQualityFilterForm(request.args)
    filters = _read_filters(form)
    days = _stuck_days(form)
    if filters is None or days is None:
        _refuse(form)
    header, rows = quality.queue_export(
        queue, quality.QueueQuery(filters, utcnow(), days)
    )
    return csv_response(_filename(queue, filters), header, rows)


for _queue in quality.QUEUES:
    bp.add_url_rule(
        f"/data-quality/{_queue}.csv",
        view_func=data_quality_csv,
        defaults={"queue": _queue},
    )
