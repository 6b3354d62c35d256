"""The edges of a plan's world: which trainer may take which open request.

For each topic, numpy keeps the (request, trainer) pairs within the trainer's
radius (great-circle distance matrix; every pair for an online request), then
the slots that lie inside one of the trainer's weekly windows in a month where
they have room under their cap. These are necessary conditions only: every slot
that passes them goes through `broken_rules`, which decides. A pair with at
least one free slot is an edge whose cost is the trainer's km to the venue (0
online; the venue is the same for every slot). A trainer who declined the
request, or already has an offer for it waiting, gets no edge.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time as clock

import numpy as np
from sqlalchemy import select

from trainers.extensions import db
from trainers.geo import EARTH_RADIUS_KM
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.planning.world import Edge, OpenRequest, Trainers
from trainers.matching.rules import TrainerFacts, TravelSettings, broken_rules
from trainers.timeutil import to_local

# Offers that keep a trainer out of a request's plan: they said no, or one waits.
BLOCKING_OFFERS = (OfferStatus.DECLINED, OfferStatus.PENDING)


def find_edges(
    requests: list[OpenRequest], trainers: Trainers, settings: TravelSettings
) -> list[dict[int, Edge]]:
    """For each request, the trainers (by index) who may take one of its slots.

    Reach, weekly windows and room under the monthly cap are first checked in
    bulk with numpy, as necessary conditions only; `broken_rules` decides every
    slot that gets through.
    """
    edges: list[dict[int, Edge]] = [{} for _ in requests]
    if not requests or not trainers.ids:
        return edges
    blocked = _blocked(requests)
    arrays = _Arrays.of(requests, trainers.facts)
    for topic_id, rows in _rows_by_topic(requests).items():
        columns = np.array(trainers.by_topic.get(topic_id, []), dtype=int)
        if not columns.size:
            continue
        for i, t, km, may_fit in _pairs_that_may_fit(requests, rows, columns, arrays):
            request = requests[i]
            if (request.id, trainers.ids[t]) in blocked:
                continue
            free = [
                int(k)
                for k in may_fit
                if not broken_rules(trainers.facts[t], request.slots[k].facts, settings)
            ]
            if free:
                edges[i][t] = Edge(round(km, 1), free)
    return edges


def _blocked(requests: list[OpenRequest]) -> set[tuple[int, int]]:
    """(request id, trainer id) of every offer that keeps the trainer out."""
    return {
        tuple(row)
        for row in db.session.execute(
            select(Offer.request_id, Offer.trainer_id).where(
                Offer.request_id.in_([r.id for r in requests]),
                Offer.status.in_(BLOCKING_OFFERS),
            )
        )
    }


def _rows_by_topic(requests: list[OpenRequest]) -> dict[int, list[int]]:
    """The requests' indices, by topic, in order."""
    rows: dict[int, list[int]] = defaultdict(list)
    for i, request in enumerate(requests):
        rows[request.topic_id].append(i)
    return rows


@dataclass
class _Arrays:
    """What the bulk checks read: the trainers' homes (radians), radii and
    weekly windows; each slot's local times and month (an index into the
    months any slot is in); whether each trainer has room in each month."""

    home: np.ndarray
    radius: np.ndarray
    windows: np.ndarray
    slot_times: np.ndarray
    slot_months: np.ndarray
    has_room: np.ndarray

    @classmethod
    def of(cls, requests: list[OpenRequest], facts: list[TrainerFacts]) -> "_Arrays":
        slot_times = _slot_times(requests)
        months = sorted({slot.month for r in requests for slot in r.slots})
        slot_months = np.zeros(slot_times.shape[:2], dtype=np.int64)
        for i, request in enumerate(requests):
            slot_months[i, : len(request.slots)] = [
                months.index(slot.month) for slot in request.slots
            ]
        return cls(
            home=coordinates([(f.latitude, f.longitude) for f in facts]),
            radius=np.array([f.travel_radius_km for f in facts], dtype=float),
            windows=_weekly_windows(facts),
            slot_times=slot_times,
            slot_months=slot_months,
            has_room=np.array(
                [
                    [f.sessions_by_month.get(m, 0) < f.monthly_cap for m in months]
                    for f in facts
                ]
            ),
        )


