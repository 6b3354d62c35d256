"""The kept coverage counts as the dashboard reads them, and as a rebuild makes them."""

from sqlalchemy import select

from trainers.coverage.models import CoverageChange, CoverageMonth
from trainers.coverage.summary import monthly_counts, rebuild
from trainers.extensions import db


def kept() -> dict[tuple, tuple[int, ...]]:
    """Every cell's counts as the dashboard reads them (folded plus logged),
    leaving out cells that add up to nothing."""
    months = db.session.scalars(
        select(CoverageMonth.month).union(select(CoverageChange.month))
    ).all()
    rows = db.session.execute(monthly_counts(months, None, None))
    cells = {tuple(row[:3]): tuple(int(n) for n in row[3:]) for row in rows}
    return {key: counts for key, counts in cells.items() if any(counts)}


def recounted() -> dict[tuple, tuple[int, ...]]:
    """The cells as a rebuild from the requests and sessions counts them."""
    rebuild(db.session)
    return kept()
