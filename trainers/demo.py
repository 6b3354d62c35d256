"""Demo data: a believable national network to click through, built from a seed.

Plain functions; `flask --app wsgi demo` (trainers/cli.py) runs them in one
transaction. Dates are relative to `now`, so upcoming sessions stay upcoming.
"""

import csv
import logging
import math
import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from trainers.attendance.models import Attendance, Attendee
from trainers.auth.models import User
from trainers.extensions import db
from trainers.geo import REGIONS, Place, all_districts, distance_km
from trainers.matching.models import Offer, OfferStatus
from trainers.network.models import Group, Topic
from trainers.profiles.models import (
    AvailabilityWindow,
    DayOff,
    TrainerProfile,
    TrainerTopic,
)
from trainers.requests.models import (
    RequestEvent,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
)
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import format_datetime, local_to_utc, to_local

logger = logging.getLogger(__name__)

SEED = 2026
PASSWORD = "trainers-demo"  # noqa: S105 - the published demo password
OFFICE_EMAIL = "office@example.org"
ORGANISER_EMAIL = "organiser@example.org"
TRAINER_EMAIL = "trainer@example.org"
GROUP_COUNT = 150
TRAINER_COUNT = 60
ONLINE_ONLY_TRAINERS = 4
LOAD_DAYS = 90

# ONS mid-2022 estimates (thousands): groups are shared out in proportion.
REGION_POPULATION = {
    "North East": 2683,
    "North West": 7517,
    "Yorkshire and The Humber": 5541,
    "East Midlands": 4934,
    "West Midlands": 6021,
    "East of England": 6399,
    "London": 8867,
    "South East": 9380,
    "South West": 5765,
    "Wales": 3132,
    "Scotland": 5447,
    "Northern Ireland": 1911,
}
FIXED_GROUPS = {"TN34": "Hastings and St Leonards", "SK1": "Stockport", "E8": "Hackney"}
# Northern Ireland districts carry no local authority in the geo table.
NI_TOWNS = {
    f"BT{number}": town
    for town, numbers in (
        ("Belfast", range(1, 18)), ("Holywood", [18]), ("Bangor", [19, 20]),
        ("Donaghadee", [21]), ("Newtownards", [22, 23]), ("Ballynahinch", [24]),
        ("Dromore", [25]), ("Hillsborough", [26]), ("Lisburn", [27, 28]),
        ("Crumlin", [29]), ("Downpatrick", [30]), ("Castlewellan", [31]),
        ("Banbridge", [32]), ("Newcastle", [33]), ("Newry", [34, 35]),
        ("Newtownabbey", [36, 37]), ("Carrickfergus", [38]), ("Ballyclare", [39]),
        ("Larne", [40]), ("Antrim", [41]), ("Ballymena", [42, 43, 44]),
        ("Magherafelt", [45]), ("Maghera", [46]), ("Derry", [47, 48]),
        ("Limavady", [49]), ("Coleraine", [51, 52]), ("Ballymoney", [53]),
        ("Ballycastle", [54]), ("Portstewart", [55]), ("Portrush", [56]),
        ("Bushmills", [57]), ("Armagh", [60, 61]), ("Portadown", [62, 63]),
        ("Craigavon", [64, 65]), ("Lurgan", [66, 67]), ("Caledon", [68]),
        ("Aughnacloy", [69]), ("Dungannon", [70, 71]), ("Enniskillen", [74, 92, 93, 94]),
        ("Fivemiletown", [75]), ("Clogher", [76]), ("Augher", [77]),
        ("Omagh", [78, 79]), ("Cookstown", [80]), ("Castlederg", [81]),
        ("Strabane", [82]),
    )
    for number in numbers
}  # fmt: skip
COMPASS = (
    "North", "North East", "East", "South East",
    "South", "South West", "West", "North West",
)  # fmt: skip

