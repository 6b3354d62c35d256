"""The office's coverage dashboard and its CSV exports."""

from flask import Blueprint, render_template, request

from trainers.auth.access import office_required
from trainers.coverage.dashboard.charts import dashboard_charts
from trainers.coverage.dashboard.exports import EXPORTS
from trainers.coverage.dashboard.map import coverage_map, legend
from trainers.coverage.dashboard.report import CoverageReport, topic_names
from trainers.coverage.filters import CoverageFilterForm, csv_filename, read_filters
from trainers.csvexport import csv_response
from trainers.timeutil import to_local, utcnow

bp = Blueprint("coverage", __name__, url_prefix="/office/coverage")


@bp.before_request
@office_required
def require_office():
    """Every page here is the national office's alone."""


@bp.route("/")
def dashboard():
    form, report = _read()
    if report is None:
        return _refused(form)
    title = "Groups by when last trained, " + (report.filters.region or "UK")
    return render_template(
        "coverage/dashboard.html",
        form=form,
        report=report,
        charts=dashboard_charts(report),
        coverage_map=coverage_map(report.groups, title, report.filters.region),
        legend=legend(),
    )


def export(table: str):
    form, report = _read()
    if report is None:
        return _refused(form)
    chosen = EXPORTS[table]
    return csv_response(
        csv_filename(f"coverage-{table}", report.filters),
        chosen.header,
        chosen.rows(report),
    )


for _table in EXPORTS:
    bp.add_url_rule(
        f"/{_table}.csv", f"{_table}_csv", export, defaults={"table": _table}
    )


def _read() -> tuple[CoverageFilterForm, CoverageReport | None]:
    """The filter form from the query string and, if it holds, the report."""
    now = utcnow()
    topics = topic_names()
    form = CoverageFilterForm(request.args)
    form.set_topics(topics.items())
    filters = read_filters(form, to_local(now).date())
    if filters is None:
        return form, None
    return form, CoverageReport(filters, now, topics)


def _refused(form: CoverageFilterForm):
    return render_template("coverage/dashboard.html", form=form, report=None), 400
