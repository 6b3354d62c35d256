"""A pooled connection the server has closed is never handed to a request: it is
replaced before use (real PostgreSQL: its backend is really terminated)."""

import time

import psycopg
import pytest
from sqlalchemy import text

from trainers.extensions import db

pytestmark = pytest.mark.postgres_only


def _backend() -> int:
    with db.engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def test_a_connection_the_server_closed_is_replaced_before_use(app, postgres_url):
    db.engine.dispose()  # one pooled connection, so each checkout is that one
    first = _backend()
    with psycopg.connect(
        postgres_url.replace("postgresql+psycopg", "postgresql"), autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [first])
        # The backend ends a moment after it is told to.
        deadline = time.monotonic() + 5
        while admin.execute(
            "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [first]
        ).fetchone():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.01)

    assert _backend() != first
    assert _backend() == _backend()
