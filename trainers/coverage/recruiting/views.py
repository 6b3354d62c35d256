"""The office's pages on where to recruit (cold spots), and the blueprint they
share with the data-quality lists."""

from flask import Blueprint, render_template, request

from trainers.auth.access import office_required
from trainers.coverage.dashboard.map import coverage_map, legend, marked
from trainers.coverage.filters import (
    CoverageFilterForm,
    csv_filename,
    read_list_filters,
    refuse_download,
)
from trainers.coverage.quality import views as quality_views
from trainers.coverage.quality.queues import QUEUES
from trainers.coverage.recruiting import tables
from trainers.coverage.recruiting.coldspots import cold_spots as find_cold_spots
from trainers.csvexport import csv_response
from trainers.geo import district_name
from trainers.timeutil import utcnow

# The data-quality lists were pages of this blueprint before they were a part of
# their own, and keep their endpoints (recruiting.data_quality...).
bp = Blueprint("recruiting", __name__, url_prefix="/office")

# Districts are shown by the town they lie in ("Ballymena (BT42)").
bp.add_app_template_filter(district_name, "district_name")


@bp.before_request
@office_required
def require_office():
    """Every page here is the national office's alone."""


@bp.route("/cold-spots")
def cold_spots():
    form = CoverageFilterForm(request.args)
    filters = read_list_filters(form)
    if filters is None:
        return render_template("coverage/cold_spots.html", form=form, report=None), 400
    now = utcnow()
    report = find_cold_spots(filters, now)
    title = "Cold-spot groups by when last trained, " + (filters.region or "UK")
    return render_template(
        "coverage/cold_spots.html",
        form=form,
        report=report,
        coverage_map=coverage_map(
            [marked(group, now) for group in report.groups], title, filters.region
        ),
        legend=legend(),
    )


def cold_spots_csv(table: str):
    form = CoverageFilterForm(request.args)
    filters = read_list_filters(form)
    if filters is None:
        refuse_download(form)
    header, rows = tables.COLD_SPOT_TABLES[table](find_cold_spots(filters, utcnow()))
    return csv_response(csv_filename(f"cold-spots-{table}", filters), header, rows)


for _table in tables.COLD_SPOT_TABLES:
    bp.add_url_rule(
        f"/cold-spots/{_table}.csv",
        view_func=cold_spots_csv,
        defaults={"table": _table},
    )

bp.add_url_rule("/data-quality", view_func=quality_views.data_quality)
for _queue in QUEUES:
    bp.add_url_rule(
        f"/data-quality/{_queue}.csv",
        view_func=quality_views.data_quality_csv,
        defaults={"queue": _queue},
    )
