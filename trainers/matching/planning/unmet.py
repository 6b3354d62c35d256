"""Why a plan leaves a request uncovered, in the matcher's own terms: each
qualified trainer's best slot for it is put to `broken_rules`, and what stops
them is counted. Nothing here restates a rule."""

from collections import Counter
from dataclasses import dataclass

import numpy as np

from trainers.matching.planning.edges import coordinates, km_matrix
from trainers.matching.planning.world import OpenRequest, World
from trainers.matching.rules import Rule, broken_rules

# How each broken rule reads in a count of trainers ("3 at their monthly cap").
STOPPED_BY = {
    Rule.ACCOUNT: "deactivated",
    Rule.QUALIFIED: "not qualified",
    Rule.AVAILABILITY: "not available at any of its times",
    Rule.DAY_OFF: "on a day off",
    Rule.REACH: "out of reach",
    Rule.CLASH: "busy with another session then",
    Rule.BUSY: "busy in their own calendar then",
    Rule.CALENDAR_UNKNOWN: "with their own calendar unknown",
    Rule.CAP: "at their monthly cap",
}


@dataclass(frozen=True)
class Unmet:
    """A request the plan cannot cover, and why."""

    request_id: int
    reason: str


def explain(world: World, covered: set[int]) -> list[Unmet]:
    """Why each of the world's requests not in `covered` (request indices) is
    left out, in the order they were made."""
    homes = coordinates([(f.latitude, f.longitude) for f in world.facts])
    radius = np.array([f.travel_radius_km for f in world.facts], dtype=float)
    return [
        Unmet(request.id, _reason(world, i, request, homes, radius))
        for i, request in enumerate(world.requests)
        if i not in covered
    ]


def _reason(
    world: World, i: int, request: OpenRequest, homes: np.ndarray, radius: np.ndarray
) -> str:
    qualified = np.array(world.by_topic.get(request.topic_id, []), dtype=int)
    if not qualified.size:
        return "No active trainer is qualified for its topic."
    if world.edges[i]:
        if len(world.edges[i]) == 1:
            return "The one trainer who could take it is planned for another request."
        return (
            f"The {len(world.edges[i])} trainers who could take it are planned "
            "for other requests."
        )
    venue = request.venue
    if venue.is_online:
        in_reach = qualified
    else:
        # Reach is the one rule that is the same for every slot: sorted out
        # in bulk first, so only trainers in reach go through every slot.
        km = km_matrix(
            coordinates([(venue.latitude, venue.longitude)]), homes[qualified]
        )[0]
        in_reach = qualified[~(km > radius[qualified] + 0.001)]
        if not in_reach.size:
            if not np.isfinite(km).any():
                return "No qualified trainer within reach."
            which = (
                "the only one"
                if qualified.size == 1
                else f"the nearest of {qualified.size}"
            )
            return (
                f"No qualified trainer within reach: {which} lives "
                f"{np.nanmin(km):.0f} km away."
            )
    stopped: Counter[str] = Counter()
    for t in in_reach:
        best = min(
            (
                broken_rules(world.facts[t], slot.facts, world.settings)
                for slot in request.slots
            ),
            key=len,
        )
        # Free at one of its times, yet no edge: they declined, or an offer waits.
        for words in {STOPPED_BY[b.rule] for b in best} or {
            "declined it or have an offer waiting"
        }:
            stopped[words] += 1
    counts = ", ".join(f"{n} {words}" for words, n in stopped.most_common())
    where = "" if venue.is_online else " within reach"
    return f"Of the {_trainers(in_reach.size)} qualified{where}: {counts}."


def _trainers(n: int) -> str:
    return f"{n} trainer{'' if n == 1 else 's'}"
