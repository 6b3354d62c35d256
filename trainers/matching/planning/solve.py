"""Solving a plan's world: the optimal plan, its repair, and greedy's.

The optimal plan
    A min-weight full bipartite matching (SciPy's sparse Jonker-Volgenant,
    `min_weight_full_bipartite_matching`) between requests and columns. A
    trainer has one column per place left under their cap in each calendar
    month (cap minus sessions already booked that month), and an edge joins a
    request to a trainer's columns for each month holding one of its free
    slots, so caps hold by construction. Each request also has an "uncovered"
    column of its own, so a full matching always exists. Costs:
        covered: km        uncovered: COVER + SERVE * tier
    with tier 2 for a group never trained (no delivered session), 1 for one not
    trained in the last 365 days, 0 otherwise; SERVE exceeds any total km and
    COVER exceeds every SERVE penalty plus km. The matching therefore maximises
    requests covered, then never or not recently trained groups served, then
    minimises km, in that order. Greedy's plan is one of the matchings it
    chooses among, so before repair it is never worse than greedy.

Repair
    The matching cannot see that two requests given to one trainer may clash
    (overlap, allowing for travel between venues). For each trainer given
    several requests, a small search picks one slot per request so that every
    one passes `broken_rules` with the trainer's other plan sessions added to
    their bookings and month counts. When no choice works, one clashing edge is
    removed (of a request with another trainer to go to if possible, then the
    farthest) and only its connected component of the graph is solved again,
    until no clash is left. Each round removes edges, so it ends. Clashes are
    few (two requests the same evening, or within travel of each other), so
    the plan gives up little of the matching's optimum.

Greedy
    Requests in the order they were made; each takes the nearest trainer (then
    their earliest slot) who passes every rule given what greedy has already
    handed out.

Each solver gives request index -> (trainer index, slot index) for the
requests it covers.
"""

import logging
from collections import defaultdict

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import (
    connected_components,
    min_weight_full_bipartite_matching,
)

from trainers.matching.planning.world import World
from trainers.matching.rules import SlotFacts

logger = logging.getLogger(__name__)

# Slot choices tried for one trainer before their clash is settled by dropping
# an edge: plenty for a month's handful of sessions, and a bound on bad cases.
SEARCH_BUDGET = 2000

Chosen = dict[int, tuple[int, int]]  # request -> trainer, slot (indices)
Months = dict[int, tuple[int, tuple[int, int]]]  # request -> trainer, month


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


def optimal(world: World) -> Chosen:
    """The best matching, repaired until no trainer's requests clash."""
    labels, components = _components(world)
    graph = _Graph(world)
    forbidden: set[tuple[int, int]] = set()
    months: Months = {}
    chosen: Chosen = {}
    dirty = set(components)
    searched: dict[tuple, dict[int, int] | None] = {}
    rounds = 0
    while dirty:
        rounds += 1
        trainers: set[int] = set()
        for label in dirty:
            rows = components[label]
            for i in rows:
                months.pop(i, None)
                chosen.pop(i, None)
                trainers.update(world.edges[i])
            months.update(graph.solve(rows))
        dirty = set()
        by_trainer: dict[int, list[tuple[int, tuple[int, int]]]] = defaultdict(list)
        for i, (t, month) in months.items():
            if t in trainers:
                by_trainer[t].append((i, month))
        for t, items in by_trainer.items():
            # A trainer whose requests did not change keeps the slots found.
            known = (t, *sorted(items))
            if known not in searched:
                searched[known] = _choose_slots(world, t, items)
            slots = searched[known]
            if slots is None:
                culprit = _culprit(world, t, items, forbidden)
                forbidden.add((culprit, t))
                graph.forbid(culprit, t)
                dirty.add(int(labels[culprit]))
            else:
                chosen.update({i: (t, k) for i, k in slots.items()})
    logger.info("Plan needed %s rounds, %s edges dropped", rounds, len(forbidden))
    return chosen


def _components(world: World) -> tuple[np.ndarray, dict[int, list[int]]]:
    """Each request's connected component of the graph (its label) and, by
    label, the requests with an edge."""
    n = len(world.requests)
    graph = coo_array(
        (
            np.ones(sum(len(e) for e in world.edges)),
            (
                [i for i, edges in enumerate(world.edges) for _ in edges],
                [n + t for edges in world.edges for t in edges],
            ),
        ),
        shape=(n + len(world.trainer_ids),) * 2,
    )
    _, labels = connected_components(graph, directed=False)
    components: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        if world.edges[i]:
            components[int(labels[i])].append(i)
    return labels, components


