"""Recording the SQL statements a page or a report takes, for tests that their
number stays fixed however much data they show, and of how they are planned."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from trainers.extensions import db


@contextmanager
def recorded_statements() -> Iterator[list[tuple]]:
    """The (statement, parameters) sent to the database inside the block."""
    statements = []

    def record(connection, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def statements_to_show(browser, path: str) -> int:
    """How many SQL statements showing the page took (it must answer 200)."""
    with recorded_statements() as statements:
        assert browser.get(path).status_code == 200
    return len(statements)
