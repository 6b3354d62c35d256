"""Believable moments for the demo, counted from today, so upcoming things stay
upcoming whenever it is loaded."""

import random
from datetime import date, datetime, time, timedelta

from trainers.timeutil import local_to_utc, to_local


class Moments:
    """Days and times around `today` (Europe/London), drawn from `rng`."""

    def __init__(self, rng: random.Random, today: date):
        self.rng, self.today = rng, today

    def day(self, offset: int) -> date:
        """`offset` days from today."""
        return self.today + timedelta(days=offset)

    def at(self, day: date, earliest: int = 8, latest: int = 20) -> datetime:
        """A time on `day` between the hours given, Europe/London."""
        clock = time(
            self.rng.randint(earliest, latest), self.rng.choice((0, 15, 30, 45))
        )
        return local_to_utc(day, clock)

    def later(
        self, moment: datetime, max_days: int, by: date | None = None
    ) -> datetime:
        """A moment up to `max_days` days after `moment`, on or before `by` and
        yesterday, and at least half an hour after it."""
        day = to_local(moment).date() + timedelta(days=self.rng.randint(0, max_days))
        day = min(day, by or day, self.day(-1))
        return max(self.at(day, latest=21), moment + timedelta(minutes=30))
