"""The demo network as rows: the three demo sign-ins, the topic catalogue,
groups with their organisers, and each trainer's account and profile."""

import random
from datetime import time
from functools import cache

from werkzeug.security import generate_password_hash

from trainers.auth.models import User
from trainers.demo.moments import Moments
from trainers.demo.network import TOPICS, Network, Trainer
from trainers.geo import Place, all_districts
from trainers.network.models import Group, Topic
from trainers.profiles.models import (
    AvailabilityWindow,
    DayOff,
    TrainerProfile,
    TrainerTopic,
)

PASSWORD = "trainers-demo"  # noqa: S105 - the published demo password
OFFICE_EMAIL = "office@example.org"
ORGANISER_EMAIL = "organiser@example.org"
TRAINER_EMAIL = "trainer@example.org"
# Ofcom's numbers for drama (01632 960..., 07700 900...) reach nobody.
PHONES = {ORGANISER_EMAIL: "01632 960 123", TRAINER_EMAIL: "07700 900 456"}
ORGANISED = ("TN34", "SK1")  # the demo organiser's groups


def demo_trainer(moments: Moments) -> Trainer:
    """The trainer who signs in as TRAINER_EMAIL: Hastings, four topics, a holiday."""
    return Trainer(
        name="Priya Desai",
        email=TRAINER_EMAIL,
        place=all_districts()["TN34"],
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
        days_off=[(moments.day(40), moments.day(47), "Family holiday")],
    )


@cache
def _password_hash() -> str:
    # scrypt is slow on purpose: one hash serves every demo account.
    return generate_password_hash(PASSWORD, method="scrypt")


class Accounts:
    """Builds the network's rows in memory; `rows` are then added in one go."""

    def __init__(self, rng: random.Random, moments: Moments, network: Network):
        self.rng, self.moments, self.network = rng, moments, network
        self.rows: list = []
        self._user("Alex Morgan", OFFICE_EMAIL, is_office=True)
        self.organiser = self._user("Jo Fielding", ORGANISER_EMAIL)
        created_at = moments.at(moments.day(-800))
        self.topics = {
            topic.name: Topic(
                name=topic.name,
                summary=topic.summary,
                default_minutes=topic.minutes,
                is_online_capable=topic.is_online_capable,
                created_at=created_at,
            )
            for topic in TOPICS
        }
        self.rows += self.topics.values()
        self.groups = [self._group(group.name, group.place) for group in network.groups]
        self.rows += self.groups
        self.users = {trainer: self._trainer(trainer) for trainer in network.trainers}

    def _user(self, name: str, email: str, is_office: bool = False) -> User:
        user = User(
            email=email,
            name=name,
            phone=PHONES.get(email),
            password_hash=_password_hash(),
            is_office=is_office,
            created_at=self.moments.at(self.moments.day(-self.rng.randint(60, 700))),
            last_login_at=self.moments.at(self.moments.day(-self.rng.randint(1, 30))),
        )
        self.rows.append(user)
        return user

    def _organiser(self) -> User:
        return self._user(*self.network.people.draw(self.rng))

    def _group(self, name: str, place: Place) -> Group:
        """A group and its one or two organisers."""
        group = Group(
            name=name,
            region=place.region,
            postcode_district=place.district,
            latitude=place.latitude,
            longitude=place.longitude,
            created_at=self.moments.at(self.moments.day(-self.rng.randint(100, 900))),
        )
        if place.district in ORGANISED:
            group.organisers.append(self.organiser)
        if not group.organisers:
            group.organisers.append(self._organiser())
        if self.rng.random() < 0.3:
            group.organisers.append(self._organiser())
        return group

    def _trainer(self, trainer: Trainer) -> User:
        """The trainer's account with their profile."""
        user = self._user(trainer.name, trainer.email)
        user.is_active = trainer.is_active
        place = trainer.place
        levels = ((trainer.qualified, "qualified"), (trainer.shadowing, "shadowing"))
        user.trainer_profile = TrainerProfile(
            home_district=place.district,
            latitude=place.latitude,
            longitude=place.longitude,
            region=place.region,
            travel_radius_km=trainer.radius_km,
            monthly_cap=trainer.cap,
            created_at=user.created_at,
            updated_at=user.created_at,
            topics=[
                TrainerTopic(topic=self.topics[name], level=level)
                for names, level in levels
                for name in names
            ],
            availability=[
                AvailabilityWindow(weekday=weekday, start_time=opens, end_time=shuts)
                for weekday, opens, shuts in trainer.windows
            ],
            days_off=[
                DayOff(first_on=first, last_on=last, note=note)
                for first, last, note in trainer.days_off
            ],
        )
        return user
