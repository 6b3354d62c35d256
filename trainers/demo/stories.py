"""The demo's requests, each with the story of what became of it: scripted ones
for the demo sign-ins, then a spread over every group, placed in the order they
happened, so each trainer's diary and monthly cap hold throughout."""

import random
from collections import Counter
from datetime import date, time, timedelta

from trainers.auth.models import User
from trainers.demo.moments import Moments
from trainers.demo.network import Trainer, asking_time, half_hours
from trainers.demo.outcomes import Outcomes, Story
from trainers.geo import Place, all_districts
from trainers.network.models import Group, Topic
from trainers.requests.models import RequestSlot, RequestStatus, TrainingRequest
from trainers.timeutil import local_to_utc, to_local

NOTES = (
    "",
    "",
    "Mostly new members; several have never done this before.",
    "We are gearing up for the local elections in May.",
    "Tea and biscuits provided. Parking behind the hall.",
    "A mix of long-standing members and people who joined this year.",
)
ACCESS_NEEDS = ("", "", "", "Step-free access by the side door; hearing loop.")
VENUES = (
    "Friends Meeting House", "St Mark's Church Hall", "Community Centre",
    "Central Library, meeting room 2", "Trades Union Centre", "Methodist Hall",
    "The Old Fire Station", "Community Hub", "Unitarian Chapel hall",
)  # fmt: skip
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
# Statuses whose story begins with offers to a trainer who can take it.
MATCHED = (
    RequestStatus.BOOKED,
    RequestStatus.DELIVERED,
    RequestStatus.OFFERED,
    RequestStatus.UNFILLED,
)


