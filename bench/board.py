"""Open board benchmark: the matching benchmark's national network, then time a
sample of trainers' boards and one run of the daily email of new requests
for 500 trainers.

    python bench/board.py [--small] [--database-url URL] [--seed N]

The data and databases are bench/matching.py's (see it and bench/README.md).
Prints `name: value` lines.
"""

import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `config` and `bench` live at the root

from sqlalchemy import event, select, update  # noqa: E402

from bench.matching import (  # noqa: E402
    Sizes,
    _build,
    _percentile,
    _say,
    run_on_network,
)
from trainers.auth.models import User  # noqa: E402
from trainers.board.news import email_new_requests  # noqa: E402
from trainers.board.services import open_requests  # noqa: E402
from trainers.extensions import db  # noqa: E402
from trainers.profiles.models import TrainerProfile  # noqa: E402
from trainers.timeutil import utcnow  # noqa: E402

TRAINERS_TIMED = 200
WARM_UP = 10
NEWS_TRAINERS = 500


def main(argv: list[str] | None = None) -> int:
    return run_on_network(argv, __doc__, _run)


def _run(sizes: Sizes, rng: random.Random, backend: str) -> None:
    now = utcnow()
    for name, value in _build(sizes, rng, now).items():
        _say(name, value)
    _say("database", backend)
    _time_boards(rng, now)
    _time_news(rng, now)


def _time_boards(rng: random.Random, now) -> None:
    ids = db.session.scalars(
        select(User.id).join(TrainerProfile).where(User.is_active)
    ).all()
    chosen = rng.sample(ids, min(len(ids), TRAINERS_TIMED + WARM_UP))
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *_: statements.append(1))
    timings, counts, queries = [], [], []
    for n, trainer_id in enumerate(chosen):
        trainer = db.session.get(User, trainer_id)
        statements.clear()
        started = time.perf_counter()
        board = open_requests(trainer, now)
        elapsed = (time.perf_counter() - started) * 1000
        if n >= WARM_UP:
            timings.append(elapsed)
            counts.append(len(board))
            queries.append(len(statements))
    _say("board_trainers", len(timings))
    _say("board_median_ms", f"{statistics.median(timings):.2f}")
    _say("board_p95_ms", f"{_percentile(timings, 95):.2f}")
    _say("board_median_requests", f"{statistics.median(counts):g}")
    _say("board_max_requests", max(counts))
    _say("board_median_statements", f"{statistics.median(queries):g}")
    _say("board_p95_statements", _percentile(queries, 95))


def _time_news(rng: random.Random, now) -> None:
    """NEWS_TRAINERS trainers opted in long ago, so every open request is news."""
    ids = db.session.scalars(select(TrainerProfile.user_id)).all()
    db.session.execute(
        update(TrainerProfile)
        .where(
            TrainerProfile.user_id.in_(rng.sample(ids, min(len(ids), NEWS_TRAINERS)))
        )
        .values(has_board_emails=True, board_news_seen_at=now - timedelta(days=100))
    )
    db.session.commit()
    started = time.perf_counter()
    outcome = email_new_requests(now)
    _say("news_all_trainers_seconds", f"{time.perf_counter() - started:.1f}")
    _say("news_outcome", outcome)


if __name__ == "__main__":
    raise SystemExit(main())
