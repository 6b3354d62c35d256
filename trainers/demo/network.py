"""A made-up national network drawn from a seed: the topic catalogue, groups
where people live, and trainers living near them with their profiles.

Plain values, no database: the demo turns them into accounts and stories, the
benchmarks into rows inserted in bulk. Trainers keep a diary (busy days, sessions
a month) while whoever places sessions fills it, so every rule is kept.
"""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

import numpy as np

from trainers.demo.places import (
    apportion,
    group_districts,
    group_names,
    home_near,
    km_from,
    weighted_sample,
)
from trainers.geo import REGIONS, Place, all_districts, distance_km
from trainers.timeutil import local_to_utc, to_local


class CatalogueTopic(NamedTuple):
    name: str
    summary: str
    minutes: int
    is_online_capable: bool


TOPICS = (
    CatalogueTopic(
        "Running a local campaign",
        "Plan a campaign your group can win: pick a clear, winnable goal, map who "
        "has the power to grant it, and turn that into a timeline of actions and a "
        "team to carry them out. Groups leave with a one-page plan of their own.",
        180,
        False,
    ),
    CatalogueTopic(
        "Door-knocking and canvassing",
        "The doorstep conversation step by step: opening, listening and asking; "
        "staying safe; recording what people tell you; and planning routes so a "
        "small team covers a ward in an afternoon. Includes practice in pairs.",
        120,
        False,
    ),
    CatalogueTopic(
        "Phone banking",
        "Calling supporters well: a script that sounds like you, handling difficult "
        "calls, recording outcomes, and running a phone bank from one room or from "
        "everyone's kitchen table.",
        90,
        True,
    ),
    CatalogueTopic(
        "Community organising",
        "Building power with people rather than for them: one-to-one conversations, "
        "finding and growing leaders, and bringing neighbours together around shared "
        "interests, with examples from tenants' and workers' groups.",
        180,
        False,
    ),
    CatalogueTopic(
        "Leafleting that works",
        "A leaflet people read (one message, a clear ask, a way to reply), printed "
        "cheaply, and delivery rounds organised so every door is covered and nobody "
        "walks alone after dark.",
        90,
        False,
    ),
    CatalogueTopic(
        "Social media and messaging",
        "Saying one thing clearly everywhere: framing the message, posts that get "
        "shared, photos and short videos from a phone, and looking after volunteers "
        "who face abuse online.",
        120,
        True,
    ),
    CatalogueTopic(
        "Running good meetings",
        "Meetings people come back to: agendas with decisions in them, chairing that "
        "brings quiet voices in, keeping time, and actions that get done, in a room "
        "or online.",
        90,
        True,
    ),
    CatalogueTopic(
        "Data protection for activists",
        "What UK GDPR means for a volunteer group: lawful reasons to keep contact "
        "details, consent, storing spreadsheets safely, answering requests, and what "
        "to do when a laptop goes missing.",
        120,
        True,
    ),
)
TOPIC_MINUTES = {topic.name: topic.minutes for topic in TOPICS}

