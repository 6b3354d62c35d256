"""Who may be offered a request: every hard rule checked, then a soft score with
the reasons people see ("14 km away", "has never trained this group")."""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from trainers.matching.facts import (
    LoadFacts,
    load_load_facts,
    load_trainer_facts,
    network_recent_average,
    trainers_in_reach,
    travel_settings,
)
from trainers.matching.rules import (
    Broken,
    Rule,
    SlotFacts,
    TrainerFacts,
    Venue,
    broken_rules,
    venue_distance_km,
)
from trainers.requests.models import RequestSlot, TrainingRequest

UNKNOWN_CALENDAR = (
    "their own calendar is unknown (not read lately): check they are free"
)


@dataclass
class Candidate:
    """A trainer who may take a slot, with the score and the reasons behind it."""

    trainer_id: int
    trainer_name: str
    slot: RequestSlot
    score: float
    reasons: list[str]
    km: float | None
    # What the office should know before offering, though no rule is broken.
    warnings: list[str] = field(default_factory=list)


@dataclass
class Exclusion:
    """A qualified trainer within reach who breaks a rule for every slot."""

    trainer_id: int
    trainer_name: str
    broken: list[str]


@dataclass
class CandidateList:
    candidates: list[Candidate] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)


def request_venue(training_request: TrainingRequest) -> Venue:
    """Where the request's session would be."""
    return Venue(
        training_request.is_online,
        training_request.venue_latitude,
        training_request.venue_longitude,
    )


def slot_facts(slot: RequestSlot, venue: Venue) -> SlotFacts:
    return SlotFacts(slot.starts_at, slot.ends_at, venue)


def find_candidates(
    training_request: TrainingRequest,
    now: datetime,
    exclude_trainer_ids: Collection[int] = (),
    slots: list[RequestSlot] | None = None,
    explain: bool = False,
    shadowing_ok: bool = False,
) -> CandidateList:
    """Every trainer who may take one of the request's future slots, best first.

    Each trainer appears once, with the earliest slot they can take. Trainers in
    `exclude_trainer_ids` are left out entirely. With `explain`, qualified
    trainers within reach who break a rule are listed too, with the rules; without
    it, trainers with no weekly window for any slot are dropped in SQL, unread.
    With `shadowing_ok` (a co-trainer place), trainers shadowing the topic count
    as qualified.
    """
    venue = request_venue(training_request)
    slots = [s for s in (slots or training_request.matching_slots) if s.starts_at > now]
    if not slots:
        return CandidateList()
    free_at = None if explain else [(slot.starts_at, slot.ends_at) for slot in slots]
    levels = ("qualified", "shadowing") if shadowing_ok else ("qualified",)
    ids = set(
        trainers_in_reach(training_request.topic_id, venue, levels, free_at=free_at)
    )
    ids -= set(exclude_trainer_ids)
    facts, names = load_trainer_facts(
        ids,
        training_request.topic_id,
        slots[0].starts_at,
        max(slot.ends_at for slot in slots),
        around=[(slot.starts_at, slot.ends_at) for slot in slots],
    )
    settings = travel_settings()
    result = CandidateList()
    fits: dict[int, RequestSlot] = {}
    for trainer_id, trainer in facts.items():
        broken_by_slot = [
            excuse_shadowing(
                broken_rules(trainer, slot_facts(slot, venue), settings),
                trainer.level,
                shadowing_ok,
            )
            for slot in slots
        ]
        free = [
            slot
            for slot, broken in zip(slots, broken_by_slot, strict=True)
            if not broken
        ]
        if free:
            fits[trainer_id] = free[0]
        else:
            reasons = sorted({reason for broken in broken_by_slot for reason in broken})
            result.excluded.append(Exclusion(trainer_id, names[trainer_id], reasons))
    loads = load_load_facts(fits, training_request.group_id, now)
    average = network_recent_average(now)
    for trainer_id, slot in fits.items():
        score, reasons, km = score_trainer(
            facts[trainer_id], loads[trainer_id], venue, average
        )
        warnings = [UNKNOWN_CALENDAR] if facts[trainer_id].is_calendar_unknown else []
        result.candidates.append(
            Candidate(trainer_id, names[trainer_id], slot, score, reasons, km, warnings)
        )
    result.candidates.sort(key=lambda c: (-c.score, c.slot.starts_at, c.trainer_id))
    result.excluded.sort(key=lambda e: e.trainer_name)
    return result


def excuse_shadowing(
    broken: list[Broken], level: str | None, shadowing_ok: bool
) -> list[Broken]:
    """The rules broken, but for not being qualified when the trainer shadows
    the topic and a shadowing trainer may take the place."""
    if shadowing_ok and level == "shadowing":
        return [b for b in broken if b.rule != Rule.QUALIFIED]
    return broken


def score_trainer(
    trainer: TrainerFacts, load: LoadFacts, venue: Venue, network_average: float
) -> tuple[float, list[str], float | None]:
    """The soft score (higher is better), its reasons in words, and the distance.

    Load is recent sessions per day actually available, so a trainer back from
    time off is not flooded; a newcomer counts as average and gets a bonus for
    their first few sessions rather than every offer at once.
    """
    config = current_app.config
    weights = config["MATCH_WEIGHTS"]
    window_days = config["LOAD_WINDOW_DAYS"]
    reasons = []
    score = 100.0

    km = venue_distance_km(trainer, venue)
    if km is None:
        reasons.append("online session")
    else:
        score -= weights["per_km"] * km
        reasons.append(f"{km:.0f} km away")

    available = max(0.25, 1 - load.days_off_recently / window_days)
    is_newcomer = load.total_sessions < config["NEWCOMER_SESSIONS"]
    rate = (
        network_average
        if load.total_sessions == 0
        else load.recent_sessions / available
    )
    score -= weights["per_extra_session"] * (rate - network_average)
    plural = "" if load.recent_sessions == 1 else "s"
    reasons.append(
        f"{load.recent_sessions} session{plural} in the last {window_days} days"
    )
    if load.days_off_recently and available < 1:
        reasons.append(f"back from {load.days_off_recently} days off")
    if is_newcomer:
        score += weights["newcomer"]
        reasons.append("new trainer: first sessions weighted up")

    if load.sessions_with_group == 0:
        score += weights["never_trained_group"]
        reasons.append("has never trained this group")
    else:
        times = (
            "once"
            if load.sessions_with_group == 1
            else f"{load.sessions_with_group} times"
        )
        reasons.append(f"has trained this group {times}")
    return round(score, 1), reasons, km
