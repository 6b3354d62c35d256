"""Pooled connections are pinged only when in doubt, and a dead one is never
handed to a request (real PostgreSQL: its backends are really terminated)."""

import time

import psycopg
import pytest
from sqlalchemy import create_engine, event, text

from trainers import pooling

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def engine(postgres_url):
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    pooling.ping_when_in_doubt(engine)
    pings = []
    # The dialect's ping is what the listener calls; count it without changing it.
    ping = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted
    engine.pings = pings
    yield engine
    engine.dispose()


def _backend(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def _terminate(postgres_url: str, pid: int) -> None:
    with psycopg.connect(
        postgres_url.replace("postgresql+psycopg", "postgresql"), autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def _until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_busy_connection_is_reused_without_a_ping(engine):
    first = _backend(engine)
    for _ in range(5):
        assert _backend(engine) == first
    assert engine.pings == []


def test_a_connection_the_server_closed_is_replaced_before_use(engine, postgres_url):
    first = _backend(engine)
    _terminate(postgres_url, first)
    # The pooled connection hears the server's goodbye on its socket.
    (record,) = list(engine.pool._pool.queue)
    _until(lambda: pooling._server_has_spoken(record.dbapi_connection))

    second = _backend(engine)

    assert second != first
    assert len(engine.pings) == 1


def test_a_long_idle_connection_is_pinged(engine, monkeypatch):
    first = _backend(engine)
    monkeypatch.setattr(pooling, "PING_AFTER_IDLE_SECONDS", 0.0)

    assert _backend(engine) == first
    assert len(engine.pings) == 1


def test_a_connection_its_ping_finds_dead_is_replaced(engine):
    first = _backend(engine)
    (record,) = list(engine.pool._pool.queue)
    # Closed under the pool's feet: the ping fails, and the pool connects anew
    # before anyone is handed the dead one.
    record.dbapi_connection.pgconn.finish()
    replaced = []
    event.listen(engine, "connect", lambda *args: replaced.append(True))

    assert _backend(engine) != first
    assert replaced == [True]
    assert len(engine.pings) == 1
