"""The database triggers that log every change the coverage counts depend on.

Triggers rather than application code, because requests change state through
the ORM and through conditional UPDATEs alike, and bulk loads (demo data, a
restore) must count too: whatever writes the row, the counts follow in the same
transaction. Each trigger only appends to coverage_changes (see models).
"""

from dataclasses import dataclass

from sqlalchemy import Connection

from trainers.requests.models import RequestStatus

DELIVERED = "'delivered'"


def london_month(dialect: str, moment: str) -> str:
    """SQL for the first day of the London month holding a UTC instant."""
    if dialect == "postgresql":
        return (
            f"CAST(date_trunc('month', {moment} AT TIME ZONE 'Europe/London') AS date)"
        )
    # SQLite has no time zones. UK clocks run an hour ahead from the last Sunday
    # of March to the last Sunday of October, so only months that begin on summer
    # time (April to October) start before their UTC month: in its last hour.
    ahead = f"datetime({moment}, '+1 hour')"
    return (
        f"CASE WHEN CAST(strftime('%m', {ahead}) AS INTEGER) BETWEEN 4 AND 10 "
        f"THEN strftime('%Y-%m-01', {ahead}) "
        f"ELSE strftime('%Y-%m-01', {moment}) END"
    )


def append(columns: dict[str, str], month: str, region: str, topic: str, rest: str):
    """INSERT of change rows: `columns` maps count columns to SQL values; `rest`
    is the FROM, WHERE and GROUP BY (or just a WHERE) the values read from."""
    return (
        f"INSERT INTO coverage_changes (month, region, topic_id, {', '.join(columns)}) "
        f"SELECT {month}, {region}, {topic}, {', '.join(columns.values())} {rest}"
    )


def request_rows(dialect: str, sign: str, region: str, rest: str) -> str:
    """Change rows for the requests `rest` selects as `r`, summed by month and
    topic (and region, when `region` reads a column)."""
    columns = {
        f"requests_{status}": f"{sign} * SUM(CASE WHEN r.status = '{status}' "
        "THEN 1 ELSE 0 END)"
        for status in RequestStatus
    }
    month = london_month(dialect, "r.created_at")
    return append(columns, month, region, "r.topic_id", f"{rest} GROUP BY 1, 2, 3")


def session_rows(dialect: str, sign: str, region: str, rest: str) -> str:
    """Change rows for the delivered sessions `rest` selects as `s` (with their
    attendances as `a`), summed by month and topic (and region)."""
    columns = {
        "sessions_delivered": f"{sign} * COUNT(*)",
        "people_trained": f"{sign} * COALESCE(SUM(a.people_count), 0)",
    }
    month = london_month(dialect, "s.starts_at")
    return append(columns, month, region, "s.topic_id", f"{rest} GROUP BY 1, 2, 3")


@dataclass(frozen=True)
class Trigger:
    name: str
    timing: str  # AFTER, or BEFORE where the row must still be there
    event: str  # INSERT, DELETE, or UPDATE OF its columns
    table: str
    statements: tuple[str, ...]
    changed: tuple[str, ...] = ()  # for UPDATE: fire only when one of these differs


def _region_of(dialect: str, row: str) -> str:
    """SQL for the region of the row's group."""
    if dialect != "postgresql":
        return f"(SELECT region FROM groups WHERE groups.id = {row}.group_id)"
    # FOR SHARE waits for a move of the group still uncommitted, and holds off
    # one until this commits (when the move's trigger will see this row): either
    # way the change is counted in the region the group ends up in.
    return f"(SELECT region FROM groups WHERE groups.id = {row}.group_id FOR SHARE)"


def _request_change(dialect: str, row: str, sign: str) -> str:
    """The change row one request (NEW or OLD) makes to its cell."""
    columns = {
        f"requests_{status}": f"CASE WHEN {row}.status = '{status}' THEN {sign} "
        "ELSE 0 END"
        for status in RequestStatus
    }
    month = london_month(dialect, f"{row}.created_at")
    return append(
        columns, month, _region_of(dialect, row), f"{row}.topic_id", "WHERE 1 = 1"
    )


def _session_change(dialect: str, row: str, sign: str) -> str:
    """The change row one session (NEW or OLD) makes to its cell if delivered."""
    people = f"(SELECT people_count FROM attendances WHERE session_id = {row}.id)"
    columns = {
        "sessions_delivered": sign,
        "people_trained": f"{sign} * COALESCE({people}, 0)",
    }
    month = london_month(dialect, f"{row}.starts_at")
    return append(
        columns,
        month,
        _region_of(dialect, row),
        f"{row}.topic_id",
        f"WHERE {row}.status = {DELIVERED}",
    )


def _people_change(dialect: str, people: str, row: str) -> str:
    """The change a session's attendance makes to its people, if delivered."""
    return append(
        {"people_trained": people},
        london_month(dialect, "s.starts_at"),
        _region_of(dialect, "s"),
        "s.topic_id",
        f"FROM training_sessions AS s WHERE s.id = {row}.session_id "
        f"AND s.status = {DELIVERED}",
    )