TOPICS = (
    (
        "Running a local campaign",
        "Plan a campaign your group can win: pick a clear, winnable goal, map who "
        "has the power to grant it, and turn that into a timeline of actions and a "
        "team to carry them out. Groups leave with a one-page plan of their own.",
        180,
        False,
    ),
    (
        "Door-knocking and canvassing",
        "The doorstep conversation step by step: opening, listening and asking; "
        "staying safe; recording what people tell you; and planning routes so a "
        "small team covers a ward in an afternoon. Includes practice in pairs.",
        120,
        False,
    ),
    (
        "Phone banking",
        "Calling supporters well: a script that sounds like you, handling difficult "
        "calls, recording outcomes, and running a phone bank from one room or from "
        "everyone's kitchen table.",
        90,
        True,
    ),
    (
        "Community organising",
        "Building power with people rather than for them: one-to-one conversations, "
        "finding and growing leaders, and bringing neighbours together around shared "
        "interests, with examples from tenants' and workers' groups.",
        180,
        False,
    ),
    (
        "Leafleting that works",
        "A leaflet people read (one message, a clear ask, a way to reply), printed "
        "cheaply, and delivery rounds organised so every door is covered and nobody "
        "walks alone after dark.",
        90,
        False,
    ),
    (
        "Social media and messaging",
        "Saying one thing clearly everywhere: framing the message, posts that get "
        "shared, photos and short videos from a phone, and looking after volunteers "
        "who face abuse online.",
        120,
        True,
    ),
    (
        "Running good meetings",
        "Meetings people come back to: agendas with decisions in them, chairing that "
        "brings quiet voices in, keeping time, and actions that get done, in a room "
        "or online.",
        90,
        True,
    ),
    (
        "Data protection for activists",
        "What UK GDPR means for a volunteer group: lawful reasons to keep contact "
        "details, consent, storing spreadsheets safely, answering requests, and what "
        "to do when a laptop goes missing.",
        120,
        True,
    ),
)

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
VENUES = (
    "Friends Meeting House", "St Mark's Church Hall", "Community Centre",
    "Central Library, meeting room 2", "Trades Union Centre", "Methodist Hall",
    "The Old Fire Station", "Community Hub", "Unitarian Chapel hall",
)  # fmt: skip
NOTES = (
    "",
    "",
    "Mostly new members; several have never done this before.",
    "We are gearing up for the local elections in May.",
    "Tea and biscuits provided. Parking behind the hall.",
    "A mix of long-standing members and people who joined this year.",
)
ACCESS_NEEDS = ("", "", "", "Step-free access by the side door; hearing loop.")
CANCEL_REASONS = (
    "The group has postponed its campaign launch to the spring.",
    "Too few people could make the dates; we will ask again later.",
    "We lost the venue and could not find another in time.",
)
BOOKED_CANCEL_REASONS = (
    "The hall flooded and is closed for repairs; we will rebook.",
    "Our coordinator is unwell; we will ask again in the new year.",
)
DECLINE_NOTES = (
    "Away with family that weekend, sorry.",
    "Already committed that evening.",
    "Working late that week.",
)
RATING_COMMENTS = (
    "",
    "",
    "Practical and friendly; everyone left with something to do on Saturday.",
    "Brilliant role-play. Could have used ten more minutes for questions.",
    "Just what our newer members needed.",
    "Good, though the room was too small for the exercises.",
)
WENT_WELL = (
    "",
    "Lots of questions; the practice in pairs worked well.",
    "The group had clearly prepared; we got through everything.",
    "Newer members spoke up more than I expected by the end.",
)
FOLLOW_UPS = (
    "",
    "",
    "They would like phone banking next.",
    "A second session on planning their campaign timeline.",
    "Help writing their first leaflet.",
)
# Roster names in the demo are plainly made up: "Aisha Example".
DEMO_SURNAME = "Example"
DAY_OFF_NOTES = ("Holiday", "Away for work", "Family wedding", "Conference", "")
EVENING_STARTS = (time(17, 30), time(18), time(18, 30))
EVENING_ENDS = (time(21), time(21, 30))
WEEKEND_STARTS = (time(9, 30), time(10))
WEEKEND_ENDS = (time(13), time(16), time(17))
# Tuesday to Thursday evenings and Saturdays are the popular times.
WEEKDAY_WEIGHTS = (1, 2, 2, 2, 0.5, 3, 1.5)
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # inward codes never use C I K M O V
STATUS_WEIGHTS = {
    RequestStatus.DELIVERED: 34,
    RequestStatus.BOOKED: 20,
    RequestStatus.OFFERED: 15,
    RequestStatus.SUBMITTED: 12,
    RequestStatus.UNFILLED: 7,
    RequestStatus.CANCELLED: 12,
}
# The order requests are placed in: the past first, as it happened.
PHASES = (
    RequestStatus.DELIVERED,
    RequestStatus.BOOKED,
    RequestStatus.CANCELLED,
    RequestStatus.OFFERED,
    RequestStatus.UNFILLED,
    RequestStatus.SUBMITTED,
)


@dataclass
class DemoSummary:
    """What was loaded, for the command to print."""

    groups: int
    trainers: int
    topics: int
    requests: Counter
    organiser_groups: list[str]


@dataclass(eq=False)
class _Trainer:
    """A demo trainer's profile and diary while requests are placed."""

    user: User
    place: Place
    radius_km: int
    cap: int
    qualified: set[str]
    windows: list[tuple[int, time, time]]
    days_off: list[tuple[date, date]]
    busy_days: set[date] = field(default_factory=set)
    per_month: Counter = field(default_factory=Counter)

    def reach_km(self, venue: Place | None) -> float | None:
        """Kilometres to an in-person venue within the radius, 0 online, else None."""
        if venue is None:
            return 0.0
        km = distance_km(
            self.place.latitude, self.place.longitude, venue.latitude, venue.longitude
        )
        return km if self.radius_km > 0 and km <= self.radius_km else None

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
            and not any(first <= day <= last for first, last in self.days_off)
            and day not in self.busy_days
            and self.per_month[day.year, day.month] < self.cap
        )

    def reserve(self, starts_at: datetime) -> None:
        day = to_local(starts_at).date()
        self.busy_days.add(day)
        self.per_month[day.year, day.month] += 1


def has_users() -> bool:
    """Whether any account exists."""
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def load_demo(now: datetime, seed: int = SEED) -> DemoSummary:
    """Add the demo network (accounts, groups, trainers, requests) for `now`.

    Deterministic for a seed and a day. Flushes; the caller commits.
    """
    builder = _Builder(random.Random(seed), now)
    summary = builder.build()
    db.session.add_all(builder.rows)
    db.session.flush()
    # Attendance rows need the sessions' and people's ids; rosters need theirs.
    attendances, rosters = builder.attendance()
    db.session.add_all(attendances)
    db.session.flush()
    db.session.add_all(rosters)
    db.session.flush()
    logger.info(
        "Demo: loaded %d groups, %d trainers, %d requests (seed %d)",
        summary.groups,
        summary.trainers,
        summary.requests.total(),
        seed,
    )
    return summary


