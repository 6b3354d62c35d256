"""The booking gate: the one way a trainer gets into a session, or stays in one
that changes.

Accepting an offer (at its time or another proposed one), taking a request
from the open board (both answers.take_time), the office's assignment, a
reschedule, a change of venue after booking, a co-trainer taking a place and
adding a shadowing trainer all pass here: `hold` takes the same locks in the same order
(each trainer's profile row by id, then the request's row) and `judge` checks
the hard rules against the database as it is once they are held. `admit` does
both for one trainer and refuses one who is not free. On PostgreSQL an
exclusion constraint on sessions backs the gate (sessions.models).
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from trainers.errors import DomainError
from trainers.matching.candidates import request_venue
from trainers.matching.facts import load_trainer_facts, travel_settings
from trainers.matching.locks import lock_request, lock_trainers
from trainers.matching.rules import Broken, Rule, SlotFacts, Venue, broken_rules
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import TrainingSession

# The rules for a shadowing trainer the office adds to watch: they teach
# nothing, so only being free.
SHADOWING = frozenset(
    {Rule.ACCOUNT, Rule.DAY_OFF, Rule.CLASH, Rule.BUSY, Rule.CALENDAR_UNKNOWN}
)
# The rules for a shadowing trainer in a co-trainer place: all but being
# qualified, which they are learning to be.
SHADOWING_CO_TRAINER = frozenset(Rule) - {Rule.QUALIFIED}
# The rules a new venue for a booked session must keep to: the place, not the
# time (and the travel it makes around their other sessions and busy times).
PLACE = frozenset({Rule.REACH, Rule.CLASH, Rule.BUSY})


class TrainerNotFree(DomainError):
    """A trainer breaks a hard rule for a time and place; `broken` says which."""

    def __init__(self, verdict: "Verdict"):
        super().__init__(f"{verdict.name} cannot take it: {verdict.reasons}.")
        self.verdict = verdict


@dataclass(frozen=True)
class Verdict:
    """Whether one trainer may take a time and place, and if not, why."""

    trainer_id: int
    name: str
    broken: list[Broken]

    @property
    def is_free(self) -> bool:
        return not self.broken

    @property
    def is_only_over_cap(self) -> bool:
        """Free but for their monthly cap, which the office may pass with a reason."""
        return bool(self.broken) and all(b.rule == Rule.CAP for b in self.broken)

    @property
    def reasons(self) -> str:
        return "; ".join(self.broken)


def session_venue(training_session: TrainingSession) -> Venue:
    """Where a booked session takes place, for the rules."""
    return Venue(
        training_session.is_online,
        training_session.venue_latitude,
        training_session.venue_longitude,
    )


def hold(
    training_request: TrainingRequest, trainer_ids: Collection[int], now: datetime
) -> TrainingRequest:
    """Lock the trainers' profile rows (by id), then the request's row, until
    commit; returns the request as it is now."""
    lock_trainers(trainer_ids, now)
    return lock_request(training_request)


def judge(
    training_request: TrainingRequest,
    trainer_ids: Collection[int],
    starts_at: datetime,
    ends_at: datetime,
    *,
    venue: Venue | None = None,
    moving_session_id: int | None = None,
    rules: frozenset[Rule] | None = None,
) -> dict[int, Verdict]:
    """Each trainer's verdict for the request at this time (and `venue`, by
    default the request's) on every hard rule, or only `rules` (SHADOWING,
    PLACE); the session being moved is left out of their bookings. Reads
    without locking: a page may show it, and a booking calls it after `hold`."""
    return {
        trainer_id: verdicts[0]
        for trainer_id, verdicts in _judged(
            training_request,
            trainer_ids,
            [(starts_at, ends_at)],
            venue,
            moving_session_id,
            rules,
        ).items()
    }


def judge_times(
    training_request: TrainingRequest,
    trainer_id: int,
    times: Sequence[tuple[datetime, datetime]],
    *,
    venue: Venue | None = None,
    moving_session_id: int | None = None,
) -> list[Verdict]:
    """One trainer's verdict for each of several times (as `judge`), read at once."""
    if not times:
        return []
    return _judged(
        training_request, [trainer_id], times, venue, moving_session_id, None
    )[trainer_id]


def _judged(
    training_request: TrainingRequest,
    trainer_ids: Collection[int],
    times: Sequence[tuple[datetime, datetime]],
    venue: Venue | None,
    moving_session_id: int | None,
    rules: frozenset[Rule] | None,
) -> dict[int, list[Verdict]]:
    if not trainer_ids:
        return {}
    facts, names = load_trainer_facts(
        trainer_ids,
        training_request.topic_id,
        min(starts_at for starts_at, _ in times),
        max(ends_at for _, ends_at in times),
        around=times,
        ignore_session_id=moving_session_id,
    )
    place = venue or request_venue(training_request)
    verdicts: dict[int, list[Verdict]] = {}
    for trainer_id in trainer_ids:
        if trainer_id not in facts:
            missing = Verdict(trainer_id, "", [Broken(Rule.QUALIFIED, "not a trainer")])
            verdicts[trainer_id] = [missing for _ in times]
            continue
        verdicts[trainer_id] = []
        for starts_at, ends_at in times:
            broken = broken_rules(
                facts[trainer_id],
                SlotFacts(starts_at, ends_at, place),
                travel_settings(),
                ignore_session_id=moving_session_id,
            )
            if rules is not None:
                broken = [b for b in broken if b.rule in rules]
            verdicts[trainer_id].append(Verdict(trainer_id, names[trainer_id], broken))
    return verdicts


def admit(
    training_request: TrainingRequest,
    trainer_id: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    *,
    venue: Venue | None = None,
    moving_session_id: int | None = None,
    rules: frozenset[Rule] | None = None,
    may_pass_cap: bool = False,
) -> Verdict:
    """Hold the trainer and the request, then judge the trainer; raises
    TrainerNotFree unless they are free (or, with `may_pass_cap`, free but for
    their cap). The caller books or moves within the same transaction."""
    hold(training_request, [trainer_id], now)
    verdict = judge(
        training_request,
        [trainer_id],
        starts_at,
        ends_at,
        venue=venue,
        moving_session_id=moving_session_id,
        rules=rules,
    )[trainer_id]
    if not (verdict.is_free or (may_pass_cap and verdict.is_only_over_cap)):
        raise TrainerNotFree(verdict)
    return verdict