FIRST_NAMES = (
    "Aisha", "Alan", "Amara", "Ben", "Bethan", "Callum", "Chloe", "Ciaran", "Dev",
    "Eilidh", "Emma", "Fatima", "Gareth", "Grace", "Hamza", "Hannah", "Imran",
    "Isla", "Jack", "Jasmine", "Kwame", "Laura", "Liam", "Mairead", "Marcus",
    "Megan", "Mohammed", "Niamh", "Oliver", "Olu", "Priya", "Rhys", "Rosa",
    "Ruth", "Sam", "Sanjay", "Sian", "Tom", "Yusuf", "Zara",
)  # fmt: skip
LAST_NAMES = (
    "Ahmed", "Baker", "Begum", "Brennan", "Campbell", "Chen", "Clarke", "Davies",
    "Doherty", "Evans", "Fraser", "Green", "Hughes", "Hussain", "Jones", "Kaur",
    "Khan", "Lewis", "MacDonald", "Mensah", "Morgan", "Murphy", "Nowak", "Okafor",
    "Osei", "Patel", "Price", "Quinn", "Reid", "Roberts", "Robinson", "Shah",
    "Singh", "Smith", "Taylor", "Thomas", "Walsh", "Watson", "Williams", "Wright",
)  # fmt: skip
# How far ahead a trainer's own calendar holds busy times.
CALENDAR_DAYS = 92
DAY_OFF_NOTES = ("Holiday", "Away for work", "Family wedding", "Conference", "")
EVENING_STARTS = (time(17, 30), time(18), time(18, 30))
EVENING_ENDS = (time(21), time(21, 30))
DAYTIME_STARTS = (time(9, 30), time(10))
DAYTIME_ENDS = (time(13), time(16), time(17))
# Some trainers and groups are free in the daytime during the week too.
WEEKDAY_DAYTIME_SHARE = 0.25
# Tuesday to Thursday evenings and Saturdays are the popular times.
WEEKDAY_WEIGHTS = (1, 2, 2, 2, 0.5, 3, 1.5)
# Trainers there travel further: fewer of them, further apart.
SPARSE_REGIONS = ("Scotland", "Wales", "Northern Ireland", "South West")

Window = tuple[int, time, time]  # weekday, opens, shuts (London clock)


@dataclass(eq=False)
class Trainer:
    """A trainer's profile and, while sessions are placed, their diary."""

    name: str
    email: str
    place: Place
    radius_km: int
    cap: int
    qualified: list[str]
    shadowing: list[str]
    windows: list[Window]
    days_off: list[tuple[date, date, str]]
    is_active: bool = True
    busy_days: set[date] = field(default_factory=set)
    per_month: Counter = field(default_factory=Counter)
    # Busy times from their own calendar (UTC), if the shape asks for them.
    calendar_busy: list[tuple[datetime, datetime]] = field(default_factory=list)

    def reach_km(self, venue: Place | None) -> float | None:
        """Kilometres to an in-person venue within the radius, 0 online, else None."""
        if venue is None:
            return 0.0
        km = distance_km(
            self.place.latitude, self.place.longitude, venue.latitude, venue.longitude
        )
        return km if self.radius_km > 0 and km <= self.radius_km else None

    def is_free_on(self, day: date) -> bool:
        """Not away, and no session yet that day."""
        return day not in self.busy_days and not any(
            first <= day <= last for first, last, _ in self.days_off
        )

    def can_take(self, starts_at: datetime, ends_at: datetime) -> bool:
        """Inside a window, on no day off, their only session that day, under cap."""
        start, end = to_local(starts_at), to_local(ends_at)
        day = start.date()
        return (
            any(
                weekday == day.weekday()
                and opens <= start.time()
                and end.time() <= shuts
                for weekday, opens, shuts in self.windows
            )
            and end.date() == day
            and self.is_free_on(day)
            and self.per_month[day.year, day.month] < self.cap
        )

    def reserve(self, starts_at: datetime) -> None:
        """Note a session in the diary."""
        day = to_local(starts_at).date()
        self.busy_days.add(day)
        self.per_month[day.year, day.month] += 1


@dataclass(eq=False)
class LocalGroup:
    name: str
    place: Place


class People:
    """Made-up names, each with an email address no one else has."""

    def __init__(self, domain: str):
        self.domain = domain
        self.emails: set[str] = set()

    def draw(self, rng: random.Random) -> tuple[str, str]:
        """A name and its unique email address."""
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{first}.{last}".lower()
        email, number = f"{base}@{self.domain}", 1
        while email in self.emails:
            number += 1
            email = f"{base}{number}@{self.domain}"
        self.emails.add(email)
        return f"{first} {last}", email


@dataclass(frozen=True)
class Shape:
    """How big a network, and where."""

    groups: int
    trainers: int  # the given ones included
    region: str | None = None  # one region, or all of the UK
    fixed_groups: dict[str, str] = field(default_factory=dict)  # district: name
    homes: tuple[str, ...] = ()  # districts where a region's first trainers live
    online_only_share: float = 1 / 15
    inactive_share: float = 0.0
    email_domain: str = "example.org"
    # Busy times each trainer's own calendar holds over the next three months.
    calendar_busy: int = 0


