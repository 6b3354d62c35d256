"""The optimal plan as an exact integer program, solved with HiGHS (`highspy`).

Why a program and not a repair: which of a request's slots a trainer takes
decides which other requests they can still take (sessions may not overlap,
allowing for travel between venues). A matching repaired afterwards must guess
which slot or trainer to give up, and a wrong guess loses a request that
another slot would have kept. The program weighs every slot of every trainer
at once, and HiGHS proves its answer best.

The program has one 0-1 column per option (a request, a trainer with an edge
to it, one of the edge's free slots) and one per group never or not recently
trained. Its rows:
    a request is covered at most once;
    a trainer's options in a month take no more than the places left under
    their monthly cap;
    no two options of a trainer that clash (as `broken_rules` judges, one of
    them booked) are both taken: one row per clique of such options;
    a group counts as served only when one of its requests is.
It maximises one weighted sum that orders plans as DESIGN does: a request more
covered outweighs every group served, and a group served outweighs all travel.
A group is counted once however many of its requests are covered, as much as
every never-trained group together, plus one if never trained itself, so the
count of groups served comes first and never-trained groups break its ties.

Without clash rows the program is a transportation problem: its linear
relaxation has a whole optimum, found fast, which is the best plan if sessions
never clashed, and so a bound no plan can beat (`Solved.bound`). Clash rows
are then added only around the options that clash in the optimum found, and
the relaxation solved again from its last basis, until nothing clashes: a
whole optimum with no clash is the optimum of the whole program. Travel is
then cut on the face of optima the duals describe, in the same way. Should the
relaxation stay fractional, the columns are made integer and HiGHS branches,
from greedy's plan. A plan not proven best before the time limit is not kept:
greedy's is (or, once cover and groups are proven best, that plan, its travel
not proven least), and `proven` is False.
"""

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import highspy
import numpy as np
from scipy.sparse import coo_array

from trainers.matching.planning.world import NEVER_TRAINED, Chosen, World

# Seconds HiGHS may spend on one plan before the best plan found is kept: the
# office's page waits for it.
TIME_LIMIT = 1.0
# How far from whole a value may be and still count as whole.
TOLERANCE = 1e-6
INTEGER = int(highspy.HighsVarType.kInteger)
# The relaxation is solved again and again from its last basis: presolve
# would only slow each solve, and one thread is as fast on so few rows.
LINEAR_OPTIONS = {"output_flag": False, "presolve": "off", "simplex_strategy": 1}


@dataclass
class Solved:
    """A plan's choices; the most requests any plan could cover (the program
    without its clash rows), and whether HiGHS proved the plan optimal, when
    known."""

    chosen: Chosen
    bound: int | None = None
    proven: bool = False


def solve(world: World, fallback: Chosen) -> Solved:
    """The optimal plan of the world (see the top). `fallback`, a plan that
    keeps every rule, is where branching starts and what is kept if nothing
    better is found in time."""
    options = _Options.of(world)
    if not len(options):
        return Solved({}, 0, True)
    groups = _Groups.of(world, options)
    program = _Program(world, options, groups)
    start = _values(options, groups, fallback)
    solution, proven = program.plan(start, time.perf_counter() + TIME_LIMIT)
    chosen = {
        int(options.request[c]): (int(options.trainer[c]), int(options.slot[c]))
        for c in np.nonzero(solution[: len(options)] > 0.5)[0]
    }
    return Solved(chosen, program.bound, proven)


@dataclass
class _Options:
    """The program's option columns: request, trainer, slot (indices), km, and
    month (a number per calendar month) of each."""

    request: np.ndarray
    trainer: np.ndarray
    slot: np.ndarray
    km: np.ndarray
    month: np.ndarray

    @classmethod
    def of(cls, world: World) -> "_Options":
        months: dict[tuple[int, int], int] = {}
        rows = [
            (
                i,
                t,
                k,
                months.setdefault(world.requests[i].slots[k].month, len(months)),
                edge.km,
            )
            for i, edges in enumerate(world.edges)
            for t, edge in edges.items()
            for k in edge.slots
        ]
        table = np.array(rows, dtype=float).reshape(-1, 5)
        request, trainer, slot, month = table[:, :4].astype(np.int64).T
        return cls(request, trainer, slot, table[:, 4], month)

    def __len__(self) -> int:
        return len(self.request)


