"""The UK drawn from postcode district coordinates alone: no tiles, no internet.

An equirectangular projection scaled by cos(latitude) at the UK's middle keeps
distances near enough right for a country this size. The land is sketched as
the grid cells around every known postcode district. Groups close enough for
their markers to overlap are one marker, a place, with their count; its shape
and colour say when the longest-waiting of them was last trained. Each marker
is a link to its place in a list beside the map, which says the same in words:
a tap, a click or the keyboard reaches it without a script, and the map's
script (static/coverage-map.js) shows the place's groups beside the marker.
"""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import NamedTuple, Protocol

from markupsafe import Markup, escape

from trainers.coverage.dashboard.charts import element, svg
from trainers.coverage.dashboard.values import Recency, recency
from trainers.geo import all_districts, district_name
from trainers.timeutil import format_date

SCALE = 60  # SVG units per degree of latitude
MIDDLE_LATITUDE = 54.5
WEST, EAST, SOUTH, NORTH = -8.3, 2.0, 49.7, 60.6
LAND = "#e4e4e8"
# Cell size of the land sketch, roughly square (11 km a side).
CELL_LAT, CELL_LON = 0.1, 0.16

# Shape and colour per bucket, drawn in this order so the groups that most need
# attention (never trained) sit on top.
MARKERS: dict[Recency, tuple[str, str]] = {
    Recency.WITHIN_90_DAYS: ("filled circle", "#1b7837"),
    Recency.WITHIN_A_YEAR: ("filled square", "#2166ac"),
    Recency.OVER_A_YEAR: ("filled triangle", "#a6460b"),
    Recency.NEVER: ("hollow ring", "#b00020"),
}
_STRETCH = math.cos(math.radians(MIDDLE_LATITUDE))
# Markers nearer than this many marker sizes share one place.
OVERLAP = 2.6
# The radius, in marker sizes, around a marker that a tap reaches it in.
TOUCH = 3
# A grid cell and those around it, its own first: most groups join a place there.
NEIGHBOURS = ((0, 0), *((dc, dr) for dc in (-1, 0, 1) for dr in (-1, 0, 1) if dc or dr))


class MapGroup(Protocol):
    """What the map reads of a group."""

    name: str
    district: str
    latitude: float
    longitude: float
    last_trained_at: datetime | None
    recency: Recency


class Marked(NamedTuple):
    """A group of another page's (cold spots) as the map reads it."""

    name: str
    district: str
    latitude: float
    longitude: float
    last_trained_at: datetime | None
    recency: Recency


def marked(group, now: datetime) -> Marked:
    """Any group with a name, district, place and last training, for the map."""
    return Marked(
        group.name,
        group.district,
        group.latitude,
        group.longitude,
        group.last_trained_at,
        recency(group.last_trained_at, now),
    )


@dataclass(frozen=True)
class MapPlace:
    """Groups whose markers would overlap, drawn as one: where they are, in
    words, and what the list beside the map says of each."""

    anchor: str  # the id of its entry in the list
    name: str  # the town, as people say it
    districts: tuple[str, ...]
    recency: Recency  # the longest-waiting group's
    said: tuple[str, ...]  # each group and when it was last trained

    @property
    def label(self) -> str:
        """The place, its districts and how many groups: its marker's name."""
        count = len(self.said)
        groups = f"{count} group{'' if count == 1 else 's'}"
        return f"{self.name} ({', '.join(self.districts)}): {groups}"


@dataclass(frozen=True)
class CoverageMap:
    """The map's picture and the list of its places that says the same."""

    picture: Markup
    places: list[MapPlace]


def project(latitude: float, longitude: float) -> tuple[float, float]:
    """SVG (x, y) of a point: x east, y south, from the north-west corner."""
    return (longitude - WEST) * _STRETCH * SCALE, (NORTH - latitude) * SCALE


def marker_id(bucket: Recency) -> str:
    # Short: it is written once per group.
    return f"cm{list(MARKERS).index(bucket)}"