def _pairs_that_may_fit(
    requests: list[OpenRequest],
    rows: list[int],
    columns: np.ndarray,
    arrays: _Arrays,
) -> Iterator[tuple[int, int, float, np.ndarray]]:
    """(request index, trainer index, km, the slots that may fit) for each pair
    of these requests and trainers in reach with a slot that may fit them."""
    venues = [requests[i].venue for i in rows]
    online = np.array([v.is_online for v in venues])
    km = km_matrix(
        coordinates([(v.latitude, v.longitude) for v in venues]),
        arrays.home[columns],
    )
    # A hair of slack for rounding: `broken_rules` has the last word on reach.
    a, b = np.nonzero(online[:, None] | (km <= arrays.radius[columns][None, :] + 0.001))
    pair_rows, pair_trainers = np.array(rows)[a], columns[b]
    may_fit = (
        _inside_windows(arrays.slot_times, pair_rows, arrays.windows, pair_trainers)
        & arrays.has_room[pair_trainers[:, None], arrays.slot_months[pair_rows]]
    )
    for p in np.nonzero(may_fit.any(axis=1))[0]:
        i = int(pair_rows[p])
        distance = 0.0 if requests[i].venue.is_online else float(km[a[p], b[p]])
        yield i, int(pair_trainers[p]), distance, np.nonzero(may_fit[p])[0]


def _microseconds(moment: clock) -> int:
    return (
        (moment.hour * 60 + moment.minute) * 60 + moment.second
    ) * 1_000_000 + moment.microsecond


def _slot_times(requests: list[OpenRequest]) -> np.ndarray:
    """(requests, most slots, 3): local weekday, start and end of day in µs.

    The weekday is -1 for padding and for a slot that ends on another day,
    which no window holds.
    """
    most = max((len(r.slots) for r in requests), default=0)
    times = np.full((len(requests), most, 3), -1, dtype=np.int64)
    for i, request in enumerate(requests):
        for k, slot in enumerate(request.slots):
            start, end = to_local(slot.facts.starts_at), to_local(slot.facts.ends_at)
            weekday = start.weekday() if start.date() == end.date() else -1
            times[i, k] = (
                weekday,
                _microseconds(start.time()),
                _microseconds(end.time()),
            )
    return times


def _weekly_windows(facts: list[TrainerFacts]) -> np.ndarray:
    """(trainers, most windows, 3): weekday, opening and closing in µs; padding
    has weekday -2, which no slot has."""
    most = max(1, max((len(f.windows) for f in facts), default=0))
    windows = np.full((len(facts), most, 3), -2, dtype=np.int64)
    for t, trainer in enumerate(facts):
        for w, (weekday, opens, closes) in enumerate(trainer.windows):
            windows[t, w] = weekday, _microseconds(opens), _microseconds(closes)
    return windows


def _inside_windows(
    slot_times: np.ndarray, rows: np.ndarray, windows: np.ndarray, trainers: np.ndarray
) -> np.ndarray:
    """(pairs, most slots): whether the slot lies wholly inside one of the
    trainer's weekly windows, for each (request row, trainer) pair."""
    slots = slot_times[rows][:, :, None, :]  # pairs, slots, 1, 3
    held = windows[trainers][:, None, :, :]  # pairs, 1, windows, 3
    return (
        (slots[..., 0] == held[..., 0])
        & (held[..., 1] <= slots[..., 1])
        & (slots[..., 2] <= held[..., 2])
    ).any(axis=2)


def coordinates(points: list[tuple[float | None, float | None]]) -> np.ndarray:
    """An (n, 2) array of latitudes and longitudes in radians; NaN where unknown."""
    return np.radians(
        np.array(
            [(np.nan, np.nan) if lat is None else (lat, lon) for lat, lon in points],
            dtype=float,
        ).reshape(-1, 2)
    )


def km_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle km between every point of `a` and every point of `b` (haversine)."""
    lat1, lon1 = a[:, :1], a[:, 1:]
    lat2, lon2 = b[:, 0][None, :], b[:, 1][None, :]
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