def _by(keys: np.ndarray) -> dict[int, np.ndarray]:
    """The columns sharing each key, `keys` giving one key per column."""
    order = np.argsort(keys, kind="stable")
    found, starts = np.unique(keys[order], return_index=True)
    return dict(zip(found.tolist(), np.split(order, starts[1:]), strict=True))


@dataclass
class _Groups:
    """The groups never or not recently trained with an option, one column each
    after the options: each group's options, and the column's weight."""

    options: list[np.ndarray]
    weight: np.ndarray

    @classmethod
    def of(cls, world: World, options: _Options) -> "_Groups":
        tiers = {r.group_id: r.tier for r in world.requests if r.tier}
        group_of = np.array([r.group_id for r in world.requests], dtype=np.int64)
        by_group = _by(group_of[options.request])
        served = [g for g in by_group if g in tiers]
        never = sum(tiers[g] == NEVER_TRAINED for g in served)
        return cls(
            [by_group[g] for g in served],
            np.array(
                [never + 1 + (tiers[g] == NEVER_TRAINED) for g in served], dtype=float
            ),
        )


def _values(options: _Options, groups: _Groups, chosen: Chosen) -> np.ndarray:
    """Every column's value in the plan `chosen`."""
    picked = np.zeros(len(options))
    by_request = _by(options.request)
    for i, (t, k) in chosen.items():
        columns = by_request[i]
        picked[
            columns[(options.trainer[columns] == t) & (options.slot[columns] == k)]
        ] = 1
    served = [picked[columns].max() for columns in groups.options]
    return np.concatenate([picked, served])


def _objectives(options: _Options, groups: _Groups) -> list[np.ndarray]:
    """The two objectives over every column, maximised in turn: a request more
    covered outweighs every group served; then least travel."""
    cover = np.full(len(options), groups.weight.sum() + 1)
    travel = np.zeros(len(options) + len(groups.weight))
    travel[: len(options)] = -options.km
    return [np.concatenate([cover, groups.weight]), travel]


