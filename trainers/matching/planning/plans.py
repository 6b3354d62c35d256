"""The office's plan of every open request, next to greedy first-come matching:
making one (the world loaded once, world.py and edges.py; solved, solve.py),
showing it, and applying it as offers."""

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from trainers.auth.models import User
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.matching.facts import travel_settings
from trainers.matching.models import Offer
from trainers.matching.planning import solve, unmet
from trainers.matching.planning.edges import find_edges
from trainers.matching.planning.exact import Solved
from trainers.matching.planning.unmet import Unmet
from trainers.matching.planning.world import (
    World,
    open_requests,
    qualified_trainers,
)
from trainers.matching.services import offer_to_trainer
from trainers.network.models import Group, Topic
from trainers.requests.models import RequestSlot, TrainingRequest

logger = logging.getLogger(__name__)


class Assignment(NamedTuple):
    request_id: int
    trainer_id: int
    slot_id: int
    km: float

    @property
    def key(self) -> str:
        """What names this assignment on the plan's page (its box to tick)."""
        return f"{self.request_id}-{self.trainer_id}-{self.slot_id}"


@dataclass
class Plan:
    """Trainers given to open requests, and the figures to judge the plan by.

    `unserved_groups` counts the groups with an open request that were never
    trained or not in the last 365 days; `unserved_groups_covered` how many of
    them the plan serves. `bound` is the most requests any plan could cover,
    and `proven` whether this plan is proven the best (the optimal plan's).
    """

    method: str
    assignments: list[Assignment]
    requests_considered: int
    unserved_groups: int
    unserved_groups_covered: int
    seconds: float
    # The requests it leaves uncovered, and why (the optimal plan's only).
    unmet: list[Unmet] = field(default_factory=list)
    bound: int | None = None
    proven: bool = False

    @property
    def requests_covered(self) -> int:
        return len(self.assignments)

    @property
    def total_km(self) -> float:
        return round(sum(a.km for a in self.assignments), 1)


@dataclass(frozen=True)
class PlanRow:
    """One assignment with the names the office reads."""

    request_id: int
    group_name: str
    topic_name: str
    starts_at: datetime
    is_online: bool
    trainer_name: str
    km: float
    key: str  # the assignment's


@dataclass(frozen=True)
class UnmetRow:
    """A request the plan leaves uncovered, with the names the office reads."""

    request_id: int
    group_name: str
    topic_name: str
    reason: str


@dataclass(frozen=True)
class Difference:
    """One measure of the plan next to greedy's."""

    measure: str
    plan: str
    greedy: str


@dataclass
class Skipped:
    assignment: Assignment
    message: str


@dataclass
class AppliedPlan:
    offers: list[Offer] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Ticked assignments the plan, made afresh, no longer holds.
    gone: int = 0


def plan_open_requests(
    now: datetime, trainer_ids: Collection[int] | None = None
) -> Plan:
    """The optimal plan for every open request (only `trainer_ids`, if given).

    Reads only; nothing is offered until `apply_plan`.
    """
    return _solved(_world(now, trainer_ids), "optimal", solve.optimal)


def greedy_plan(now: datetime, trainer_ids: Collection[int] | None = None) -> Plan:
    """What first-come matching would do with every open request. Reads only."""
    return _solved(_world(now, trainer_ids), "greedy", _greedy)


def compare_plans(
    now: datetime, trainer_ids: Collection[int] | None = None
) -> tuple[Plan, Plan]:
    """The optimal plan, with why it leaves each request out, and the greedy
    one, from one load of the data. Reads only.

    Each plan's `seconds` counts the shared load and its own solving.
    """
    world = _world(now, trainer_ids)
    return (
        _solved(world, "optimal", solve.optimal, explained=True),
        _solved(world, "greedy", _greedy),
    )


def _greedy(world: World) -> Solved:
    return Solved(solve.greedy(world))


def _world(now: datetime, trainer_ids: Collection[int] | None) -> World:
    """Everything a plan is solved over, loaded once, and how long that took."""
    started = time.perf_counter()
    settings = travel_settings()
    requests = open_requests(now)
    trainers = qualified_trainers(requests, trainer_ids)
    edges = find_edges(requests, trainers, settings)
    return World(
        settings=settings,
        requests=requests,
        trainer_ids=trainers.ids,
        facts=trainers.facts,
        by_topic=trainers.by_topic,
        edges=edges,
        load_seconds=time.perf_counter() - started,
    )


def _solved(
    world: World,
    method: str,
    solver: Callable[[World], Solved],
    explained: bool = False,
) -> Plan:
    """The plan `solver` makes of the world, timed and logged; `explained`, with
    why each request it leaves out is left out."""
    started = time.perf_counter()
    solved = solver(world)
    chosen = solved.chosen
    assignments = [
        Assignment(
            world.requests[i].id,
            world.trainer_ids[t],
            world.requests[i].slots[k].id,
            world.edges[i][t].km,
        )
        for i, (t, k) in sorted(chosen.items())
    ]
    plan = Plan(
        method=method,
        assignments=assignments,
        requests_considered=len(world.requests),
        unserved_groups=world.unserved_groups,
        unserved_groups_covered=len(
            {world.requests[i].group_id for i in chosen if world.requests[i].tier}
        ),
        seconds=world.load_seconds + time.perf_counter() - started,
        unmet=unmet.explain(world, set(chosen)) if explained else [],
        bound=solved.bound,
        proven=solved.proven,
    )
    logger.info(
        "%s plan: %s of %s requests covered (at most %s, proven best: %s), "
        "%s of %s unserved groups, %s km, %.2f s",
        plan.method,
        plan.requests_covered,
        plan.requests_considered,
        plan.bound,
        plan.proven,
        plan.unserved_groups_covered,
        plan.unserved_groups,
        plan.total_km,
        plan.seconds,
    )
    return plan


