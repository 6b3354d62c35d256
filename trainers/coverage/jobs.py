"""Folding the coverage change log into the monthly counts."""

from datetime import datetime

from trainers.coverage.summary import fold_changes
from trainers.extensions import db


def fold_coverage(now: datetime) -> str:
    """Fold the changes logged since the last run, so the dashboard's reads of
    the log stay short. Figures are exact either way."""
    folded = fold_changes(db.session)
    db.session.commit()
    return f"folded {folded} changes"
