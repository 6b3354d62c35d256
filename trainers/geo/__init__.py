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


# Northern Ireland districts carry no local authority in the geo table.
NI_TOWNS = {
    f"BT{number}": town
    for town, numbers in (
        ("Belfast", range(1, 18)), ("Holywood", [18]), ("Bangor", [19, 20]),
        ("Donaghadee", [21]), ("Newtownards", [22, 23]), ("Ballynahinch", [24]),
        ("Dromore", [25]), ("Hillsborough", [26]), ("Lisburn", [27, 28]),
        ("Crumlin", [29]), ("Downpatrick", [30]), ("Castlewellan", [31]),
        ("Banbridge", [32]), ("Newcastle", [33]), ("Newry", [34, 35]),
        ("Newtownabbey", [36, 37]), ("Carrickfergus", [38]), ("Ballyclare", [39]),
        ("Larne", [40]), ("Antrim", [41]), ("Ballymena", [42, 43, 44]),
        ("Magherafelt", [45]), ("Maghera", [46]), ("Derry", [47, 48]),
        ("Limavady", [49]), ("Coleraine", [51, 52]), ("Ballymoney", [53]),
        ("Ballycastle", [54]), ("Portstewart", [55]), ("Portrush", [56]),
        ("Bushmills", [57]), ("Armagh", [60, 61]), ("Portadown", [62, 63]),
        ("Craigavon", [64, 65]), ("Lurgan", [66, 67]), ("Caledon", [68]),
        ("Aughnacloy", [69]), ("Dungannon", [70, 71]), ("Enniskillen", [74, 92, 93, 94]),
        ("Fivemiletown", [75]), ("Clogher", [76]), ("Augher", [77]),
        ("Omagh", [78, 79]), ("Cookstown", [80]), ("Castlederg", [81]),
        ("Strabane", [82]),
    )
    for number in numbers
}  # fmt: skip


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


def place_name(place: Place) -> str:
    """The town a district lies in, as people would say it ("Ballymena", not
    "BT42"): its main local authority, or for Northern Ireland its town."""
    name = NI_TOWNS.get(place.district, place.local_authority)
    name = name.removesuffix(", City of").removesuffix(" City")
    return name if name == "City of London" else name.removeprefix("City of ")


def district_name(district: str) -> str:
    """The town an outward code lies in (place_name), or the code if unknown."""
    place = _districts().get(district)
    return place_name(place) if place else district


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