@cache
def _population_weights() -> dict[str, int]:
    """Live postcodes per usable district: a stand-in for population.

    The geo Place has no size, so the count is read from the same table. PO-box
    and other tiny districts are left out; Northern Ireland (no counts in the
    table) weighs every named district alike.
    """
    data = resources.files("trainers.geo").joinpath("data/uk_postcode_districts.csv")
    with data.open(encoding="utf-8", newline="") as handle:
        counts = {
            row["outcode"]: int(row["postcode_count"] or 0)
            for row in csv.DictReader(handle)
        }
    counts.update(dict.fromkeys(NI_TOWNS, 500))
    return {district: count for district, count in counts.items() if count >= 200}


def _town(place: Place) -> str:
    name = NI_TOWNS.get(place.district, place.local_authority)
    name = name.removesuffix(", City of").removesuffix(" City")
    return name if name == "City of London" else name.removeprefix("City of ")


@cache
def _town_centres() -> dict[str, tuple[float, float]]:
    """The mean position of each town's districts."""
    members = defaultdict(list)
    for place in all_districts().values():
        members[_town(place)].append(place)
    return {
        town: (
            sum(place.latitude for place in places) / len(places),
            sum(place.longitude for place in places) / len(places),
        )
        for town, places in members.items()
    }


@cache
def _password_hash() -> str:
    # scrypt is slow on purpose: one hash serves every demo account.
    return generate_password_hash(PASSWORD, method="scrypt")


def _weighted_sample(rng: random.Random, weights: dict, k: int) -> list:
    """k distinct keys, each drawn in proportion to its weight (Efraimidis-Spirakis)."""
    keys = sorted(weights, key=lambda key: rng.random() ** (1 / weights[key]))
    return keys[len(keys) - k :]


def _apportion(total: int, shares: dict[str, float], floor: int = 1) -> dict[str, int]:
    """`total` split in proportion to `shares` (largest remainder), at least `floor`."""
    spare = total - floor * len(shares)
    whole = sum(shares.values())
    exact = {key: spare * share / whole for key, share in shares.items()}
    counts = {key: floor + math.floor(value) for key, value in exact.items()}
    by_remainder = sorted(exact, key=lambda key: math.floor(exact[key]) - exact[key])
    for key in by_remainder[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def _half_hours(opens: time, shuts: time, minutes: int) -> list[time]:
    """Start times, half an hour apart, that fit `minutes` between opens and shuts."""
    start = datetime.combine(date.min, opens)
    latest = datetime.combine(date.min, shuts) - timedelta(minutes=minutes)
    starts = []
    while start <= latest:
        starts.append(start.time())
        start += timedelta(minutes=30)
    return starts


def _slot(day: date, clock: time, minutes: int) -> RequestSlot:
    starts_at = local_to_utc(day, clock)
    return RequestSlot(
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes)
    )


class _Story:
    """A request's history lines, in time order, and the session it led to."""

    def __init__(self, training_request: TrainingRequest):
        self.training_request = training_request
        self.session: TrainingSession | None = None
        self.last_at = training_request.created_at

    def add(self, at: datetime, actor: User | None, action: str, detail: str) -> None:
        self.training_request.events.append(
            RequestEvent(at=at, actor=actor, action=action, detail=detail)
        )
        self.last_at = max(self.last_at, at)
        self.training_request.status_changed_at = self.last_at


