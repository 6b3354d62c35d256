"""Pooled PostgreSQL connections checked before use, cheaply.

SQLAlchemy's `pool_pre_ping` spends a round trip on every checkout, so on every
request: a tenth of a cheap page's cost. A connection is only in doubt if it sat
idle long enough for something between us and the server to drop it, or if the
server has written to it while it sat in the pool: a restart, a failover or an
idle timeout says goodbye that way (a FATAL message, then end of file). Only
then is it pinged, and a dead one is replaced before anyone uses it.
"""

import select
import time

from sqlalchemy import Engine, event, exc

# A connection idle for longer is pinged before use: a firewall or proxy may
# have dropped it silently, which no look at the socket can tell.
PING_AFTER_IDLE_SECONDS = 30.0


def ping_when_in_doubt(engine: Engine) -> None:
    """Ping an engine's pooled connections on checkout only when in doubt (see
    above); SQLite's are files and need none."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "checkin")
    def _idle_from_now(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_in_doubt(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None:
            return  # just connected
        if time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS and not (
            _server_has_spoken(dbapi_connection)
        ):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out a new one.
            raise exc.DisconnectionError(str(error)) from error


def _server_has_spoken(dbapi_connection) -> bool:
    """Whether an idle connection has anything to read, or is closed: nothing
    is owed to it between requests, so anything at all is a goodbye."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    return bool(readable)
