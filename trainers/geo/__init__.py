"""UK postcode districts offline: a postcode or district to coordinates and region."""

import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from trainers.errors import DomainError

REGIONS: tuple[str, ...] = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
    "Wales",
    "Scotland",
    "Northern Ireland",
)
EARTH_RADIUS_KM = 6371.0088
# Outward code (district) then an optional inward code, spaces optional.
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})?$")

ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right 2025; Contains Royal "
    "Mail data © Royal Mail copyright and database right 2025; Contains National "
    "Statistics data © Crown copyright and database right 2025; Source: Office for "
    "National Statistics licensed under the Open Government Licence v3.0; Northern "
    "Ireland postcode districts: GeoNames (www.geonames.org), CC BY 4.0."
)


class UnknownPostcode(DomainError):
    """A postcode whose district is not in our tables."""


@dataclass(frozen=True)
class Place:
    district: str
    latitude: float
    longitude: float
    region: str
    nation: str
    local_authority: str


@cache
def _districts() -> dict[str, Place]:
    data = resources.files("trainers.geo").joinpath("data/uk_postcode_districts.csv")
    with data.open(encoding="utf-8", newline="") as handle:
        return {
            row["outcode"]: Place(
                district=row["outcode"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                region=row["region"],
                nation=row["nation"],
                local_authority=row["main_local_authority"],
            )
            for row in csv.DictReader(handle)
        }


def all_districts() -> dict[str, Place]:
    """Every known district, by outward code."""
    return _districts()


def normalise_postcode(text: str) -> tuple[str, str | None]:
    """Split a postcode or district into (district, inward code or None), upper case.

    Raises UnknownPostcode when the text is not shaped like a UK postcode.
    """
    cleaned = " ".join((text or "").upper().split())
    match = _POSTCODE.match(cleaned)
    if not match:
        raise UnknownPostcode(
            f"“{text.strip()}” is not a UK postcode or postcode district "
            "(for example TN34 or TN34 1AA)."
        )
    return match.group(1), match.group(2)


def format_postcode(text: str) -> str:
    """A postcode in its usual written form, e.g. 'tn341aa' -> 'TN34 1AA'."""
    district, inward = normalise_postcode(text)
    return f"{district} {inward}" if inward else district


def locate(text: str) -> Place:
    """The district a postcode lies in. Raises UnknownPostcode naming it."""
    district, _ = normalise_postcode(text)
    place = _districts().get(district)
    if place is None:
        raise UnknownPostcode(
            f"We don't know the postcode district {district}. Check it, or use a "
            "nearby district (Channel Islands and Isle of Man are not covered)."
        )
    return place


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = (
        math.sin(dphi / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
