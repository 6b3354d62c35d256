"""The coverage filters every dashboard table and export, the cold spots and the
data-quality lists share, and reading them from a page's form."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NoReturn

from flask import abort
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional

from trainers.errors import DomainError
from trainers.geo import REGIONS
from trainers.network.services import all_topics
from trainers.timeutil import local_to_utc, to_local, utcnow
from trainers.viewhelpers import show_error

ALL = ""
# Bounds that keep every date on the London clock and the month table readable.
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)
LONGEST_RANGE_YEARS = 10


@dataclass(frozen=True)
class CoverageFilters:
    """A London date range (both days included), and optionally a region and a topic."""

    first_day: date
    last_day: date
    region: str | None = None
    topic_id: int | None = None

    @property
    def starts_at(self) -> datetime:
        """The UTC instant the range opens: midnight in London on the first day."""
        return local_to_utc(self.first_day, time(0))

    @property
    def ends_before(self) -> datetime:
        """The UTC instant the range closes: midnight in London after the last day."""
        return local_to_utc(self.last_day + timedelta(days=1), time(0))

    def as_query(self) -> dict[str, str]:
        """The filters as URL parameters, so links and exports keep them."""
        query = {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}
        if self.region:
            query["region"] = self.region
        if self.topic_id:
            query["topic"] = str(self.topic_id)
        return query


def default_filters(today: date) -> CoverageFilters:
    """The last twelve months up to today, the whole network, every topic."""
    first = date(today.year - 1, today.month, 1) + timedelta(days=32)
    return CoverageFilters(first_day=first.replace(day=1), last_day=today)


def make_filters(
    first_day: date,
    last_day: date,
    region: str | None = None,
    topic_id: int | None = None,
) -> CoverageFilters:
    """Checked filters. Raises DomainError for a backwards, too long or out-of-bounds
    range, or an unknown region."""
    for day, field in ((first_day, "from_"), (last_day, "to")):
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise DomainError(
                f"Choose a date between {EARLIEST_DAY:%-d %B %Y} and "
                f"{LATEST_DAY:%-d %B %Y}.",
                field,
            )
    if last_day < first_day:
        raise DomainError("The end date must be on or after the start date.", "to")
    if last_day >= _years_after(first_day, LONGEST_RANGE_YEARS):
        raise DomainError(
            f"Choose a range of at most {LONGEST_RANGE_YEARS} years.", "to"
        )
    if region and region not in REGIONS:
        raise DomainError("Choose a region from the list.", "region")
    return CoverageFilters(first_day, last_day, region or None, topic_id or None)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


_DATE_MESSAGE = "Enter a date as year-month-day, for example 2026-03-31."


class CoverageFilterForm(FlaskForm):
    """Read from the query string (a GET form: bookmarkable, no CSRF needed):
    `CoverageFilterForm(request.args)`, then `set_topics`."""

    class Meta:
        csrf = False

    from_ = DateField(
        "From",
        validators=[Optional()],
        name="from",
        invalid_value_message=_DATE_MESSAGE,
    )
    to = DateField("To", validators=[Optional()], invalid_value_message=_DATE_MESSAGE)
    region = SelectField(
        "Nation or region",
        choices=[SelectChoice(ALL, "All of the UK")]
        + [SelectChoice(region) for region in REGIONS],
        default=ALL,
        validators=[Optional()],
        invalid_choice_message="Choose a nation or region from the list.",
    )
    topic = SelectField(
        "Topic",
        default=ALL,
        validators=[Optional()],
        invalid_choice_message="Choose a topic from the list.",
    )

    def set_topics(self, topics: Iterable[tuple[int, str]]) -> None:
        """Offer these (id, name) topics, after "All topics"."""
        self.topic.choices = [SelectChoice(ALL, "All topics")] + [
            SelectChoice(str(topic_id), name) for topic_id, name in topics
        ]


def filters_from_form(form: CoverageFilterForm, today: date) -> CoverageFilters:
    """The filters a validated form asks for, blanks taking the default range.

    Raises DomainError (naming the field) for a range make_filters refuses.
    """
    default = default_filters(today)
    return make_filters(
        form.from_.data or default.first_day,
        form.to.data or default.last_day,
        form.region.data or None,
        # A blank choice passes the Optional validator untouched: spaces mean "all".
        int(topic) if (topic := (form.topic.data or "").strip()) else None,
    )


def read_filters(form: CoverageFilterForm, today: date) -> CoverageFilters | None:
    """The filters a page's form (its topics set) asks for, or None with the
    reasons put on the form. The form then shows the dates used, the default
    range's where it was left blank, alike on every page that reads it."""
    if not form.validate():
        return None
    try:
        filters = filters_from_form(form, today)
    except DomainError as error:
        show_error(form, error)
        return None
    form.from_.data, form.to.data = filters.first_day, filters.last_day
    return filters


def read_list_filters(form: CoverageFilterForm) -> CoverageFilters | None:
    """The filters of the office's lists (cold spots, data quality), every topic
    in the catalogue offered, or None with the reasons put on the form."""
    form.set_topics((topic.id, topic.name) for topic in all_topics())
    return read_filters(form, to_local(utcnow()).date())


def refuse_download(form: CoverageFilterForm) -> NoReturn:
    """A download asked for with bad filters: say what was wrong, change nothing."""
    problems = [
        f"{form[name].label.text}: {message}"
        for name, messages in form.errors.items()
        for message in messages
    ]
    abort(400, description=" ".join(problems))


def csv_filename(stem: str, filters: CoverageFilters) -> str:
    """A download's file name: what it holds and the range's first and last days."""
    return (
        f"{stem}-{filters.first_day.isoformat()}-to-{filters.last_day.isoformat()}.csv"
    )
