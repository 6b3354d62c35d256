"""Where a made-up network lives: postcode districts drawn in proportion to the
people living there, and the names of the towns they lie in."""

import csv
import math
import random
from collections import defaultdict
from functools import cache
from importlib import resources

import numpy as np

from trainers.geo import (
    EARTH_RADIUS_KM,
    NI_TOWNS,
    REGIONS,
    Place,
    all_districts,
    distance_km,
    place_name,
)

# ONS mid-2022 estimates (thousands): groups are shared out in proportion.
REGION_POPULATION = {
    "North East": 2683,
    "North West": 7517,
    "Yorkshire and The Humber": 5541,
    "East Midlands": 4934,
    "West Midlands": 6021,
    "East of England": 6399,
    "London": 8867,
    "South East": 9380,
    "South West": 5765,
    "Wales": 3132,
    "Scotland": 5447,
    "Northern Ireland": 1911,
}
COMPASS = (
    "North", "North East", "East", "South East",
    "South", "South West", "West", "North West",
)  # fmt: skip


@cache
def population_weights() -> dict[str, int]:
    """Live postcodes per usable district: a stand-in for population.

    The geo Place has no size, so the count is read from the same table. PO-box
    and other tiny districts are left out; Northern Ireland (no counts in the
    table) weighs every named district alike.
    """
    data = resources.files("trainers.geo").joinpath("data/uk_postcode_districts.csv")
    with data.open(encoding="utf-8", newline="") as handle:
        counts = {
            row["outcode"]: int(row["postcode_count"] or 0)
            for row in csv.DictReader(handle)
        }
    counts.update(dict.fromkeys(NI_TOWNS, 500))
    return {district: count for district, count in counts.items() if count >= 200}


def weighted_sample(rng: random.Random, weights: dict, k: int) -> list:
    """k distinct keys, each drawn in proportion to its weight (Efraimidis-Spirakis)."""
    keys = sorted(weights, key=lambda key: rng.random() ** (1 / weights[key]))
    return keys[len(keys) - k :]


def apportion(total: int, shares: dict[str, float], floor: int = 1) -> dict[str, int]:
    """`total` split in proportion to `shares` (largest remainder), at least `floor`
    each where the total allows it."""
    floor = min(floor, total // len(shares))
    spare = total - floor * len(shares)
    whole = sum(shares.values())
    exact = {key: spare * share / whole for key, share in shares.items()}
    counts = {key: floor + math.floor(value) for key, value in exact.items()}
    by_remainder = sorted(exact, key=lambda key: math.floor(exact[key]) - exact[key])
    for key in by_remainder[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def group_districts(
    rng: random.Random, count: int, region: str | None, fixed: list[str]
) -> list[str]:
    """`count` districts for groups: the `fixed` ones, then each region's share
    (or all in `region`) by population; a district takes a second group only once
    every district of its region has one."""
    places = all_districts()
    regions = [region] if region else list(REGIONS)
    per_region = apportion(count, {name: REGION_POPULATION[name] for name in regions})
    for district in fixed:
        per_region[places[district].region] -= 1
    chosen = list(fixed)
    for name in regions:
        in_region = {
            district: weight
            for district, weight in population_weights().items()
            if places[district].region == name and district not in fixed
        }
        wanted = per_region[name]
        while wanted > 0:
            drawn = sorted(weighted_sample(rng, in_region, min(wanted, len(in_region))))
            chosen += drawn
            wanted -= len(drawn)
    return chosen


def group_names(districts: list[str], fixed: dict[str, str]) -> list[str]:
    """A name for each district's group, in order, the `fixed` ones first: its
    town's, and where a town has several groups a compass point, the district or
    a number too."""
    places = all_districts()
    in_town = defaultdict(set)
    for district in districts:
        in_town[place_name(places[district])].add(district)
    names = list(fixed.values())
    taken = set(names)
    for district in districts[len(fixed) :]:
        name = its_town = place_name(places[district])
        if len(in_town[its_town]) > 1 or name in taken:
            name = compass_name(its_town, district)
        if name in taken:
            name = f"{its_town} {district}"
        number = 1
        while name in taken:
            number += 1
            name = f"{its_town} {district} {number}"
        names.append(name)
        taken.add(name)
    return names


@cache
def _town_centres() -> dict[str, tuple[float, float]]:
    """The mean position of each town's districts."""
    members = defaultdict(list)
    for place in all_districts().values():
        members[place_name(place)].append(place)
    return {
        name: (
            sum(place.latitude for place in places) / len(places),
            sum(place.longitude for place in places) / len(places),
        )
        for name, places in members.items()
    }


def compass_name(its_town: str, district: str) -> str:
    """'Leeds North' from where the district lies in its town."""
    if any(word in COMPASS for word in its_town.split()):
        return f"{its_town} {district}"
    lat, lon = _town_centres()[its_town]
    place = all_districts()[district]
    if distance_km(lat, lon, place.latitude, place.longitude) < 2.5:
        return f"{its_town} Central"
    east = (place.longitude - lon) * math.cos(math.radians(lat))
    bearing = math.degrees(math.atan2(east, place.latitude - lat)) % 360
    return f"{its_town} {COMPASS[round(bearing / 45) % 8]}"


@cache
def _homes_within(district: str, within_km: float) -> dict[str, int]:
    """Population weights of the districts of `district`'s region within reach."""
    places = all_districts()
    centre = places[district]
    return {
        other: weight
        for other, weight in population_weights().items()
        if places[other].region == centre.region
        and distance_km(
            centre.latitude,
            centre.longitude,
            places[other].latitude,
            places[other].longitude,
        )
        <= within_km
    }


def home_near(rng: random.Random, centre: Place, within_km: float) -> Place:
    """A district within `within_km` of `centre`, in proportion to population."""
    nearby = _homes_within(centre.district, within_km)
    return all_districts()[weighted_sample(rng, nearby, 1)[0]]


def km_from(place: Place, latitudes: np.ndarray, longitudes: np.ndarray) -> np.ndarray:
    """Great-circle kilometres from `place` to each point (as geo.distance_km)."""
    phi, lam = math.radians(place.latitude), math.radians(place.longitude)
    phis, lams = np.radians(latitudes), np.radians(longitudes)
    h = (
        np.sin((phis - phi) / 2) ** 2
        + math.cos(phi) * np.cos(phis) * np.sin((lams - lam) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