class _Program:
    """HiGHS holding the program, its clash rows added as needed (see the top)."""

    def __init__(self, world: World, options: _Options, groups: _Groups):
        self.world, self.options = world, options
        self.columns = len(options) + len(groups.weight)
        self.objectives = _objectives(options, groups)
        self.highs = _highs(self.columns, *_rows(world, options, groups))
        self.by_trainer = _by(options.trainer)
        slots = [
            world.requests[i].slots[k].facts
            for i, k in zip(options.request, options.slot, strict=True)
        ]
        self.starts = np.array([s.starts_at.timestamp() for s in slots])
        self.ends = np.array([s.ends_at.timestamp() for s in slots])
        # Whether two options (earlier slot first) clash, as found so far.
        self.clash: dict[tuple[int, int], bool] = {}
        self.integer = False
        self.bound: int | None = None
        self.costs = self.objectives[0]

    def plan(self, start: np.ndarray, deadline: float) -> tuple[np.ndarray, bool]:
        """The best plan, or `start` if none better was found before the
        deadline; whether it is proven best."""
        serve, travel = self.objectives
        self._set_costs(serve)
        # The relaxation without clash rows, solved whatever the time: the bound.
        self.highs.run()
        if self.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            taken = self.highs.getSolution().col_value[: len(self.options)]
            self.bound = round(sum(taken))
        solution, proven = self._best(start, deadline)
        if not proven:
            return solution, False
        self._keep_best(serve, solution)
        self._set_costs(travel)
        return self._best(solution, deadline)

    def _set_costs(self, costs: np.ndarray) -> None:
        everything = np.arange(self.columns, dtype=np.int32)
        self.highs.changeColsCost(self.columns, everything, costs)
        self.costs = costs

    def _best(self, start: np.ndarray, deadline: float) -> tuple[np.ndarray, bool]:
        """The best solution for the costs set that keeps every rule, or `start`."""
        costs = self.costs
        while time.perf_counter() < deadline:
            found, optimal = self._run(start, deadline)
            if not (optimal or self.integer):
                self._make_integer()  # the relaxation met numerical trouble
                continue
            clashing = self._clashing(found)
            if not clashing and (self.integer or _whole(found[: len(self.options)])):
                if costs @ found < costs @ start - TOLERANCE:
                    break
                return np.round(found), optimal
            for t, pairs in clashing.items():
                self._cut(t, pairs)
            if not clashing:
                self._make_integer()
        return start, False

    def _keep_best(self, costs: np.ndarray, solution: np.ndarray) -> None:
        """Keep `costs` at its best, `solution`'s, while the next objective is
        solved. Relaxed: fix what the optimum's reduced costs and duals say
        every optimum shares (a face holding every whole optimum). Integer: a
        row, the objective being whole."""
        if self.integer:
            value = round(float(costs @ solution))
            everything = np.arange(self.columns, dtype=np.int32)
            self.highs.addRow(
                value - 0.5, highspy.kHighsInf, self.columns, everything, costs
            )
            return
        found = self.highs.getSolution()
        fixed = np.nonzero(np.abs(found.col_dual) > TOLERANCE)[0].astype(np.int32)
        at = np.round(np.array(found.col_value)[fixed])
        self.highs.changeColsBounds(len(fixed), fixed, at, at)
        tight = np.nonzero(np.abs(found.row_dual) > TOLERANCE)[0].astype(np.int32)
        upper = np.array(self.highs.getLp().row_upper_)[tight]
        self.highs.changeRowsBounds(len(tight), tight, upper, upper)

    def _run(self, start: np.ndarray, deadline: float) -> tuple[np.ndarray, bool]:
        """Solve from the last basis (relaxed) or from `start` (integer)."""
        left = max(0.01, deadline - time.perf_counter())
        self.highs.setOptionValue("time_limit", left)
        if self.integer:
            everything = np.arange(self.columns, dtype=np.int32)
            self.highs.setSolution(self.columns, everything, start)
        self.highs.run()
        optimal = self.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        found = np.array(self.highs.getSolution().col_value)
        return (found, optimal) if len(found) == self.columns else (start, False)

    def _make_integer(self) -> None:
        n = len(self.options)
        self.highs.setOptionValue("presolve", "on")
        self.highs.setOptionValue("mip_rel_gap", 0.0)
        self.highs.changeColsIntegrality(
            n, np.arange(n, dtype=np.int32), np.full(n, INTEGER, dtype=np.uint8)
        )
        self.integer = True

    def _clashing(self, solution: np.ndarray) -> dict[int, list[tuple[int, int]]]:
        """By trainer, the pairs of their options in `solution` that clash and
        are taken together more than once."""
        taken = np.nonzero(solution[: len(self.options)] > TOLERANCE)[0]
        clashing = {}
        for t, columns in _by(self.options.trainer[taken]).items():
            pairs = [
                (a, b)
                for a, b in self._pairs(t, taken[columns].tolist())
                if solution[a] + solution[b] > 1 + TOLERANCE
            ]
            if pairs:
                clashing[t] = pairs
        return clashing

    def _cut(self, t: int, clashing: list[tuple[int, int]]) -> None:
        """Keep trainer `t`'s options around the `clashing` ones apart: a row per
        clique of options no two of which can be taken together (stronger than
        a row per pair), until every clashing pair among them is in one."""
        around = np.concatenate(clashing)
        journey = _longest_journey(self.world, t).total_seconds()
        columns = self.by_trainer[t]
        near = columns[
            (self.starts[columns] < self.ends[around].max() + journey)
            & (self.starts[around].min() < self.ends[columns] + journey)
        ]
        cliques = _cliques(self._pairs(t, near.tolist()), self.options.request)
        starts = np.cumsum([0] + [len(c) for c in cliques[:-1]], dtype=np.int32)
        members = np.array([c for clique in cliques for c in clique], dtype=np.int32)
        self.highs.addRows(
            len(cliques),
            np.full(len(cliques), -highspy.kHighsInf),
            np.ones(len(cliques)),
            len(members),
            starts,
            members,
            np.ones(len(members)),
        )

    def _pairs(self, t: int, columns: list[int]) -> list[tuple[int, int]]:
        """Each pair of these options of trainer `t`, for different requests,
        whose slots clash. Only slots that start within the longest journey the
        trainer could make are put to the rules."""
        options, requests = self.options, self.world.requests
        slots = [
            requests[options.request[c]].slots[options.slot[c]].facts for c in columns
        ]
        order = sorted(range(len(columns)), key=lambda a: slots[a].starts_at)
        journey = _longest_journey(self.world, t)
        pairs = []
        for position, a in enumerate(order):
            for b in order[position + 1 :]:
                if slots[b].starts_at >= slots[a].ends_at + journey:
                    break
                pair = columns[a], columns[b]
                if pair not in self.clash:
                    self.clash[pair] = options.request[pair[0]] != options.request[
                        pair[1]
                    ] and not self.world.fits(t, slots[b], [slots[a]])
                if self.clash[pair]:
                    pairs.append(pair)
        return pairs


