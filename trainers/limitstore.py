"""Rate-limit counters in our own database, as a storage for the `limits`
library (so Flask-Limiter): every web worker and host, and the scheduler,
count against the same rows, with no Redis to run.

Fixed windows: a key's window opens at its first hit and lasts the limit's
period. Each hit is one atomic upsert on a connection of its own, in
autocommit, so a request that is later rolled back still counts, and two
workers hitting the same key at once both count.
"""

from datetime import datetime, timedelta

from limits.storage import Storage
from sqlalchemy import Insert, String, bindparam, case, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from trainers.extensions import db
from trainers.statements import built_once
from trainers.timeutil import utcnow

UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class RateLimitCounter(db.Model):
    """Hits on one limit by one client (or address) in the current window."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class DatabaseStorage(Storage):
    """`limits` storage on the app's database: `RATELIMIT_STORAGE_URI = "database://"`.

    Times come from the app's clock (`utcnow`), so tests can move them.
    """

    STORAGE_SCHEME = ["database"]

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count `amount` hits on `key`, opening a new window if its last one ended."""
        now = utcnow()
        # One statement is atomic on its own: in autocommit it is spared a
        # BEGIN and a COMMIT (the calendar feed's polls pay for each hit).
        with db.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            values = {
                "key": key,
                "amount": amount,
                "now": now,
                "expires_at": now + timedelta(seconds=expiry),
            }
            return connection.execute(
                _hit(connection.dialect.name), values
            ).scalar_one()

    def get(self, key: str) -> int:
        """Hits on `key` in its current window."""
        counter = self._counter(key)
        return counter.hits if counter else 0

    def get_expiry(self, key: str) -> float:
        """When `key`'s window ends, in seconds since the epoch (now if none is open)."""
        counter = self._counter(key)
        return (counter.expires_at if counter else utcnow()).timestamp()

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int:
        """Forget every counter; returns how many there were."""
        with db.engine.begin() as connection:
            return connection.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        """Forget one key's counter."""
        with db.engine.begin() as connection:
            connection.execute(
                delete(RateLimitCounter).where(RateLimitCounter.key == key)
            )

    def _counter(self, key: str):
        with db.engine.connect() as connection:
            return connection.execute(
                select(RateLimitCounter.hits, RateLimitCounter.expires_at).where(
                    RateLimitCounter.key == key,
                    RateLimitCounter.expires_at > utcnow(),
                )
            ).first()


def forget_ended_windows(now: datetime) -> int:
    """Delete the counters whose window has ended (they hold client addresses).

    Runs in the caller's transaction; the caller commits. Returns how many.
    """
    return db.session.execute(
        delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now)
    ).rowcount


@built_once
def _hit(dialect: str) -> Insert:
    # Every feed poll counts a hit: the upsert is built once (bench/load.py's feed).
    table = RateLimitCounter.__table__
    insert = UPSERTS[dialect](table).values(
        key=bindparam("key"),
        hits=bindparam("amount"),
        expires_at=bindparam("expires_at"),
    )
    ended = table.c.expires_at <= bindparam("now")
    return insert.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "hits": case(
                (ended, insert.excluded.hits), else_=table.c.hits + bindparam("amount")
            ),
            "expires_at": case(
                (ended, insert.excluded.expires_at), else_=table.c.expires_at
            ),
        },
    ).returning(table.c.hits)