def apply_plan(plan: Plan, by: User, now: datetime) -> AppliedPlan:
    """Offer each planned slot to its trainer (`offer_to_trainer`, rules rechecked).

    An assignment that can no longer be offered (request closed, slot passed,
    trainer no longer free) is skipped with the reason. Flushes; the caller commits.
    """
    ids = {a.request_id for a in plan.assignments}
    requests = {
        r.id: r
        for r in db.session.scalars(
            select(TrainingRequest)
            .options(selectinload(TrainingRequest.slots))
            .where(TrainingRequest.id.in_(ids))
        )
    }
    result = AppliedPlan()
    for assignment in plan.assignments:
        try:
            offer = _offer(requests[assignment.request_id], assignment, by, now)
        except DomainError as error:
            result.skipped.append(Skipped(assignment, error.message))
            logger.info(
                "Plan: request %s not offered to trainer %s: %s",
                assignment.request_id,
                assignment.trainer_id,
                error.message,
            )
        else:
            result.offers.append(offer)
    logger.info(
        "Plan applied by user %s: %s offers made, %s skipped",
        by.id,
        len(result.offers),
        len(result.skipped),
    )
    return result


def apply_chosen(ticked: Collection[str], by: User, now: datetime) -> AppliedPlan:
    """Plan afresh (anything changed since the page was drawn is seen) and
    apply only the assignments whose keys the office ticked; count those the
    plan no longer holds. Flushes; the caller commits."""
    fresh = plan_open_requests(now)
    ticked = set(ticked)
    chosen = [a for a in fresh.assignments if a.key in ticked]
    applied = apply_plan(replace(fresh, assignments=chosen), by, now)
    applied.gone = len(ticked - {a.key for a in chosen})
    return applied


def _offer(
    training_request: TrainingRequest, assignment: Assignment, by: User, now: datetime
) -> Offer:
    slot = next((s for s in training_request.slots if s.id == assignment.slot_id), None)
    if slot is None:
        raise DomainError("This time is no longer one the group proposes.")
    if slot.starts_at <= now:
        raise DomainError("This slot's time has already passed.")
    return offer_to_trainer(
        training_request, assignment.trainer_id, assignment.slot_id, by, now
    )


def plan_rows(plan: Plan) -> list[PlanRow]:
    """The plan's assignments with group, topic and trainer names, soonest first.

    An assignment whose slot the group has since removed is left out.
    """
    details = {
        row[0]: row[1:]
        for row in db.session.execute(
            select(
                RequestSlot.id,
                TrainingRequest.id,
                Group.name,
                Topic.name,
                RequestSlot.starts_at,
                TrainingRequest.is_online,
            )
            .join(TrainingRequest, TrainingRequest.id == RequestSlot.request_id)
            .join(Group, Group.id == TrainingRequest.group_id)
            .join(Topic, Topic.id == TrainingRequest.topic_id)
            .where(RequestSlot.id.in_([a.slot_id for a in plan.assignments]))
        )
    }
    names = dict(
        db.session.execute(
            select(User.id, User.name).where(
                User.id.in_({a.trainer_id for a in plan.assignments})
            )
        ).all()
    )
    rows = [
        PlanRow(*details[a.slot_id], names[a.trainer_id], a.km, a.key)
        for a in plan.assignments
        if a.slot_id in details
    ]
    return sorted(rows, key=lambda row: (row.starts_at, row.request_id))


def unmet_rows(plan: Plan) -> list[UnmetRow]:
    """The requests the plan leaves uncovered, with group and topic names and
    why, in the order they were made."""
    names = {
        row[0]: row[1:]
        for row in db.session.execute(
            select(TrainingRequest.id, Group.name, Topic.name)
            .join(Group, Group.id == TrainingRequest.group_id)
            .join(Topic, Topic.id == TrainingRequest.topic_id)
            .where(TrainingRequest.id.in_([u.request_id for u in plan.unmet]))
        )
    }
    return [
        UnmetRow(u.request_id, *names[u.request_id], u.reason)
        for u in plan.unmet
        if u.request_id in names
    ]


def differences(plan: Plan, greedy: Plan) -> tuple[list[Difference], list[Difference]]:
    """The measures on which the plan and greedy's differ, then those they share."""
    measures = [
        Difference(
            "Requests covered",
            f"{plan.requests_covered} of {plan.requests_considered}",
            f"{greedy.requests_covered} of {greedy.requests_considered}",
        ),
        Difference(
            "Groups never or not recently trained, served",
            f"{plan.unserved_groups_covered} of {plan.unserved_groups}",
            f"{greedy.unserved_groups_covered} of {greedy.unserved_groups}",
        ),
        Difference("Travel", f"{plan.total_km:,.0f} km", f"{greedy.total_km:,.0f} km"),
    ]
    return (
        [m for m in measures if m.plan != m.greedy],
        [m for m in measures if m.plan == m.greedy],
    )
