"""Solving a plan's world: greedy's plan, and the optimal one.

Greedy
    Requests in the order they were made; each takes the nearest trainer (then
    their earliest slot) who passes every rule given what greedy has already
    handed out.

The optimal plan
    An exact integer program (exact.py), which falls back on greedy's plan, so
    it never covers less than greedy even when time runs out.

Each gives request index -> (trainer index, slot index) for the requests it
covers.
"""

from collections import defaultdict

from trainers.matching.planning import exact
from trainers.matching.planning.exact import Solved
from trainers.matching.planning.world import Chosen, World
from trainers.matching.rules import SlotFacts


def greedy(world: World) -> Chosen:
    """First come, first served: each request its nearest trainer free then."""
    taken: dict[int, list[SlotFacts]] = defaultdict(list)
    chosen: Chosen = {}
    for i, request in enumerate(world.requests):  # in the order they were made
        nearest = sorted(
            world.edges[i].items(),
            key=lambda item: (item[1].km, world.trainer_ids[item[0]]),
        )
        for t, edge in nearest:
            k = next(
                (
                    k
                    for k in edge.slots
                    if world.fits(t, request.slots[k].facts, taken[t])
                ),
                None,
            )
            if k is not None:
                chosen[i] = (t, k)
                taken[t].append(request.slots[k].facts)
                break
    return chosen


def optimal(world: World) -> Solved:
    """The best plan (exact.py), with the bound on cover and whether it is proven."""
    return exact.solve(world, greedy(world))
