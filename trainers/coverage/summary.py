"""Reading, folding and rebuilding the pre-aggregated coverage counts."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, Connection, func, select, text, union_all
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql import Select

from trainers.coverage import triggers
from trainers.coverage.models import COUNTS, CoverageChange, CoverageMonth

_KEY = "month, region, topic_id"
_SUMS = ", ".join(f"SUM({name})" for name in COUNTS)
_COLUMNS = ", ".join(COUNTS)
_ADDED = ", ".join(
    f"{name} = coverage_months.{name} + excluded.{name}" for name in COUNTS
)


def monthly_counts(
    months: Sequence[date], region: str | None, topic_id: int | None
) -> Select:
    """Counts by (month, region, topic_id) for those London months (first days),
    folded and not yet folded alike: columns month, region, topic_id, *COUNTS."""

    def cells(model) -> Select:
        where: list[ColumnElement[bool]] = [model.month.in_(months)]
        if region:
            where.append(model.region == region)
        if topic_id:
            where.append(model.topic_id == topic_id)
        return select(
            model.month,
            model.region,
            model.topic_id,
            *(getattr(model, n) for n in COUNTS),
        ).where(*where)

    both = union_all(cells(CoverageMonth), cells(CoverageChange)).subquery()
    key = (both.c.month, both.c.region, both.c.topic_id)
    return select(*key, *(func.sum(both.c[name]) for name in COUNTS)).group_by(*key)


Executor = Connection | Session | scoped_session


def fold_changes(executor: Executor) -> int:
    """Move every committed change row into the monthly counts; how many moved."""
    if _dialect(executor) == "postgresql":
        # One statement, so exactly the rows deleted are the rows added, however
        # many other transactions append (and commit) meanwhile.
        moved = executor.execute(
            text(
                f"WITH moved AS (DELETE FROM coverage_changes RETURNING {_KEY}, "
                f"{_COLUMNS}), summed AS (INSERT INTO coverage_months ({_KEY}, "
                f"{_COLUMNS}) SELECT {_KEY}, {_SUMS} FROM moved GROUP BY {_KEY} "
                f"ON CONFLICT ({_KEY}) DO UPDATE SET {_ADDED} RETURNING 1) "
                "SELECT (SELECT count(*) FROM moved)"
            )
        ).scalar_one()
    else:
        # SQLite has one writer at a time: once the INSERT has written, nobody
        # else can append until this transaction ends, so the DELETE removes
        # exactly the rows it added.
        moved = executor.execute(text("SELECT count(*) FROM coverage_changes"))
        moved = moved.scalar_one()
        executor.execute(
            text(
                f"INSERT INTO coverage_months ({_KEY}, {_COLUMNS}) "
                f"SELECT {_KEY}, {_SUMS} FROM coverage_changes WHERE 1 = 1 "
                f"GROUP BY {_KEY} ON CONFLICT ({_KEY}) DO UPDATE SET {_ADDED}"
            )
        )
        executor.execute(text("DELETE FROM coverage_changes"))
    return moved


def rebuild(executor: Executor) -> None:
    """Count every request and delivered session afresh (when the table is made,
    after a restore, or to check the triggers): the figures the triggers keep."""
    dialect = _dialect(executor)
    executor.execute(text("DELETE FROM coverage_months"))
    executor.execute(text("DELETE FROM coverage_changes"))
    executor.execute(
        text(
            triggers.request_rows(
                dialect,
                "1",
                "g.region",
                "FROM training_requests AS r JOIN groups AS g ON g.id = r.group_id",
            )
        )
    )
    executor.execute(
        text(
            triggers.session_rows(
                dialect,
                "1",
                "g.region",
                "FROM training_sessions AS s JOIN groups AS g ON g.id = s.group_id "
                "LEFT JOIN attendances AS a ON a.session_id = s.id "
                f"WHERE s.status = {triggers.DELIVERED}",
            )
        )
    )
    fold_changes(executor)


def _dialect(executor: Executor) -> str:
    bind = executor if isinstance(executor, Connection) else executor.get_bind()
    return bind.dialect.name
