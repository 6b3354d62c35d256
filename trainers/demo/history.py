"""A network's past and present in bulk: sessions held over the years, each with
the request behind it, and requests never booked. For the benchmarks, which want
tens of thousands of each; the demo tells fewer, fuller stories (stories.py)."""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate

from trainers.demo.network import (
    TOPIC_MINUTES,
    TOPICS,
    LocalGroup,
    Network,
    Trainer,
    asking_time,
    half_hours,
)
from trainers.requests.models import RequestStatus
from trainers.sessions.models import SessionStatus
from trainers.timeutil import local_to_utc, to_local

ONLINE_SHARE = 0.15  # of requests for a topic that can run online
# Of requests still open, four in five wait for offers and one is unfilled.
OPEN_DRAW = (RequestStatus.SUBMITTED,) * 4 + (RequestStatus.UNFILLED,)


@dataclass(eq=False)
class HeldSession:
    """A session and the request it answered; attendance once delivered."""

    group: LocalGroup
    trainer: Trainer
    topic: str
    status: SessionStatus
    starts_at: datetime
    ends_at: datetime
    requested_at: datetime
    booked_at: datetime
    expected_attendance: int
    headcount: int | None = None
    people_count: int | None = None
    rating: int | None = None


@dataclass(eq=False)
class UnbookedRequest:
    """A request no session came of (yet), with the times it proposed."""

    group: LocalGroup
    topic: str
    status: RequestStatus
    is_online: bool
    created_at: datetime
    expected_attendance: int
    slots: list[tuple[datetime, datetime]]


def draw_sessions(
    rng: random.Random,
    network: Network,
    count: int,
    now: datetime,
    days: tuple[int, int],
    never_trained: float,
) -> list[HeldSession]:
    """`count` sessions between the day offsets `days` from today, for groups
    chosen unevenly (some ask often, `never_trained` of them never), each given
    by a trainer within reach, in their window, on a day they are free and,
    where one nearby can, under their monthly cap. Fills the trainers' diaries.
    """
    return _Diary(rng, network, now, days, never_trained).fill(count)


class _Diary:
    """Places sessions one at a time, in trainers' windows and free days."""

    def __init__(
        self,
        rng: random.Random,
        network: Network,
        now: datetime,
        days: tuple[int, int],
        never_trained: float,
    ):
        self.rng, self.now, self.days = rng, now, days
        self.today = to_local(now).date()
        # What each trainer can give in a window of theirs: (topic, weekday, starts).
        self.options = {
            trainer: [
                (topic, weekday, starts)
                for topic in trainer.qualified
                for weekday, opens, shuts in trainer.windows
                if (starts := half_hours(opens, shuts, TOPIC_MINUTES[topic]))
            ]
            for trainer in network.trainers
        }
        self.nearby = {
            group: able
            for group, reaching in zip(network.groups, network.reach(), strict=True)
            if (able := [trainer for trainer in reaching if self.options[trainer]])
        }
        reachable = list(self.nearby)
        wanted = round(len(network.groups) * (1 - never_trained))
        self.served = rng.sample(reachable, min(len(reachable), wanted))
        # A few groups ask far more often than most.
        self.cumulative = list(accumulate(rng.paretovariate(1.5) for _ in self.served))

    def fill(self, count: int) -> list[HeldSession]:
        held: list[HeldSession] = []
        tries = 0
        while len(held) < count:
            tries += 1
            if tries > 50 * count:
                raise RuntimeError(f"The network has no room for {count} sessions")
            group = self.rng.choices(self.served, cum_weights=self.cumulative)[0]
            session = self._place(group)
            if session is not None:
                held.append(session)
        return held

    def _place(self, group: LocalGroup) -> HeldSession | None:
        """A session for `group`, or None if the trainer drawn is busy that day."""
        rng = self.rng
        day = self.today + timedelta(days=rng.randint(*self.days))
        nearby = self.nearby[group]
        trainer = rng.choice(nearby)
        for _ in range(3):
            if trainer.per_month[day.year, day.month] < trainer.cap:
                break
            trainer = rng.choice(nearby)
        topic, weekday, starts = rng.choice(self.options[trainer])
        day += timedelta(days=(weekday - day.weekday()) % 7)
        starts_at = local_to_utc(day, rng.choice(starts))
        ends_at = starts_at + timedelta(minutes=TOPIC_MINUTES[topic])
        if not trainer.is_free_on(day) or starts_at <= self.now < ends_at:
            return None
        trainer.reserve(starts_at)
        return self._session(group, trainer, topic, starts_at, ends_at)

    def _session(
        self,
        group: LocalGroup,
        trainer: Trainer,
        topic: str,
        starts_at: datetime,
        ends_at: datetime,
    ) -> HeldSession:
        """What became of it: most past sessions delivered, a few called off."""
        rng, now = self.rng, self.now
        requested_at = min(now, starts_at - timedelta(days=rng.randint(7, 60)))
        booked_at = min(now, requested_at + timedelta(hours=rng.expovariate(1 / 60)))
        session = HeldSession(
            group=group,
            trainer=trainer,
            topic=topic,
            status=_outcome(rng.random(), ends_at < now),
            starts_at=starts_at,
            ends_at=ends_at,
            requested_at=requested_at,
            booked_at=booked_at,
            expected_attendance=rng.randint(5, 40),
        )
        if session.status == SessionStatus.DELIVERED:
            session.headcount = rng.randint(4, 35)
            session.people_count = session.headcount + rng.choice((0, 0, 0, 1, 2, 3))
            session.rating = rng.choice((None, 3, 4, 4, 5, 5))
        return session


