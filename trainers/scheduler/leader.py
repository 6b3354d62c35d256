"""Exactly one scheduler works at a time, however many are started.

PostgreSQL: a session advisory lock held on a dedicated connection for the
process's life (a pooled ORM session would hand it back to the pool). SQLite: an
exclusive lock on a file beside the database, for one machine. A standby keeps
trying and takes over once the leader's connection or process is gone.
"""

import fcntl
import logging
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

# An arbitrary constant naming "the Trainers' Network scheduler" among advisory locks.
ADVISORY_KEY = 7_342_001

# A leader whose host vanishes (power, network) never closes its connection, and
# by default PostgreSQL keeps its session, and so the lock, for hours. TCP
# keepalives, probed after 20 s of silence every 10 s, 3 times, end it in about
# a minute. The server's side is what frees the lock; the client's (libpq) lets
# a leader cut off from the server notice and exit. Unix sockets ignore them.
KEEPALIVE_IDLE_SECONDS = 20
KEEPALIVE_INTERVAL_SECONDS = 10
KEEPALIVE_COUNT = 3
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": KEEPALIVE_IDLE_SECONDS,
    "keepalives_interval": KEEPALIVE_INTERVAL_SECONDS,
    "keepalives_count": KEEPALIVE_COUNT,
    # Also give up on data the other side never acknowledges (milliseconds).
    "tcp_user_timeout": 60_000,
}
SERVER_KEEPALIVES = (
    f"-c tcp_keepalives_idle={KEEPALIVE_IDLE_SECONDS} "
    f"-c tcp_keepalives_interval={KEEPALIVE_INTERVAL_SECONDS} "
    f"-c tcp_keepalives_count={KEEPALIVE_COUNT} -c tcp_user_timeout=60000"
)


class LeaderLock:
    """Try to become leader; hold it until the process ends."""

    def __init__(self, engine: Engine, lock_file: Path):
        # Unpooled: closing the lock's connection must really close it, or the
        # pool would keep the advisory lock held after "release".
        self.engine = create_engine(
            engine.url, poolclass=NullPool, connect_args=_connect_args(engine.url)
        )
        self.lock_file = lock_file
        self._connection: Connection | None = None
        self._file = None

    def try_acquire(self) -> bool:
        """Become leader if nobody is; True when this process now leads."""
        if self.engine.dialect.name == "postgresql":
            return self._try_advisory()
        return self._try_file()

    def _try_advisory(self) -> bool:
        connection = self.engine.connect()
        got = connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
        ).scalar_one()
        connection.commit()
        if got:
            self._connection = connection
        else:
            connection.close()
        return bool(got)

    def _try_file(self) -> bool:
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        handle = self.lock_file.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def still_held(self) -> bool:
        """False when the lock's connection has died (another may lead already)."""
        if self._connection is None:
            return self._file is not None
        try:
            self._connection.execute(text("SELECT 1")).scalar_one()
            self._connection.commit()
        except Exception:  # noqa: BLE001 - any failure means the lock may be gone
            logger.exception("Scheduler lost its leader connection")
            return False
        return True

    def release(self) -> None:
        """Give up leadership (the process ending does the same)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.engine.dispose()
        if self._file is not None:
            self._file.close()
            self._file = None


def _connect_args(url: URL) -> dict[str, object]:
    if url.get_backend_name() != "postgresql":
        return {}
    options = " ".join(filter(None, (url.query.get("options"), SERVER_KEEPALIVES)))
    return {**KEEPALIVES, "options": options}


def process_name() -> str:
    """host:pid, to tell people which process leads."""
    return f"{os.uname().nodename}:{os.getpid()}"