def _group_moves(dialect: str, row: str, sign: str) -> tuple[str, str]:
    """A group's whole history, counted in the region of its NEW or OLD row."""
    return (
        request_rows(
            dialect,
            sign,
            f"{row}.region",
            f"FROM training_requests AS r WHERE r.group_id = {row}.id",
        ),
        session_rows(
            dialect,
            sign,
            f"{row}.region",
            "FROM training_sessions AS s "
            "LEFT JOIN attendances AS a ON a.session_id = s.id "
            f"WHERE s.group_id = {row}.id AND s.status = {DELIVERED}",
        ),
    )


def triggers(dialect: str) -> list[Trigger]:
    """Every coverage trigger, for SQLite or PostgreSQL."""
    request, session = "training_requests", "training_sessions"
    return [
        Trigger(
            "coverage_request_added",
            "AFTER",
            "INSERT",
            request,
            (_request_change(dialect, "NEW", "1"),),
        ),
        Trigger(
            "coverage_request_changed",
            "AFTER",
            "UPDATE",
            request,
            (
                _request_change(dialect, "OLD", "-1"),
                _request_change(dialect, "NEW", "1"),
            ),
            ("status", "topic_id", "group_id", "created_at"),
        ),
        Trigger(
            "coverage_request_removed",
            "BEFORE",
            "DELETE",
            request,
            (_request_change(dialect, "OLD", "-1"),),
        ),
        Trigger(
            "coverage_session_added",
            "AFTER",
            "INSERT",
            session,
            (_session_change(dialect, "NEW", "1"),),
        ),
        Trigger(
            "coverage_session_changed",
            "AFTER",
            "UPDATE",
            session,
            (
                _session_change(dialect, "OLD", "-1"),
                _session_change(dialect, "NEW", "1"),
            ),
            ("status", "starts_at", "topic_id", "group_id"),
        ),
        # Before: the session's attendance (and so its people) is still there.
        # Deleting a session cascades to its attendance after the session's row
        # is gone, so the attendance's own trigger then finds no session to count.
        Trigger(
            "coverage_session_removed",
            "BEFORE",
            "DELETE",
            session,
            (_session_change(dialect, "OLD", "-1"),),
        ),
        Trigger(
            "coverage_attendance_added",
            "AFTER",
            "INSERT",
            "attendances",
            (_people_change(dialect, "NEW.people_count", "NEW"),),
        ),
        Trigger(
            "coverage_attendance_changed",
            "AFTER",
            "UPDATE",
            "attendances",
            (_people_change(dialect, "NEW.people_count - OLD.people_count", "NEW"),),
            ("people_count",),
        ),
        Trigger(
            "coverage_attendance_removed",
            "AFTER",
            "DELETE",
            "attendances",
            (_people_change(dialect, "-OLD.people_count", "OLD"),),
        ),
        Trigger(
            "coverage_group_moved",
            "AFTER",
            "UPDATE",
            "groups",
            (*_group_moves(dialect, "OLD", "-1"), *_group_moves(dialect, "NEW", "1")),
            ("region",),
        ),
    ]


def create_statements(dialect: str) -> list[str]:
    """The DDL creating every coverage trigger (replacing any older version)."""
    statements = []
    for trigger in triggers(dialect):
        event = trigger.event
        if trigger.changed:
            event = f"UPDATE OF {', '.join(trigger.changed)}"
        when = _changed(dialect, trigger.changed)
        if dialect == "postgresql":
            returned = "OLD" if trigger.timing == "BEFORE" else "NULL"
            body = "".join(f"{statement};\n" for statement in trigger.statements)
            statements.append(
                f"CREATE OR REPLACE FUNCTION {trigger.name}() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$\nBEGIN\n{body}RETURN {returned};\nEND\n$$"
            )
            statements.append(
                f"CREATE OR REPLACE TRIGGER {trigger.name} {trigger.timing} {event} "
                f"ON {trigger.table} FOR EACH ROW"
                f"{f' WHEN ({when})' if when else ''} "
                f"EXECUTE FUNCTION {trigger.name}()"
            )
        else:
            body = "".join(f"{statement};\n" for statement in trigger.statements)
            statements.append(f"DROP TRIGGER IF EXISTS {trigger.name}")
            statements.append(
                f"CREATE TRIGGER {trigger.name} {trigger.timing} {event} "
                f"ON {trigger.table} FOR EACH ROW"
                f"{f' WHEN {when}' if when else ''}\nBEGIN\n{body}END"
            )
    return statements


def drop_statements(dialect: str) -> list[str]:
    """The DDL removing every coverage trigger (and, on PostgreSQL, its function)."""
    statements = []
    for trigger in triggers(dialect):
        if dialect == "postgresql":
            statements.append(
                f"DROP TRIGGER IF EXISTS {trigger.name} ON {trigger.table}"
            )
            statements.append(f"DROP FUNCTION IF EXISTS {trigger.name}()")
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {trigger.name}")
    return statements


def install(connection: Connection) -> None:
    """Create (or replace) every coverage trigger on this connection's database."""
    for statement in create_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def _changed(dialect: str, columns: tuple[str, ...]) -> str:
    differs = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{column} {differs} NEW.{column}" for column in columns)