def marker_shape(bucket: Recency, size: float = 3.4) -> str:
    """The marker for a bucket, centred on (0, 0)."""
    _, colour = MARKERS[bucket]
    outline = {"stroke": "#1d1d1f", "stroke_width": f"{size / 5:.2f}"}
    if bucket == Recency.WITHIN_90_DAYS:
        return element("circle", r=f"{size:.2f}", fill=colour, **outline)
    if bucket == Recency.WITHIN_A_YEAR:
        half = f"{size * 0.85:.2f}"
        side = f"{size * 1.7:.2f}"
        return element(
            "rect",
            x=f"-{half}",
            y=f"-{half}",
            width=side,
            height=side,
            fill=colour,
            **outline,
        )
    if bucket == Recency.OVER_A_YEAR:
        h = size * 1.25
        return element(
            "path",
            d=f"M0 {-h:.2f}L{h:.2f} {h * 0.8:.2f}L{-h:.2f} {h * 0.8:.2f}Z",
            fill=colour,
            **outline,
        )
    return element(
        "circle",
        r=f"{size * 0.85:.2f}",
        fill="#ffffff",
        stroke=colour,
        stroke_width=f"{size / 2:.2f}",
    )


def legend_icon(bucket: Recency) -> Markup:
    """A small stand-alone picture of a bucket's marker, for the legend."""
    return element(
        "svg",
        marker_shape(bucket, 5),
        xmlns="http://www.w3.org/2000/svg",
        viewBox="-8 -8 16 16",
        width=16,
        height=16,
        aria_hidden="true",
        focusable="false",
        class_="legend-icon",
    )


def legend() -> list[tuple[Recency, Markup, str]]:
    """Each bucket with its marker and the marker's shape in words."""
    return [
        (bucket, legend_icon(bucket), shape) for bucket, (shape, _) in MARKERS.items()
    ]


def coverage_map(
    groups: Sequence[MapGroup], title: str, region: str | None = None
) -> CoverageMap:
    """Every group as a marker at its postcode district, framed on the region
    (or the whole UK), overlapping ones as one place with their count; each
    marker links to its place in the list that comes with the picture."""
    left, top, right, bottom = _frame(region)
    # Markers keep one on-screen size however closely the frame zooms in.
    size = (right - left) / 105
    defs = element(
        "defs",
        Markup("").join(
            element("g", marker_shape(bucket, size), id=marker_id(bucket))
            for bucket in MARKERS
        ),
    )
    parts = [defs, element("path", d=_land(), fill=LAND)]
    order = list(MARKERS)
    places = []
    for n, (x, y, members) in enumerate(_overlapping(groups, size * OVERLAP), 1):
        place = _place(f"map-place-{n}", members, order)
        places.append(place)
        parts.append(_marker(place, x, y, size))
    # The longest-waiting places are drawn last, on top.
    drawn = sorted(
        zip(places, parts[2:], strict=True),
        key=lambda pair: order.index(pair[0].recency),
    )
    return CoverageMap(
        svg(
            "coverage-map",
            title,
            right - left,
            bottom - top,
            # Each marker's texts are escaped as they are written.
            Markup("".join([*parts[:2], *(marker for _, marker in drawn)])),  # noqa: S704
            origin=(left, top),
            role="group",
        ),
        places,
    )


def _overlapping(
    groups: Sequence[MapGroup], reach: float
) -> list[tuple[float, float, list[MapGroup]]]:
    """The groups in places: each joins the first place (west to east) whose
    first marker lies within `reach` of its own, or starts one. Each place is
    drawn at its groups' mean position."""
    places: list[list] = []  # first x, first y, and (x, y, group) of each member
    near: dict[tuple[int, int], list[list]] = {}  # places by grid cell of `reach`
    squared = reach * reach
    # By position alone: groups in one district tie, and are never compared.
    for x, y, group in sorted(
        ((*project(group.latitude, group.longitude), group) for group in groups),
        key=lambda point: point[:2],
    ):
        column, row = math.floor(x / reach), math.floor(y / reach)
        joined = _first_within(near, column, row, x, y, squared)
        if joined is None:
            joined = [x, y, []]
            places.append(joined)
            near.setdefault((column, row), []).append(joined)
        joined[2].append((x, y, group))
    return [
        (
            sum(x for x, _, _ in members) / len(members),
            sum(y for _, y, _ in members) / len(members),
            [group for _, _, group in members],
        )
        for _, _, members in places
    ]


