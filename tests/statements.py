"""Counting the SQL statements a page takes, for tests that its statements
stay fixed however much data it shows."""

from sqlalchemy import event

from trainers.extensions import db


def statements_to_show(browser, path: str) -> int:
    """How many SQL statements showing the page took (it must answer 200)."""
    statements = []

    def record(*args):
        statements.append(args)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert browser.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)
