"""Doing a thing exactly once, however many schedulers or workers try at once."""

from datetime import datetime

from sqlalchemy import update

from trainers.extensions import db


def claim(model, row_id: int, column, now: datetime, *still) -> bool:
    """Stamp `column` with `now` on one row if it is unset and `still` holds.

    True only for the one caller whose UPDATE changed the row; the database's
    row lock makes every other caller see it already stamped.
    """
    result = db.session.execute(
        update(model)
        .where(model.id == row_id, column.is_(None), *still)
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
