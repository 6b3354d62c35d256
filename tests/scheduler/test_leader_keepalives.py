"""The leader's advisory-lock connection has TCP keepalives on both ends, so a
leader whose host vanishes frees the lock in about a minute."""

import pytest
from sqlalchemy import create_engine, text

from trainers.scheduler.leader import KEEPALIVES, LeaderLock

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]


@pytest.fixture
def lock(app, tmp_path):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    lock = LeaderLock(engine, tmp_path / "scheduler.lock")
    assert lock.try_acquire()
    yield lock
    lock.release()
    engine.dispose()


def test_the_lock_connection_asks_libpq_for_keepalives(lock):
    driver = lock._connection.connection.driver_connection
    parameters = driver.info.get_parameters()
    assert {name: parameters.get(name) for name in KEEPALIVES} == {
        "keepalives": "1",
        "keepalives_idle": "20",
        "keepalives_interval": "10",
        "keepalives_count": "3",
        "tcp_user_timeout": "60000",
    }


def test_the_server_probes_the_lock_connection(lock):
    settings = dict(
        lock._connection.execute(
            text(
                "SELECT name, setting FROM pg_settings WHERE name IN ("
                "'tcp_keepalives_idle', 'tcp_keepalives_interval', "
                "'tcp_keepalives_count', 'tcp_user_timeout')"
            )
        ).all()
    )
    # Otherwise the server uses the kernel's defaults: two hours of silence.
    assert settings == {
        "tcp_keepalives_idle": "20",
        "tcp_keepalives_interval": "10",
        "tcp_keepalives_count": "3",
        "tcp_user_timeout": "60000",
    }
    # ... and the session holding them is the one holding the lock.
    holder = lock._connection.execute(
        text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND pid = pg_backend_pid() AND granted"
        )
    ).scalar_one()
    assert holder == 1