@dataclass
class Network:
    """The groups and trainers drawn, and the people named so far."""

    groups: list[LocalGroup]
    trainers: list[Trainer]
    people: People

    def reach(self) -> list[list[Trainer]]:
        """For each group, in order, the trainers who travel to it."""
        latitudes = np.array([trainer.place.latitude for trainer in self.trainers])
        longitudes = np.array([trainer.place.longitude for trainer in self.trainers])
        radii = np.array([trainer.radius_km for trainer in self.trainers])
        return [
            [
                self.trainers[n]
                for n in np.flatnonzero(
                    (km_from(group.place, latitudes, longitudes) <= radii) & (radii > 0)
                )
            ]
            for group in self.groups
        ]


def draw_network(
    rng: random.Random, shape: Shape, today: date, given: tuple[Trainer, ...] = ()
) -> Network:
    """Groups by population, then the `given` trainers and more living near
    groups, those no one reaches yet first, two or more a region.

    Deterministic for a seed and a day.
    """
    places = all_districts()
    districts = group_districts(
        rng, shape.groups, shape.region, list(shape.fixed_groups)
    )
    names = group_names(districts, shape.fixed_groups)
    network = Network(
        groups=[
            LocalGroup(name, places[district])
            for name, district in zip(names, districts, strict=True)
        ],
        trainers=[],
        people=People(shape.email_domain),
    )
    _Recruiter(rng, network, today).recruit(shape, given)
    if shape.calendar_busy:
        # Seeded from the generator's state without drawing from it, so the
        # history drawn next is the same with busy times or without.
        calendars = random.Random(repr(rng.getstate()))
        for trainer in network.trainers:
            trainer.calendar_busy = _calendar_busy(
                calendars, today, shape.calendar_busy
            )
    return network


def _calendar_busy(
    rng: random.Random, today: date, count: int
) -> list[tuple[datetime, datetime]]:
    """`count` busy times apart from each other, of half an hour to three
    hours, 07:00-22:00 on the London clock, over the next three months, in
    order, as a calendar's are kept."""
    busy: list[tuple[datetime, datetime]] = []
    while len(busy) < count:
        day = today + timedelta(days=rng.randrange(CALENDAR_DAYS))
        starts_at = local_to_utc(day, time(rng.randrange(7, 19), rng.choice((0, 30))))
        ends_at = starts_at + timedelta(minutes=30 * rng.randint(1, 6))
        if all(ends_at < s or e < starts_at for s, e in busy):
            busy.append((starts_at, ends_at))
    return sorted(busy)