class Stories:
    """Builds the requests in memory, with their offers, sessions and history."""

    def __init__(
        self,
        rng: random.Random,
        moments: Moments,
        topics: dict[str, Topic],
        users: dict[Trainer, User],
        demo_organiser: User,
    ):
        self.rng, self.moments = rng, moments
        self.topics, self.demo_organiser = topics, demo_organiser
        self.trainers = list(users)
        self.places = all_districts()
        self.outcomes = Outcomes(rng, moments, users)
        self.requests: list[TrainingRequest] = []
        self.statuses: Counter = Counter()

    def tell(self, groups: list[Group], demo_trainer: Trainer) -> None:
        """Scripted requests for the demo sign-ins first, then a spread over groups."""
        by_district = {group.postcode_district: group for group in groups}
        hastings, stockport = by_district["TN34"], by_district["SK1"]
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
            if not self._place(group, status, trainer, days):
                raise RuntimeError(
                    f"Demo: no trainer fits the scripted {status} request"
                )
        planned = [
            (group, status)
            for group in groups
            for status in self.rng.choices(
                list(STATUS_WEIGHTS),
                weights=list(STATUS_WEIGHTS.values()),
                k=self.rng.choice((0, 1, 1, 2, 2, 2, 3)),
            )
        ]
        planned.sort(key=lambda item: PHASES.index(item[1]))
        for group, status in planned:
            if not self._place(group, status) and status != RequestStatus.DELIVERED:
                topic = self.topics[self.rng.choice(sorted(self.topics))]
                self._add(group, status, topic, fallback=True)
        self.outcomes.explain_offers()

    def _place(
        self,
        group: Group,
        status: RequestStatus,
        trainer: Trainer | None = None,
        days: tuple[int, int] | None = None,
    ) -> bool:
        """Add a request on the first topic, in random order, that a trainer can take."""
        names = self.rng.sample(sorted(self.topics), len(self.topics))
        return any(
            self._add(group, status, self.topics[name], trainer, days)
            for name in names
            if trainer is None or name in trainer.qualified
        )

    def _add(
        self,
        group: Group,
        status: RequestStatus,
        topic: Topic,
        trainer: Trainer | None = None,
        days: tuple[int, int] | None = None,
        fallback: bool = False,
    ) -> bool:
        """Build one request in `status` with its slots, offers, session and story.

        Returns False, adding nothing, when no trainer can take a request that
        needs one; with `fallback` a future one is left unfilled instead.
        """
        online = topic.is_online_capable and trainer is None and self.rng.random() < 0.3
        venue = None if online else self.places[group.postcode_district]
        past = status == RequestStatus.DELIVERED
        days = days or ((-330, -4) if past else (5, 70))
        candidates = self._candidates(topic, venue)
        if trainer is not None:
            candidates = [trainer] if trainer in candidates else []
        chosen, slot = None, None
        if status in MATCHED or (
            status == RequestStatus.CANCELLED and self.rng.random() < 0.5
        ):
            chosen, slot = self._first_fit(candidates[:8], days, topic.default_minutes)
            if chosen is None and (past or not fallback):
                return False
            if chosen is None and status != RequestStatus.CANCELLED:
                status = RequestStatus.UNFILLED
        slots = self._proposed_slots(slot, days, topic.default_minutes, past)
        story = self._asked(group, status, topic, venue, slots)
        self.outcomes.follow(story, status, chosen, slot, candidates)
        self.statuses[status] += 1
        self.requests.append(story.training_request)
        return True

    def _asked(
        self,
        group: Group,
        status: RequestStatus,
        topic: Topic,
        venue: Place | None,
        slots: list[RequestSlot],
    ) -> Story:
        """The request as its organiser sent it, and the first line of its story."""
        rng = self.rng
        organiser = (
            self.demo_organiser
            if self.demo_organiser in group.organisers
            else group.organisers[rng.randrange(len(group.organisers))]
        )
        training_request = TrainingRequest(
            group=group,
            topic=topic,
            created_by=organiser,
            status=status,
            is_online=venue is None,
            venue_address="",
            expected_attendance=rng.randint(6, 30),
            accessibility_needs=rng.choice(ACCESS_NEEDS),
            notes=rng.choice(NOTES),
            created_at=self.moments.at(self._created_on(status, slots), latest=18),
            slots=slots,
        )
        if venue is None and rng.random() < 0.8:
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
        story = Story(training_request)
        story.add(
            training_request.created_at,
            organiser,
            "submitted",
            f"{organiser.name} asked for {topic.name} for "
            f"{training_request.expected_attendance} people; {len(slots)} "
            f"time{'s' if len(slots) > 1 else ''} proposed.",
        )
        return story

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
        newest = min(newest, (first_slot_on - self.moments.today).days - 3)
        return self.moments.day(self.rng.randint(min(oldest, newest), newest))

    def _candidates(self, topic: Topic, venue: Place | None) -> list[Trainer]:
        """Qualified trainers in reach, nearest first give or take a few km."""
        ranked = []
        for trainer in self.trainers:
            km = trainer.reach_km(venue)
            if topic.name in trainer.qualified and km is not None:
                ranked.append((km + self.rng.uniform(0, 15), trainer))
        ranked.sort(key=lambda item: item[0])
        return [trainer for _, trainer in ranked]

    def _first_fit(
        self, candidates: list[Trainer], days: tuple[int, int], minutes: int
    ) -> tuple[Trainer | None, RequestSlot | None]:
        """The first candidate with a slot they can take, and that slot."""
        for candidate in candidates:
            slot = self._slot_in_windows(candidate, days, minutes)
            if slot is not None:
                return candidate, slot
        return None, None

    def _slot_in_windows(
        self, trainer: Trainer, days: tuple[int, int], minutes: int
    ) -> RequestSlot | None:
        """A slot the trainer can take between the day offsets `days`, if one turns up."""
        rng = self.rng
        first, last = self.moments.day(days[0]), self.moments.day(days[1])
        for _ in range(10):
            weekday, opens, shuts = rng.choice(trainer.windows)
            day = first + timedelta(days=(weekday - first.weekday()) % 7)
            starts = half_hours(opens, shuts, minutes)
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
            middle = (to_local(slot.starts_at).date() - self.moments.today).days
            days = (middle - 12, min(middle + 12, -4))
        for _ in range(rng.randint(1, 5) - len(slots)):
            day = self.moments.day(rng.randint(*days))
            if day in taken:
                continue
            taken.add(day)
            slots.append(_slot(day, asking_time(rng, day, minutes), minutes))
        return sorted(slots, key=lambda item: item.starts_at)


def _slot(day: date, clock: time, minutes: int) -> RequestSlot:
    starts_at = local_to_utc(day, clock)
    return RequestSlot(
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes)
    )