class _Graph:
    """The optimal plan's bipartite graph (see the top), built once as flat arrays:
    one entry per (request, trainer, month) where the trainer has a free slot."""

    def __init__(self, world: World):
        self.world = world
        entries: list[tuple[int, int, int, float]] = []
        self.entries_of: dict[tuple[int, int], list[int]] = defaultdict(list)
        month_index: dict[tuple[int, int], int] = {}
        for i, edges in enumerate(world.edges):
            slots = world.requests[i].slots
            for t, edge in edges.items():
                for month in sorted({slots[k].month for k in edge.slots}):
                    self.entries_of[i, t].append(len(entries))
                    m = month_index.setdefault(month, len(month_index))
                    entries.append((i, t, m, edge.km))
        self.months = list(month_index)
        table = np.array(entries, dtype=float).reshape(-1, 4)
        self.request, self.trainer, self.month = table[:, :3].astype(np.int64).T
        self.km = table[:, 3]
        self.places = np.array(
            [
                world.facts[t].monthly_cap
                - world.facts[t].sessions_by_month.get(self.months[m], 0)
                for _, t, m, _ in entries
            ],
            dtype=np.int64,
        )
        self.allowed = np.ones(len(entries), dtype=bool)
        self.tier = np.array([r.tier for r in world.requests], dtype=float)
        # More than any plan's total km, so one more request served always wins.
        self.serve = 1.0 + sum(
            max((e.km for e in edges.values()), default=0.0) for edges in world.edges
        )

    def forbid(self, i: int, t: int) -> None:
        self.allowed[self.entries_of[i, t]] = False

    def solve(self, rows: list[int]) -> Months:
        """The best matching of these requests to trainers' month columns: request
        index -> (trainer index, month) for those covered."""
        local = np.full(len(self.world.requests), -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        chosen = np.nonzero(self.allowed & (local[self.request] >= 0))[0]
        # Columns: one per place left under a trainer's cap in a month, no more
        # than the requests that could use them.
        key = self.trainer[chosen] * len(self.months) + self.month[chosen]
        keys, which, wanted = np.unique(key, return_inverse=True, return_counts=True)
        places = np.zeros(len(keys), dtype=np.int64)
        places[which] = self.places[chosen]
        copies = np.minimum(wanted, places)
        first = np.cumsum(copies) - copies
        columns = int(copies.sum())
        repeats = copies[which]
        ends = np.cumsum(repeats)
        nth = np.arange(ends[-1] if len(ends) else 0) - np.repeat(
            ends - repeats, repeats
        )
        cover = (2 * len(rows) + 1) * self.serve
        # Every cost is raised by 1: SciPy takes a zero as no edge, and each
        # request is matched exactly once, so the shift changes no choice.
        matrix = coo_array(
            (
                np.concatenate(
                    [
                        np.repeat(1 + self.km[chosen], repeats),
                        1 + cover + self.serve * self.tier[rows],
                    ]
                ),
                (
                    np.concatenate(
                        [
                            np.repeat(local[self.request[chosen]], repeats),
                            np.arange(len(rows)),
                        ]
                    ),
                    np.concatenate(
                        [
                            np.repeat(first[which], repeats) + nth,
                            columns + np.arange(len(rows)),
                        ]
                    ),
                ),
            ),
            shape=(len(rows), columns + len(rows)),
        ).tocsr()
        row_ind, col_ind = min_weight_full_bipartite_matching(matrix)
        covered = col_ind < columns
        matched = keys[np.searchsorted(first, col_ind[covered], side="right") - 1]
        return {
            rows[a]: (int(k // len(self.months)), self.months[k % len(self.months)])
            for a, k in zip(row_ind[covered], matched, strict=True)
        }


def _choose_slots(
    world: World, t: int, items: list[tuple[int, tuple[int, int]]]
) -> dict[int, int] | None:
    """One slot per request given to trainer `t`, in its matched month, none
    clashing with another; None when no such choice was found."""
    options = {
        i: [k for k in world.edges[i][t].slots if world.requests[i].slots[k].month == m]
        for i, m in items
    }
    if len(options) == 1:
        return {i: ks[0] for i, ks in options.items()}
    order = sorted(
        options, key=lambda i: world.requests[i].slots[options[i][0]].facts.starts_at
    )
    chosen: dict[int, int] = {}
    taken: list[SlotFacts] = []
    budget = SEARCH_BUDGET

    def place(position: int) -> bool:
        nonlocal budget
        if position == len(order):
            return True
        i = order[position]
        for k in options[i]:
            budget -= 1
            if budget < 0:
                return False
            slot = world.requests[i].slots[k].facts
            if world.fits(t, slot, taken):
                chosen[i] = k
                taken.append(slot)
                if place(position + 1):
                    return True
                taken.pop()
        return False

    return chosen if place(0) else None


def _culprit(
    world: World,
    t: int,
    items: list[tuple[int, tuple[int, int]]],
    forbidden: set[tuple[int, int]],
) -> int:
    """The request to take from trainer `t` so their clash ends: one that has
    another trainer to go to if possible, then the farthest."""

    def stranded(i: int) -> bool:
        return all(u == t or (i, u) in forbidden for u in world.edges[i])

    ranked = sorted(
        items,
        key=lambda item: (stranded(item[0]), -world.edges[item[0]][t].km, -item[0]),
    )
    for item in ranked:
        if _choose_slots(world, t, [x for x in items if x != item]) is not None:
            return item[0]
    return ranked[0][0]