class _Recruiter:
    """Adds trainers to a network, keeping note of the groups they reach."""

    def __init__(self, rng: random.Random, network: Network, today: date):
        self.rng, self.network, self.today = rng, network, today
        groups = network.groups
        self.latitudes = np.array([group.place.latitude for group in groups])
        self.longitudes = np.array([group.place.longitude for group in groups])
        self.covered = np.zeros(len(groups), dtype=bool)
        self.in_region = defaultdict(list)
        for n, group in enumerate(groups):
            self.in_region[group.place.region].append(n)

    def recruit(self, shape: Shape, given: tuple[Trainer, ...]) -> None:
        """The `given` trainers, then the rest, shared out by the regions' groups."""
        regions = {
            region: len(self.in_region[region])
            for region in REGIONS
            if self.in_region[region]
        }
        per_region = apportion(shape.trainers, regions, floor=2)
        for trainer in given:
            self._add(trainer)
            per_region[trainer.place.region] -= 1
        slots = [(region, n) for region in regions for n in range(per_region[region])]
        anchors, in_region = {}, Counter()
        for district in shape.homes:
            place = all_districts()[district]
            anchors[place.region, in_region[place.region]] = place
            in_region[place.region] += 1
        online_only = set(
            self.rng.sample(
                [slot for slot in slots if slot not in anchors],
                round(shape.trainers * shape.online_only_share),
            )
        )
        # People sign up from everywhere at once, not a region at a time.
        self.rng.shuffle(slots)
        for region, n in slots:
            radius = self._radius(region, (region, n) in online_only)
            anchor = anchors.get((region, n)) or self._uncovered(region)
            home = home_near(self.rng, anchor, min(15, radius or 15))
            self._add(self._trainer(home, radius, shape))

    def _radius(self, region: str, online_only: bool) -> int:
        if online_only:
            return 0
        if region in SPARSE_REGIONS:
            return self.rng.choice((30, 40, 50, 60, 80))
        return self.rng.choice((15, 20, 25, 30, 40, 50))

    def _uncovered(self, region: str) -> Place:
        """A group's place in `region`, first those no trainer reaches."""
        in_region = self.in_region[region]
        uncovered = [n for n in in_region if not self.covered[n]]
        return self.network.groups[self.rng.choice(uncovered or in_region)].place

    def _trainer(self, home: Place, radius: int, shape: Shape) -> Trainer:
        rng = self.rng
        pool = [topic.name for topic in TOPICS if topic.is_online_capable or radius]
        qualified = rng.sample(pool, rng.randint(1, 3))
        others = [topic.name for topic in TOPICS if topic.name not in qualified]
        shadowing = rng.sample(others, 1) if rng.random() < 0.4 else []
        days_off = []
        if rng.random() < 0.35:
            first = self.today + timedelta(days=rng.randint(-60, 90))
            last = first + timedelta(days=rng.randint(0, 13))
            days_off.append((first, last, rng.choice(DAY_OFF_NOTES)))
        name, email = self.network.people.draw(rng)
        return Trainer(
            name=name,
            email=email,
            place=home,
            radius_km=radius,
            cap=rng.choice((1, 2, 2, 3, 3, 4)),
            qualified=qualified,
            shadowing=shadowing,
            windows=_windows(rng),
            days_off=days_off,
            is_active=rng.random() >= shape.inactive_share,
        )

    def _add(self, trainer: Trainer) -> None:
        self.network.trainers.append(trainer)
        if trainer.radius_km:
            km = km_from(trainer.place, self.latitudes, self.longitudes)
            self.covered |= km <= trainer.radius_km


def _windows(rng: random.Random) -> list[Window]:
    """One to four weekly windows: weekday evenings and weekend days."""
    weekdays = weighted_sample(
        rng, dict(enumerate(WEEKDAY_WEIGHTS)), rng.choice((1, 2, 2, 3, 3, 4))
    )
    return [
        (weekday, rng.choice(DAYTIME_STARTS), rng.choice(DAYTIME_ENDS))
        if weekday >= 5 or rng.random() < WEEKDAY_DAYTIME_SHARE
        else (weekday, rng.choice(EVENING_STARTS), rng.choice(EVENING_ENDS))
        for weekday in sorted(weekdays)
    ]


def half_hours(opens: time, shuts: time, minutes: int) -> list[time]:
    """Start times, half an hour apart, that fit `minutes` between opens and shuts."""
    start = datetime.combine(date.min, opens)
    latest = datetime.combine(date.min, shuts) - timedelta(minutes=minutes)
    starts = []
    while start <= latest:
        starts.append(start.time())
        start += timedelta(minutes=30)
    return starts


def asking_time(rng: random.Random, day: date, minutes: int) -> time:
    """A start an organiser might propose on `day`: an evening that ends by half
    past nine or, at weekends and now and then in the week, a morning or an
    afternoon."""
    if day.weekday() >= 5 or rng.random() < WEEKDAY_DAYTIME_SHARE:
        return rng.choice((time(10), time(10, 30), time(13), time(14)))
    latest = datetime.combine(day, time(21, 30)) - timedelta(minutes=minutes)
    starts = [
        clock for clock in (time(18), time(18, 30), time(19)) if clock <= latest.time()
    ]
    return rng.choice(starts)
