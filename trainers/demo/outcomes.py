"""What became of each demo request after it was sent: offers made, declined,
lapsed or accepted, the session booked, delivered or called off, and each offer's
score and reasons as matching would have given them."""

import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from trainers.auth.models import User
from trainers.demo.moments import Moments
from trainers.demo.network import Trainer
from trainers.geo import all_districts
from trainers.matching.models import Offer, OfferStatus
from trainers.requests.models import (
    RequestEvent,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
)
from trainers.sessions.models import SessionStatus, TrainingSession, place_of
from trainers.timeutil import format_datetime, to_local

LOAD_DAYS = 90
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


class Story:
    """A request's history lines, in time order, and the session it led to."""

    def __init__(self, training_request: TrainingRequest):
        self.training_request = training_request
        self.session: TrainingSession | None = None
        self.last_at = training_request.created_at

    def add(self, at: datetime, actor: User | None, action: str, detail: str) -> None:
        """A line in the request's history; the request last changed then."""
        self.training_request.events.append(
            RequestEvent(at=at, actor=actor, action=action, detail=detail)
        )
        self.last_at = max(self.last_at, at)
        self.training_request.status_changed_at = self.last_at


class Outcomes:
    """Offers and sessions for the requests told so far."""

    def __init__(
        self, rng: random.Random, moments: Moments, users: dict[Trainer, User]
    ):
        self.rng, self.moments, self.users = rng, moments, users
        self.offers: list[tuple[Offer, Trainer]] = []
        self.sessions: list[TrainingSession] = []
        # Delivered sessions with their headcount and when it was recorded.
        self.deliveries: list[tuple[TrainingSession, int, datetime]] = []

    def follow(
        self,
        story: Story,
        status: RequestStatus,
        chosen: Trainer | None,
        slot: RequestSlot | None,
        candidates: list[Trainer],
    ) -> None:
        """Tell the request's story from its offers to where it stands in `status`."""
        offered_at = story.training_request.created_at + timedelta(minutes=2)
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
            self._cancel(story)

    def _match(
        self,
        story: Story,
        status: RequestStatus,
        chosen: Trainer,
        slot: RequestSlot,
        candidates: list[Trainer],
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
                trainer=self.users[trainer],
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

    def _lapse(self, story: Story, offers: list[Offer], offered_at: datetime) -> None:
        """Every offer declined or left to expire, then the request unfilled."""
        lines = []
        for offer in offers:
            if self.rng.random() < 0.5:
                offer.status = OfferStatus.DECLINED
                offer.responded_at = self.moments.later(offered_at, 2)
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
        story: Story,
        status: RequestStatus,
        chosen: Trainer,
        offers: list[Offer],
    ) -> None:
        """The first offer accepted and its session booked, then delivered if past."""
        accepted, slot = offers[0], offers[0].slot
        accepted.status = OfferStatus.ACCEPTED
        accepted.responded_at = self.moments.later(
            accepted.created_at,
            3,
            by=to_local(slot.starts_at).date() - timedelta(days=2),
        )
        for offer in offers[1:]:
            offer.status = OfferStatus.WITHDRAWN
        story.session = self._session(story.training_request, accepted)
        withdrawn = " The other offers were withdrawn." if len(offers) > 1 else ""
        story.add(
            accepted.responded_at,
            accepted.trainer,
            "booked",
            f"{accepted.trainer.name} accepted: booked for "
            f"{format_datetime(slot.starts_at)}.{withdrawn}",
        )
        if status == RequestStatus.CANCELLED:
            return
        chosen.reserve(slot.starts_at)
        if status == RequestStatus.DELIVERED:
            story.session.status = SessionStatus.DELIVERED
            attended = max(
                3,
                story.training_request.expected_attendance - self.rng.randint(-3, 8),
            )
            delivered_at = self.moments.later(slot.ends_at, 2)
            story.add(
                delivered_at,
                accepted.trainer,
                "delivered",
                f"Delivered; {attended} people attended.",
            )
            self.deliveries.append((story.session, attended, delivered_at))

    def _session(
        self, training_request: TrainingRequest, accepted: Offer
    ) -> TrainingSession:
        """The session an accepted offer books, where and when the request asked."""
        training_request.record_booking(accepted.responded_at)
        session = TrainingSession(
            training_request=training_request,
            trainer=accepted.trainer,
            group=training_request.group,
            topic=training_request.topic,
            status=SessionStatus.BOOKED,
            starts_at=accepted.slot.starts_at,
            ends_at=accepted.slot.ends_at,
            **place_of(training_request),
            ical_uid=f"{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"
            "@trainers-network",
            ical_sequence=0,
            created_at=accepted.responded_at,
        )
        self.sessions.append(session)
        return session

    def _cancel(self, story: Story) -> None:
        """The organiser calls it off, with a reason; a booked session goes too."""
        session = story.session
        reason = self.rng.choice(BOOKED_CANCEL_REASONS if session else CANCEL_REASONS)
        cancelled_at = self.moments.later(story.last_at, 10)
        story.training_request.cancel_reason = reason
        if session is not None:
            session.status = SessionStatus.CANCELLED
            session.cancelled_at = cancelled_at
            session.cancel_reason = reason
        story.add(cancelled_at, story.training_request.created_by, "cancelled", reason)

    def explain_offers(self) -> None:
        """Score each offer and give its reasons, from the sessions before it."""
        places = all_districts()
        history = defaultdict(list)
        for session in self.sessions:
            if session.status != SessionStatus.CANCELLED:
                history[session.trainer.email].append(session)
        for offer, trainer in self.offers:
            training_request = offer.training_request
            before = [
                session
                for session in history[trainer.email]
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
                km = trainer.reach_km(places[training_request.venue_district])
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