def _first_within(
    near: dict[tuple[int, int], list[list]],
    column: int,
    row: int,
    x: float,
    y: float,
    squared: float,
) -> list | None:
    for dc, dr in NEIGHBOURS:
        for place in near.get((column + dc, row + dr), ()):
            if (place[0] - x) ** 2 + (place[1] - y) ** 2 <= squared:
                return place
    return None


def _place(anchor: str, members: list[MapGroup], order: list[Recency]) -> MapPlace:
    districts = Counter(group.district for group in members)
    members = sorted(
        members, key=lambda group: (-order.index(group.recency), group.name)
    )
    return MapPlace(
        anchor=anchor,
        name=district_name(districts.most_common(1)[0][0]),
        districts=tuple(sorted(districts)),
        recency=members[0].recency,
        said=tuple(_said(group) for group in members),
    )


def _said(group: MapGroup) -> str:
    if group.last_trained_at is None:
        return f"{group.name} ({group.district}): never trained"
    return (
        f"{group.name} ({group.district}): last trained "
        f"{format_date(group.last_trained_at)}"
    )


def _marker(place: MapPlace, x: float, y: float, size: float) -> str:
    """A place's marker: a link to its entry in the list, titled with its groups
    (the first few), and their count when more than one. An unseen disc around
    it takes a fingertip's tap."""
    count = len(place.said)
    shown = "\n".join(place.said[:5]) + (
        f"\n… and {count - 5} more" if count > 5 else ""
    )
    number = (
        f'<text x="{x + size * 1.1:.1f}" y="{y - size * 0.9:.1f}" '
        f'font-size="{size * 2.6:.1f}" class="map-count">{count}</text>'
        if count > 1
        else ""
    )
    return (
        f'<a href="#{place.anchor}" class="map-marker" '
        f'aria-label="{escape(place.label)}" data-place="{place.anchor}">'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size * TOUCH:.1f}" fill="#ffffff" '
        'fill-opacity="0"/>'
        f'<use href="#{marker_id(place.recency)}" x="{x:.1f}" y="{y:.1f}"/>{number}'
        f"<title>{escape(place.label)}\n{escape(shown)}</title></a>"
    )


@cache
def _frame(region: str | None) -> tuple[float, float, float, float]:
    """The box (left, top, right, bottom) around the region's districts, or the UK."""
    if region is None:
        x1, y1 = project(NORTH, WEST)
        x2, y2 = project(SOUTH, EAST)
        return x1, y1, x2, y2
    points = [
        project(place.latitude, place.longitude)
        for place in all_districts().values()
        if place.region == region
    ]
    xs, ys = [x for x, _ in points], [y for _, y in points]
    margin = 0.06 * max(max(xs) - min(xs), max(ys) - min(ys)) + 1
    return min(xs) - margin, min(ys) - margin, max(xs) + margin, max(ys) + margin


@cache
def _land() -> str:
    """A path filling the grid cells in and around every postcode district,
    one rectangle per run of cells along a row."""
    cells = set()
    for place in all_districts().values():
        row = math.floor(place.latitude / CELL_LAT)
        column = math.floor(place.longitude / CELL_LON)
        cells.update((row + dr, column + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1))
    path = []
    for row in sorted({r for r, _ in cells}):
        columns = sorted(c for r, c in cells if r == row)
        start = previous = columns[0]
        for column in [*columns[1:], None]:
            if column is not None and column == previous + 1:
                previous = column
                continue
            x1, y1 = project((row + 1) * CELL_LAT, start * CELL_LON)
            x2, y2 = project(row * CELL_LAT, (previous + 1) * CELL_LON)
            path.append(f"M{x1:.1f} {y1:.1f}H{x2:.1f}V{y2:.1f}H{x1:.1f}Z")
            if column is not None:
                start = previous = column
    return "".join(path)
