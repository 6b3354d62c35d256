"""Everything the database holds as text, for tests that search every column of
every table for what must not be there (a token, an erased person)."""

from collections.abc import Iterator

from sqlalchemy import JSON, LargeBinary, String, select

from trainers.extensions import db


def stored_text() -> Iterator[tuple[str, object]]:
    """("table.column", value) for every value of every text, JSON or binary
    column of every table, as the database has it now."""
    db.session.expire_all()
    for table in db.metadata.sorted_tables:
        columns = [
            column
            for column in table.columns
            if isinstance(column.type, String | JSON | LargeBinary)
        ]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)).mappings():
            for column in columns:
                if row[column.name] is not None:
                    yield f"{table.name}.{column.name}", row[column.name]
