"""The coverage filters every dashboard table and export shares."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional

from trainers.errors import DomainError
from trainers.geo import REGIONS
from trainers.timeutil import local_to_utc

ALL = ""


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
    """Checked filters. Raises DomainError for a backwards range or an unknown region."""
    if last_day < first_day:
        raise DomainError("The end date must be on or after the start date.", "to")
    if region and region not in REGIONS:
        raise DomainError("Choose a region from the list.", "region")
    return CoverageFilters(first_day, last_day, region or None, topic_id or None)


class CoverageFilterForm(FlaskForm):
    """Read from the query string (a GET form: bookmarkable, no CSRF needed)."""

    class Meta:
        csrf = False

    from_ = DateField("From", validators=[Optional()], name="from")
    to = DateField("To", validators=[Optional()])
    region = SelectField(
        "Nation or region",
        choices=[SelectChoice(ALL, "All of the UK")]
        + [SelectChoice(region) for region in REGIONS],
        default=ALL,
        validators=[Optional()],
    )
    topic = SelectField("Topic", default=ALL, validators=[Optional()])
