"""The office's data-quality lists: what needs tidying, a page each, and each
whole as a CSV download. Routed on the recruiting blueprint (its endpoints are
recruiting.data_quality...), in trainers/coverage/recruiting/views.py."""

from flask import current_app, render_template, request
from wtforms.validators import Optional

from trainers.coverage.filters import (
    CoverageFilterForm,
    csv_filename,
    read_list_filters,
    refuse_download,
)
from trainers.coverage.quality import queues
from trainers.csvexport import csv_response
from trainers.errors import DomainError
from trainers.numbers import WholeNumberField
from trainers.timeutil import utcnow
from trainers.viewhelpers import show_error


class DataQualityFilterForm(CoverageFilterForm):
    """The coverage filters and how long a request may sit in one state."""

    days = WholeNumberField(
        "Stuck for more than (days)",
        validators=[Optional()],
        description="Requests open in one state for longer than this are listed.",
    )


def data_quality():
    form = DataQualityFilterForm(request.args)
    filters = read_list_filters(form)
    days = _stuck_days(form)
    if filters is None or days is None:
        return (
            render_template(
                "coverage/quality.html",
                form=form,
                pages=None,
                page_rows=queues.PAGE_ROWS,
            ),
            400,
        )
    asked = queues.QueueQuery(filters, utcnow(), days)
    return render_template(
        "coverage/quality.html",
        form=form,
        pages=queues.queue_pages(asked),
        query={**filters.as_query(), "days": days},
        days=days,
        now=asked.now,
        days_since=queues.days_since,
        page_rows=queues.PAGE_ROWS,
    )


def data_quality_csv(queue: str):
    form = DataQualityFilterForm(request.args)
    filters = read_list_filters(form)
    days = _stuck_days(form)
    if filters is None or days is None:
        refuse_download(form)
    header, rows = queues.queue_export(
        queue, queues.QueueQuery(filters, utcnow(), days)
    )
    return csv_response(csv_filename(queue, filters), header, rows)


def _stuck_days(form: DataQualityFilterForm) -> int | None:
    days = form.days.data
    if days is None:
        return current_app.config["STUCK_REQUEST_DAYS"]
    try:
        return queues.check_stuck_days(days)
    except DomainError as error:
        show_error(form, error)
        return None