class _Builder:
    """Builds every demo row in memory; `rows` are then added in one go."""

    def __init__(self, rng: random.Random, now: datetime):
        self.rng = rng
        self.today = to_local(now).date()
        self.places = all_districts()
        self.rows: list = []
        self.emails: set[str] = set()
        self.topics: dict[str, Topic] = {}
        self.groups: list[Group] = []
        self.trainers: list[_Trainer] = []
        self.covered: set[str] = set()  # districts of groups some trainer reaches
        self.offers: list[tuple[Offer, _Trainer]] = []
        self.sessions: list[TrainingSession] = []
        self.statuses: Counter = Counter()
        # Delivered sessions with their headcount and when it was recorded.
        self.deliveries: list[tuple[TrainingSession, int, datetime]] = []

    def build(self) -> DemoSummary:
        self._user("Alex Morgan", OFFICE_EMAIL, is_office=True)
        organiser = self._user("Jo Fielding", ORGANISER_EMAIL)
        # Ofcom's numbers for drama (01632 960..., 07700 900...) reach nobody.
        organiser.phone = "01632 960 123"
        self._add_topics()
        self._add_groups(organiser)
        self._add_trainers()
        self._add_requests()
        self._explain_offers()
        # Offers and sessions hang off requests with no collection to cascade.
        self.rows += [offer for offer, _ in self.offers] + self.sessions
        # Drawn last, so attendance never shifts the network a seed gives.
        self.feedback_rng = random.Random(self.rng.getrandbits(64))
        return DemoSummary(
            groups=len(self.groups),
            trainers=len(self.trainers),
            topics=len(self.topics),
            requests=Counter(
                {status: self.statuses[status] for status in RequestStatus}
            ),
            organiser_groups=[group.name for group in organiser.groups],
        )

    def _day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def _at(self, day: date, earliest: int = 8, latest: int = 20) -> datetime:
        """A time on `day` between the hours given, Europe/London."""
        clock = time(
            self.rng.randint(earliest, latest), self.rng.choice((0, 15, 30, 45))
        )
        return local_to_utc(day, clock)

    def _later(
        self, moment: datetime, max_days: int, by: date | None = None
    ) -> datetime:
        """A moment up to `max_days` days after `moment`, on or before `by` and
        yesterday, and at least half an hour after it."""
        day = to_local(moment).date() + timedelta(days=self.rng.randint(0, max_days))
        day = min(day, by or day, self._day(-1))
        return max(self._at(day, latest=21), moment + timedelta(minutes=30))

    def _user(
        self, name: str, email: str, is_office: bool = False, phone: str | None = None
    ) -> User:
        self.emails.add(email)
        user = User(
            email=email,
            name=name,
            phone=phone,
            password_hash=_password_hash(),
            is_office=is_office,
            created_at=self._at(self._day(-self.rng.randint(60, 700))),
            last_login_at=self._at(self._day(-self.rng.randint(1, 30))),
        )
        self.rows.append(user)
        return user

    def _person(self) -> User:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        base = f"{first}.{last}".lower()
        email, number = f"{base}@example.org", 1
        while email in self.emails:
            number += 1
            email = f"{base}{number}@example.org"
        return self._user(f"{first} {last}", email)

    def _add_topics(self) -> None:
        created_at = self._at(self._day(-800))
        for name, summary, minutes, online in TOPICS:
            self.topics[name] = Topic(
                name=name,
                summary=summary,
                default_minutes=minutes,
                is_online_capable=online,
                created_at=created_at,
            )
        self.rows += self.topics.values()

    def _group_districts(self) -> list[str]:
        """GROUP_COUNT districts: the fixed ones, then by region and population."""
        weights = _population_weights()
        per_region = _apportion(GROUP_COUNT, REGION_POPULATION)
        for district in FIXED_GROUPS:
            per_region[self.places[district].region] -= 1
        chosen = list(FIXED_GROUPS)
        for region in REGIONS:
            in_region = {
                district: weight
                for district, weight in weights.items()
                if self.places[district].region == region
                and district not in FIXED_GROUPS
            }
            chosen += sorted(_weighted_sample(self.rng, in_region, per_region[region]))
        return chosen

    def _group_names(self, districts: list[str]) -> dict[str, str]:
        """Town names; a town with several groups adds a compass point or district."""
        members = defaultdict(list)
        for district in districts:
            members[_town(self.places[district])].append(district)
        names = dict(FIXED_GROUPS)
        taken = set(names.values())
        for town, in_town in members.items():
            for district in in_town:
                if district in names:
                    continue
                name = town
                if len(in_town) > 1 or name in taken:
                    name = self._compass_name(town, district)
                if name in taken:
                    name = f"{town} {district}"
                names[district] = name
                taken.add(name)
        return names

    def _compass_name(self, town: str, district: str) -> str:
        """'Leeds North' from where the district lies in its town."""
        if any(word in COMPASS for word in town.split()):
            return f"{town} {district}"
        lat, lon = _town_centres()[town]
        place = self.places[district]
        if distance_km(lat, lon, place.latitude, place.longitude) < 2.5:
            return f"{town} Central"
        east = (place.longitude - lon) * math.cos(math.radians(lat))
        bearing = math.degrees(math.atan2(east, place.latitude - lat)) % 360
        return f"{town} {COMPASS[round(bearing / 45) % 8]}"

    def _add_groups(self, demo_organiser: User) -> None:
        districts = self._group_districts()
        names = self._group_names(districts)
        for district in districts:
            place = self.places[district]
            group = Group(
                name=names[district],
                region=place.region,
                postcode_district=district,
                latitude=place.latitude,
                longitude=place.longitude,
                created_at=self._at(self._day(-self.rng.randint(100, 900))),
            )
            if district in ("TN34", "SK1"):
                group.organisers.append(demo_organiser)
            if not group.organisers:
                group.organisers.append(self._person())
            if self.rng.random() < 0.3:
                group.organisers.append(self._person())
            self.groups.append(group)
        self.rows += self.groups

    def _add_trainers(self) -> None:
        """The demo trainer, then trainers living near groups, two or more a region."""
        self._add_trainer(
            self._user("Priya Desai", TRAINER_EMAIL, phone="07700 900 456"),
            self.places["TN34"],
            radius_km=40,
            cap=3,
            qualified=[
                "Running a local campaign",
                "Door-knocking and canvassing",
                "Community organising",
                "Running good meetings",
            ],
            shadowing=["Data protection for activists"],
            windows=[
                (1, time(18), time(21, 30)),
                (3, time(18, 30), time(21, 30)),
                (5, time(10), time(17)),
            ],
            days_off=[(self._day(40), self._day(47), "Family holiday")],
        )
        per_region = _apportion(
            TRAINER_COUNT, Counter(group.region for group in self.groups), floor=2
        )
        per_region["South East"] -= 1
        places = [
            (region, index) for region in REGIONS for index in range(per_region[region])
        ]
        # The first North West trainer lives by Stockport, for the demo
        # organiser's requests there.
        anchored = ("North West", 0)
        online_only = self.rng.sample(
            [place for place in places if place != anchored], ONLINE_ONLY_TRAINERS
        )
        for region, index in places:
            groups = [group for group in self.groups if group.region == region]
            anchor = self.places["SK1"] if (region, index) == anchored else None
            self._add_random_trainer(groups, anchor, (region, index) in online_only)

    def _add_random_trainer(
        self, groups: list[Group], anchor: Place | None, online_only: bool
    ) -> None:
        """A trainer living near one of `groups`, first those nobody reaches yet."""
        rng = self.rng
        if online_only:
            radius = 0
        elif groups[0].region in (
            "Scotland",
            "Wales",
            "Northern Ireland",
            "South West",
        ):
            radius = rng.choice((30, 40, 50, 60, 80))
        else:
            radius = rng.choice((15, 20, 25, 30, 40, 50))
        if anchor is None:
            uncovered = [
                self.places[group.postcode_district]
                for group in groups
                if group.postcode_district not in self.covered
            ]
            anchor = rng.choice(
                uncovered or [self.places[g.postcode_district] for g in groups]
            )
        place = self._home_near(anchor, min(15, radius or 15))
        pool = [
            name
            for name, topic in self.topics.items()
            if topic.is_online_capable or not online_only
        ]
        qualified = rng.sample(pool, rng.randint(2, 4))
        others = [name for name in self.topics if name not in qualified]
        shadowing = rng.sample(others, 1) if rng.random() < 0.4 else []
        days_off = []
        if rng.random() < 0.35:
            first = self._day(rng.randint(-60, 90))
            last = first + timedelta(days=rng.randint(0, 13))
            days_off.append((first, last, rng.choice(DAY_OFF_NOTES)))
        self._add_trainer(
            self._person(),
            place,
            radius_km=radius,
            cap=rng.choice((1, 2, 2, 3, 3, 4)),
            qualified=qualified,
            shadowing=shadowing,
            windows=self._random_windows(),
            days_off=days_off,
        )

    def _home_near(self, centre: Place, within_km: float) -> Place:
        """A district within `within_km` of `centre`, in proportion to population."""
        nearby = {
            district: weight
            for district, weight in _population_weights().items()
            if self.places[district].region == centre.region
            and distance_km(
                centre.latitude,
                centre.longitude,
                self.places[district].latitude,
                self.places[district].longitude,
            )
            <= within_km
        }
        return self.places[_weighted_sample(self.rng, nearby, 1)[0]]

    def _random_windows(self) -> list[tuple[int, time, time]]:
        """One to four weekly windows: weekday evenings and weekend days."""
        rng = self.rng
        weekdays = _weighted_sample(
            rng, dict(enumerate(WEEKDAY_WEIGHTS)), rng.choice((1, 2, 2, 3, 3, 4))
        )
        return [
            (weekday, rng.choice(EVENING_STARTS), rng.choice(EVENING_ENDS))
            if weekday < 5
            else (weekday, rng.choice(WEEKEND_STARTS), rng.choice(WEEKEND_ENDS))
            for weekday in sorted(weekdays)
        ]

    def _add_trainer(
        self,
        user: User,
        place: Place,
        *,
        radius_km: int,
        cap: int,
        qualified: list[str],
        shadowing: list[str],
        windows: list[tuple[int, time, time]],
        days_off: list[tuple[date, date, str]],
    ) -> None:
        user.trainer_profile = TrainerProfile(
            home_district=place.district,
            latitude=place.latitude,
            longitude=place.longitude,
            region=place.region,
            travel_radius_km=radius_km,
            monthly_cap=cap,
            created_at=user.created_at,
            updated_at=user.created_at,
            topics=[
                TrainerTopic(topic=self.topics[name], level=level)
                for names, level in ((qualified, "qualified"), (shadowing, "shadowing"))
                for name in names
            ],
            availability=[
                AvailabilityWindow(weekday=weekday, start_time=opens, end_time=shuts)
                for weekday, opens, shuts in windows
            ],
            days_off=[
                DayOff(first_on=first, last_on=last, note=note)
                for first, last, note in days_off
            ],
        )
        trainer = _Trainer(
            user=user,
            place=place,
            radius_km=radius_km,
            cap=cap,
            qualified=set(qualified),
            windows=windows,
            days_off=[(first, last) for first, last, _ in days_off],
        )
        self.trainers.append(trainer)
        self.covered.update(
            group.postcode_district
            for group in self.groups
            if trainer.reach_km(self.places[group.postcode_district]) is not None
        )

    def _add_requests(self) -> None:
        """Scripted requests for the demo logins first, then a spread over groups."""
        by_district = {group.postcode_district: group for group in self.groups}
        hastings, stockport = by_district["TN34"], by_district["SK1"]
        demo_trainer = self.trainers[0]
        scripted = [
            (hastings, RequestStatus.BOOKED, demo_trainer, (5, 21)),
            (hastings, RequestStatus.OFFERED, demo_trainer, (10, 35)),
            (hastings, RequestStatus.DELIVERED, demo_trainer, (-70, -20)),
            (hastings, RequestStatus.SUBMITTED, None, None),
            (stockport, RequestStatus.BOOKED, None, None),
            (stockport, RequestStatus.OFFERED, None, None),
            (stockport, RequestStatus.DELIVERED, None, None),
            (stockport, RequestStatus.CANCELLED, None, None),
        ]
        for group, status, trainer, days in scripted:
            if not self._place_request(group, status, trainer, days):
                raise RuntimeError(
                    f"Demo: no trainer fits the scripted {status} request"
                )
        planned = [
            (group, status)
            for group in self.groups
            for status in self.rng.choices(
                list(STATUS_WEIGHTS),
                weights=list(STATUS_WEIGHTS.values()),
                k=self.rng.choice((0, 1, 1, 2, 2, 2, 3)),
            )
        ]
        planned.sort(key=lambda item: PHASES.index(item[1]))
        for group, status in planned:
            if (
                not self._place_request(group, status)
                and status != RequestStatus.DELIVERED
            ):
                topic = self.topics[self.rng.choice(sorted(self.topics))]
                self._add_request(group, status, topic, fallback=True)

    def _place_request(
        self,
        group: Group,
        status: RequestStatus,
        trainer: _Trainer | None = None,
        days: tuple[int, int] | None = None,
    ) -> bool:
        """Add a request on the first topic, in random order, that a trainer can take."""
        names = self.rng.sample(sorted(self.topics), len(self.topics))
        return any(
            self._add_request(group, status, self.topics[name], trainer, days)
            for name in names
            if trainer is None or name in trainer.qualified
        )

    def _add_request(
        self,
        group: Group,
        status: RequestStatus,
        topic: Topic,
        trainer: _Trainer | None = None,
        days: tuple[int, int] | None = None,
        fallback: bool = False,
    ) -> bool:
        """Build one request in `status` with its slots, offers, session and story.

        Returns False, adding nothing, when no trainer can take a request that
        needs one; with `fallback` a future one is left unfilled instead.
        """
        rng = self.rng
        online = topic.is_online_capable and trainer is None and rng.random() < 0.3
        venue = None if online else self.places[group.postcode_district]
        past = status == RequestStatus.DELIVERED
        days = days or ((-330, -4) if past else (5, 70))
        candidates = self._candidates(topic, venue)
        if trainer is not None:
            candidates = [trainer] if trainer in candidates else []
        matched = status in (
            RequestStatus.BOOKED,
            RequestStatus.DELIVERED,
            RequestStatus.OFFERED,
            RequestStatus.UNFILLED,
        ) or (status == RequestStatus.CANCELLED and rng.random() < 0.5)
        chosen, slot = None, None
        if matched:
            chosen, slot = self._first_fit(candidates[:8], days, topic.default_minutes)
            if chosen is None and (past or not fallback):
                return False
            if chosen is None and status != RequestStatus.CANCELLED:
                status = RequestStatus.UNFILLED
        slots = self._proposed_slots(slot, days, topic.default_minutes, past)

        organiser = next(
            (user for user in group.organisers if user.email == ORGANISER_EMAIL),
            group.organisers[rng.randrange(len(group.organisers))],
        )
        training_request = TrainingRequest(
            group=group,
            topic=topic,
            created_by=organiser,
            status=status,
            is_online=online,
            venue_address="",
            expected_attendance=rng.randint(6, 30),
            accessibility_needs=rng.choice(ACCESS_NEEDS),
            notes=rng.choice(NOTES),
            created_at=self._at(self._created_on(status, slots), latest=18),
            slots=slots,
        )
        if online and rng.random() < 0.8:
            # Most groups add their meeting link when they ask; a few forget.
            code = "".join(rng.choices(POSTCODE_LETTERS, k=10)).lower()
            training_request.meeting_url = f"https://meet.example.org/{code}"
        if venue is not None:
            inward = "".join(
                (str(rng.randint(1, 9)), *rng.choices(POSTCODE_LETTERS, k=2))
            )
            training_request.venue_postcode = f"{venue.district} {inward}"
            training_request.venue_district = venue.district
            training_request.venue_address = f"{rng.choice(VENUES)}, {group.name}"
            training_request.venue_latitude = venue.latitude
            training_request.venue_longitude = venue.longitude
        story = _Story(training_request)
        story.add(
            training_request.created_at,
            organiser,
            "submitted",
            f"{organiser.name} asked for {topic.name} for "
            f"{training_request.expected_attendance} people; {len(slots)} "
            f"time{'s' if len(slots) > 1 else ''} proposed.",
        )
        offered_at = training_request.created_at + timedelta(minutes=2)
        if chosen is not None:
            self._match(story, status, chosen, slot, candidates, offered_at)
        elif status == RequestStatus.UNFILLED:
            story.add(
                offered_at,
                None,
                "unfilled",
                "No qualified trainer within reach; the national office has been told.",
            )
        if status == RequestStatus.CANCELLED:
            self._cancel(story, organiser)
        self.statuses[status] += 1
        self.rows.append(training_request)
        return True

    def _created_on(self, status: RequestStatus, slots: list[RequestSlot]) -> date:
        """When a request in `status` was sent, a while before its first slot."""
        first_slot_on = to_local(slots[0].starts_at).date()
        if status == RequestStatus.DELIVERED:
            return first_slot_on - timedelta(days=self.rng.randint(10, 35))
        # Offers wait up to three days, so pending ones are recent and lapsed
        # ones older.
        newest, oldest = {
            RequestStatus.SUBMITTED: (-1, -2),
            RequestStatus.OFFERED: (-1, -2),
            RequestStatus.UNFILLED: (-5, -25),
        }.get(status, (-1, -30))
        newest = min(newest, (first_slot_on - self.today).days - 3)
        return self._day(self.rng.randint(min(oldest, newest), newest))

    def _candidates(self, topic: Topic, venue: Place | None) -> list[_Trainer]:
        """Qualified trainers in reach, nearest first give or take a few km."""
        ranked = []
        for trainer in self.trainers:
            km = trainer.reach_km(venue)
            if topic.name in trainer.qualified and km is not None:
                ranked.append((km + self.rng.uniform(0, 15), trainer))
        ranked.sort(key=lambda item: item[0])
        return [trainer for _, trainer in ranked]

    def _first_fit(
        self, candidates: list[_Trainer], days: tuple[int, int], minutes: int
    ) -> tuple[_Trainer | None, RequestSlot | None]:
        """The first candidate with a slot they can take, and that slot."""
        for candidate in candidates:
            slot = self._slot_in_windows(candidate, days, minutes)
            if slot is not None:
                return candidate, slot
        return None, None

    def _slot_in_windows(
        self, trainer: _Trainer, days: tuple[int, int], minutes: int
    ) -> RequestSlot | None:
        """A slot the trainer can take between the day offsets `days`, if one turns up."""
        rng = self.rng
        first, last = self._day(days[0]), self._day(days[1])
        for _ in range(10):
            weekday, opens, shuts = rng.choice(trainer.windows)
            day = first + timedelta(days=(weekday - first.weekday()) % 7)
            starts = _half_hours(opens, shuts, minutes)
            if day > last or not starts:
                continue
            day += timedelta(weeks=rng.randint(0, (last - day).days // 7))
            slot = _slot(day, rng.choice(starts), minutes)
            if trainer.can_take(slot.starts_at, slot.ends_at):
                return slot
        return None

    def _proposed_slots(
        self, slot: RequestSlot | None, days: tuple[int, int], minutes: int, past: bool
    ) -> list[RequestSlot]:
        """1 to 5 slots on different days: `slot` and ones an organiser might pick."""
        rng = self.rng
        slots = [slot] if slot else []
        taken = {to_local(slot.starts_at).date()} if slot else set()
        if slot is not None and past:
            middle = (to_local(slot.starts_at).date() - self.today).days
            days = (middle - 12, min(middle + 12, -4))
        for _ in range(rng.randint(1, 5) - len(slots)):
            day = self._day(rng.randint(*days))
            if day in taken:
                continue
            taken.add(day)
            if day.weekday() < 5:
                starts = [time(18), time(18, 30), time(19)]
                latest = datetime.combine(day, time(21, 30)) - timedelta(
                    minutes=minutes
                )
                starts = [clock for clock in starts if clock <= latest.time()]
            else:
                starts = [time(10), time(10, 30), time(13), time(14)]
            slots.append(_slot(day, rng.choice(starts), minutes))
        return sorted(slots, key=lambda item: item.starts_at)

    def _match(
        self,
        story: _Story,
        status: RequestStatus,
        chosen: _Trainer,
        slot: RequestSlot,
        candidates: list[_Trainer],
        offered_at: datetime,
    ) -> None:
        """Offers to the chosen trainer and up to two more, and what became of them."""
        training_request = story.training_request
        picks = [(chosen, slot)]
        wanted = self.rng.randint(1, 3)
        for other in candidates:
            if len(picks) >= wanted:
                break
            fitting = next(
                (
                    proposed
                    for proposed in training_request.slots
                    if other is not chosen
                    and other.can_take(proposed.starts_at, proposed.ends_at)
                ),
                None,
            )
            if fitting is not None:
                picks.append((other, fitting))
        offers = [
            Offer(
                training_request=training_request,
                slot=offered_slot,
                trainer=trainer.user,
                status=OfferStatus.PENDING,
                created_at=offered_at,
            )
            for trainer, offered_slot in picks
        ]
        self.offers += zip(offers, (trainer for trainer, _ in picks), strict=True)
        story.add(
            offered_at,
            None,
            "offered",
            "Offered to "
            + ", ".join(
                f"{offer.trainer.name} ({format_datetime(offer.slot.starts_at)})"
                for offer in offers
            )
            + ".",
        )
        if status == RequestStatus.OFFERED:
            for trainer, offered_slot in picks:
                trainer.reserve(offered_slot.starts_at)
        elif status == RequestStatus.UNFILLED:
            self._lapse(story, offers, offered_at)
        else:
            self._book(story, status, chosen, offers)

    def _lapse(self, story: _Story, offers: list[Offer], offered_at: datetime) -> None:
        """Every offer declined or left to expire, then the request unfilled."""
        lines = []
        for offer in offers:
            if self.rng.random() < 0.5:
                offer.status = OfferStatus.DECLINED
                offer.responded_at = self._later(offered_at, 2)
                offer.response_note = self.rng.choice(DECLINE_NOTES)
                lines.append(
                    (
                        offer.responded_at,
                        offer.trainer,
                        "declined",
                        f"{offer.trainer.name} declined: {offer.response_note}",
                    )
                )
            else:
                offer.status = OfferStatus.EXPIRED
                lines.append(
                    (
                        offered_at + timedelta(hours=72),
                        None,
                        "expired",
                        f"The offer to {offer.trainer.name} expired unanswered.",
                    )
                )
        for line in sorted(lines, key=lambda line: line[0]):
            story.add(*line)
        story.add(
            story.last_at + timedelta(minutes=1),
            None,
            "unfilled",
            "No more qualified trainers could take it; the national office has "
            "been told.",
        )

    def _book(
        self,
        story: _Story,
        status: RequestStatus,
        chosen: _Trainer,
        offers: list[Offer],
    ) -> None:
        """The first offer accepted and its session booked, then delivered if past."""
        training_request = story.training_request
        accepted, slot = offers[0], offers[0].slot
        accepted.status = OfferStatus.ACCEPTED
        accepted.responded_at = self._later(
            accepted.created_at,
            3,
            by=to_local(slot.starts_at).date() - timedelta(days=2),
        )
        for offer in offers[1:]:
            offer.status = OfferStatus.WITHDRAWN
        training_request.record_booking(accepted.responded_at)
        story.session = TrainingSession(
            training_request=training_request,
            trainer=chosen.user,
            group=training_request.group,
            topic=training_request.topic,
            status=SessionStatus.BOOKED,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            is_online=training_request.is_online,
            venue_postcode=training_request.venue_postcode,
            venue_address=training_request.venue_address,
            venue_latitude=training_request.venue_latitude,
            venue_longitude=training_request.venue_longitude,
            meeting_url=training_request.meeting_url,
            ical_uid=f"{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"
            "@trainers-network",
            ical_sequence=0,
            created_at=accepted.responded_at,
        )
        self.sessions.append(story.session)
        withdrawn = " The other offers were withdrawn." if len(offers) > 1 else ""
        story.add(
            accepted.responded_at,
            chosen.user,
            "booked",
            f"{chosen.user.name} accepted: booked for "
            f"{format_datetime(slot.starts_at)}.{withdrawn}",
        )
        if status == RequestStatus.CANCELLED:
            return
        chosen.reserve(slot.starts_at)
        if status == RequestStatus.DELIVERED:
            story.session.status = SessionStatus.DELIVERED
            attended = max(
                3, training_request.expected_attendance - self.rng.randint(-3, 8)
            )
            delivered_at = self._later(slot.ends_at, 2)
            story.add(
                delivered_at,
                chosen.user,
                "delivered",
                f"Delivered; {attended} people attended.",
            )
            self.deliveries.append((story.session, attended, delivered_at))

    def attendance(self) -> tuple[list[Attendance], list[Attendee]]:
        """Each delivered session's attendance, some rated and reported on, and a
        few small rosters of made-up, consenting people (always in Hastings).

        Needs the built rows flushed: it reads their ids.
        """
        rng = self.feedback_rng
        attendances, rosters = [], []
        for session, headcount, recorded_at in self.deliveries:
            attendance = Attendance(
                session_id=session.id,
                headcount=headcount,
                people_count=headcount,
                recorded_by_id=session.trainer.id,
                recorded_at=recorded_at,
                updated_at=recorded_at,
            )
            if rng.random() < 0.75:
                attendance.rating = rng.choice((3, 4, 4, 5, 5, 5))
                attendance.rating_comment = rng.choice(RATING_COMMENTS)
                attendance.rated_by_id = session.group.organisers[0].id
                attendance.rated_at = recorded_at + timedelta(hours=rng.randint(2, 48))
            if rng.random() < 0.7:
                attendance.went_well = rng.choice(WENT_WELL[1:])
                attendance.follow_up_requested = rng.choice(FOLLOW_UPS)
                attendance.reported_by_id = session.trainer.id
                attendance.reported_at = recorded_at
            attendances.append(attendance)
            if session.group.postcode_district == "TN34" or rng.random() < 0.15:
                firsts = rng.sample(FIRST_NAMES, min(headcount, rng.randint(2, 4)))
                rosters += [
                    Attendee(
                        session_id=session.id,
                        name=f"{first} {DEMO_SURNAME}",
                        email=f"{first.lower()}.{DEMO_SURNAME.lower()}@example.net"
                        if rng.random() < 0.7
                        else None,
                        consent_given_at=recorded_at,
                        is_walk_in=index == len(firsts) - 1 and rng.random() < 0.3,
                        added_by_id=session.trainer.id,
                        added_at=recorded_at,
                    )
                    for index, first in enumerate(firsts)
                ]
        return attendances, rosters

    def _cancel(self, story: _Story, organiser: User) -> None:
        """The organiser calls it off, with a reason; a booked session goes too."""
        session = story.session
        reason = self.rng.choice(BOOKED_CANCEL_REASONS if session else CANCEL_REASONS)
        cancelled_at = self._later(story.last_at, 10)
        story.training_request.cancel_reason = reason
        if session is not None:
            session.status = SessionStatus.CANCELLED
            session.cancelled_at = cancelled_at
            session.cancel_reason = reason
        story.add(cancelled_at, organiser, "cancelled", reason)

    def _explain_offers(self) -> None:
        """Score each offer and give its reasons, from the sessions before it."""
        history = defaultdict(list)
        for session in self.sessions:
            if session.status != SessionStatus.CANCELLED:
                history[session.trainer.email].append(session)
        for offer, trainer in self.offers:
            training_request = offer.training_request
            before = [
                session
                for session in history[trainer.user.email]
                if session.starts_at < offer.created_at
            ]
            recent = sum(
                session.starts_at >= offer.created_at - timedelta(days=LOAD_DAYS)
                for session in before
            )
            first_visit = all(
                session.group is not training_request.group for session in before
            )
            if training_request.is_online:
                km, distance = 0.0, "Online session"
            else:
                km = trainer.reach_km(self.places[training_request.venue_district])
                distance = f"{max(1, round(km))} km away"
            offer.reasons = [
                distance,
                f"{recent or 'No'} session{'' if recent == 1 else 's'} in the last "
                f"{LOAD_DAYS} days",
                "First visit to this group"
                if first_visit
                else "Has trained this group",
            ]
            offer.score = round(90 - 0.8 * km - 10 * recent + 10 * first_visit, 1)