def _outcome(luck: float, past: bool) -> SessionStatus:
    if not past:
        return SessionStatus.BOOKED if luck < 0.95 else SessionStatus.CANCELLED
    if luck < 0.93:
        return SessionStatus.DELIVERED
    # A past session still booked is one whose attendance was never recorded.
    return SessionStatus.CANCELLED if luck < 0.97 else SessionStatus.BOOKED


def draw_unbooked(
    rng: random.Random,
    network: Network,
    count: int,
    now: datetime,
    past_days: int = 0,
) -> list[UnbookedRequest]:
    """`count` requests never booked: open ones made in the last month, asking
    for times in the next three; with `past_days`, seven in ten went unfilled or
    were cancelled over those days instead."""
    today = to_local(now).date()
    requests = []
    for _ in range(count):
        group = rng.choice(network.groups)
        topic = rng.choice(TOPICS)
        luck = rng.random()
        if not past_days or luck < 0.3:
            status = rng.choice(OPEN_DRAW)
            created_at = now - timedelta(minutes=rng.randint(60, 30 * 24 * 60))
            first, last = today + timedelta(days=3), today + timedelta(days=90)
        else:
            status = RequestStatus.UNFILLED if luck < 0.7 else RequestStatus.CANCELLED
            created_at = now - timedelta(minutes=rng.randint(60, past_days * 1440))
            made_on = to_local(created_at).date()
            first, last = made_on + timedelta(days=14), made_on + timedelta(days=60)
        requests.append(
            UnbookedRequest(
                group=group,
                topic=topic.name,
                status=status,
                is_online=topic.is_online_capable and rng.random() < ONLINE_SHARE,
                created_at=created_at,
                expected_attendance=rng.randint(5, 40),
                slots=_proposed(rng, first, last, topic.minutes),
            )
        )
    return requests


def _proposed(
    rng: random.Random, first: date, last: date, minutes: int
) -> list[tuple[datetime, datetime]]:
    """One to five times on different days between `first` and `last`."""
    span = (last - first).days
    wanted = rng.randint(1, 5)
    days = sorted({first + timedelta(days=rng.randint(0, span)) for _ in range(wanted)})
    starts = [local_to_utc(day, asking_time(rng, day, minutes)) for day in days]
    return [(start, start + timedelta(minutes=minutes)) for start in starts]
