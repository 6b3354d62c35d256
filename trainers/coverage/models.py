"""Coverage counts kept pre-aggregated by London month, nation or region, and topic.

Database triggers (trainers/coverage/triggers.py) append a signed change row for
every change to a request, a session, an attendance or a group's region, in the
same transaction; a scheduler job folds the changes into the monthly table. The
dashboard reads the monthly table plus the changes not yet folded, so its answer
is always exact, however long ago the last fold ran.

And the weeks whose digest (trainers/coverage/digest.py) went out.
"""

from datetime import date, datetime

from sqlalchemy import String, event
from sqlalchemy.orm import Mapped, mapped_column

from trainers.coverage import triggers
from trainers.extensions import db
from trainers.requests.models import RequestStatus

# The count columns, in the order every query of them uses.
SESSION_COUNTS = ("sessions_delivered", "people_trained")
REQUEST_COUNTS = tuple(f"requests_{status}" for status in RequestStatus)
COUNTS = SESSION_COUNTS + REQUEST_COUNTS


class _Counts:
    """One cell's counts: delivered sessions and their people (by the London
    month each session starts), and requests by present state (by the month each
    was made)."""

    region: Mapped[str] = mapped_column(String(40))
    topic_id: Mapped[int]
    sessions_delivered: Mapped[int] = mapped_column(server_default="0")
    people_trained: Mapped[int] = mapped_column(server_default="0")
    requests_submitted: Mapped[int] = mapped_column(server_default="0")
    requests_offered: Mapped[int] = mapped_column(server_default="0")
    requests_booked: Mapped[int] = mapped_column(server_default="0")
    requests_delivered: Mapped[int] = mapped_column(server_default="0")
    requests_unfilled: Mapped[int] = mapped_column(server_default="0")
    requests_cancelled: Mapped[int] = mapped_column(server_default="0")


class CoverageMonth(_Counts, db.Model):
    """The folded counts of one London month, region and topic."""

    __tablename__ = "coverage_months"

    month: Mapped[date] = mapped_column(primary_key=True)  # the month's first day
    region: Mapped[str] = mapped_column(String(40), primary_key=True)
    topic_id: Mapped[int] = mapped_column(primary_key=True)


class CoverageChange(_Counts, db.Model):
    """Signed counts a trigger appended, not yet folded into CoverageMonth.

    Only ever inserted by triggers and deleted by the fold, so concurrent
    transactions never wait on each other's counts.
    """

    __tablename__ = "coverage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date]


class WeeklyDigest(db.Model):
    """One row per week whose digest went out: inserting it is the claim."""

    __tablename__ = "weekly_digests"

    week_of: Mapped[date] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime]


# create_all (tests, benchmarks) installs the triggers, as the migration does.
event.listen(
    db.metadata,
    "after_create",
    lambda _metadata, connection, **_: triggers.install(connection),
)