def _rows(
    world: World, options: _Options, groups: _Groups
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[float]]:
    """Every row but the clash rows, as (columns, coefficients), and each row's
    upper bound: requests, trainers' months, groups."""
    rows = [
        (columns, np.ones(len(columns)))
        for columns in _by(options.request).values()
        if len(columns) > 1
    ]
    uppers = [1.0] * len(rows)
    months = options.month.max() + 1
    for key, columns in _by(options.trainer * months + options.month).items():
        facts = world.facts[key // months]
        month = (
            world.requests[options.request[columns[0]]]
            .slots[options.slot[columns[0]]]
            .month
        )
        places = facts.monthly_cap - facts.sessions_by_month.get(month, 0)
        if len(columns) > places:
            rows.append((columns, np.ones(len(columns))))
            uppers.append(places)
    for g, columns in enumerate(groups.options):
        rows.append(
            (
                np.append(columns, len(options) + g),
                np.append(-np.ones(len(columns)), 1.0),
            )
        )
        uppers.append(0.0)
    return rows, uppers


def _highs(
    columns: int, rows: list[tuple[np.ndarray, np.ndarray]], uppers: list[float]
) -> highspy.Highs:
    """HiGHS holding the columns (0 to 1) and rows, quietly, to be maximised."""
    # The empty arrays first: a world with nothing to weigh up has no rows.
    matrix = coo_array(
        (
            np.concatenate([np.empty(0), *(values for _, values in rows)]),
            (
                np.repeat(np.arange(len(rows)), [len(c) for c, _ in rows]),
                np.concatenate([np.empty(0, dtype=np.int32), *(c for c, _ in rows)]),
            ),
        ),
        shape=(len(rows), columns),
    ).tocsc()
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = columns, len(rows)
    model.col_cost_ = np.zeros(columns)
    model.col_lower_, model.col_upper_ = np.zeros(columns), np.ones(columns)
    model.row_lower_ = np.full(len(rows), -highspy.kHighsInf)
    model.row_upper_ = np.array(uppers, dtype=float)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = matrix.indptr
    model.a_matrix_.index_ = matrix.indices
    model.a_matrix_.value_ = matrix.data
    highs = highspy.Highs()
    for option, value in LINEAR_OPTIONS.items():
        highs.setOptionValue(option, value)
    highs.passModel(model)
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    return highs


def _cliques(pairs: list[tuple[int, int]], request: np.ndarray) -> list[list[int]]:
    """Cliques covering every clashing pair: options of which at most one can
    be taken, because they clash or are for the same request."""
    near: dict[int, set[int]] = defaultdict(set)
    for a, b in pairs:
        near[a].add(b)
        near[b].add(a)

    def apart(a: int, b: int) -> bool:
        return b in near[a] or request[a] == request[b]

    covered: set[tuple[int, int]] = set()
    cliques = []
    for a, b in pairs:
        if (a, b) in covered:
            continue
        clique = [a, b]
        for c in sorted(near[a] | near[b]):
            if c not in clique and all(apart(c, d) for d in clique):
                clique.append(c)
        covered.update((x, y) for x in clique for y in clique)
        cliques.append(clique)
    return cliques


def _longest_journey(world: World, t: int) -> timedelta:
    """A bound on travel between two venues in trainer `t`'s reach (two radii
    apart at most), for `travel_time`'s speed and minimum."""
    settings = world.settings
    hours = 2 * world.facts[t].travel_radius_km / settings.speed_kmh
    return max(timedelta(minutes=settings.min_minutes), timedelta(hours=hours))


def _whole(values: np.ndarray) -> bool:
    return bool(np.all(np.abs(values - np.round(values)) < TOLERANCE))
