"""Loading the demo: a believable national network to click through, built from
a seed. `flask --app wsgi demo` (trainers/cli.py) runs it in one transaction.
Dates are relative to `now`, so upcoming sessions stay upcoming."""

import logging
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from trainers.auth.models import User
from trainers.demo import attendance
from trainers.demo.accounts import Accounts, demo_trainer
from trainers.demo.moments import Moments
from trainers.demo.network import Shape, draw_network
from trainers.demo.stories import Stories
from trainers.extensions import db
from trainers.requests.models import RequestStatus
from trainers.timeutil import to_local

logger = logging.getLogger(__name__)

SEED = 2026
SHAPE = Shape(
    groups=150,
    trainers=60,
    fixed_groups={
        "TN34": "Hastings and St Leonards",
        "SK1": "Stockport",
        "E8": "Hackney",
    },
    # The first North West trainer lives by Stockport, for the demo organiser's
    # requests there.
    homes=("SK1",),
)


@dataclass
class DemoSummary:
    """What was loaded, for the command to print."""

    groups: int
    trainers: int
    topics: int
    requests: Counter
    organiser_groups: list[str]


def has_users() -> bool:
    """Whether any account exists."""
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def load_demo(now: datetime, seed: int = SEED) -> DemoSummary:
    """Add the demo network (accounts, groups, trainers, requests) for `now`.

    Deterministic for a seed and a day. Flushes; the caller commits.
    """
    rng = random.Random(seed)
    moments = Moments(rng, to_local(now).date())
    trainer = demo_trainer(moments)
    network = draw_network(rng, SHAPE, moments.today, given=(trainer,))
    accounts = Accounts(rng, moments, network)
    stories = Stories(rng, moments, accounts.topics, accounts.users, accounts.organiser)
    stories.tell(accounts.groups, trainer)
    outcomes = stories.outcomes
    # Offers and sessions hang off requests with no collection to cascade.
    db.session.add_all(
        accounts.rows
        + stories.requests
        + [offer for offer, _ in outcomes.offers]
        + outcomes.sessions
    )
    db.session.flush()
    # Drawn last, so attendance never shifts the network a seed gives. Attendance
    # rows need the sessions' and people's ids; rosters need theirs.
    attendances, rosters = attendance.record(
        random.Random(rng.getrandbits(64)),
        outcomes.deliveries,
    )
    db.session.add_all(attendances)
    db.session.flush()
    db.session.add_all(rosters)
    db.session.flush()
    summary = DemoSummary(
        groups=len(accounts.groups),
        trainers=len(network.trainers),
        topics=len(accounts.topics),
        requests=Counter(
            {status: stories.statuses[status] for status in RequestStatus}
        ),
        organiser_groups=[group.name for group in accounts.organiser.groups],
    )
    logger.info(
        "Demo: loaded %d groups, %d trainers, %d requests (seed %d)",
        summary.groups,
        summary.trainers,
        summary.requests.total(),
        seed,
    )
    return summary
