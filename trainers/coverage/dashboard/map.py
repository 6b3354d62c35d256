"""The UK drawn from postcode district coordinates alone: no tiles, no internet.

An equirectangular projection scaled by cos(latitude) at the UK's middle keeps
distances near enough right for a country this size. The land is sketched as
the grid cells around every known postcode district; each group is a marker
whose shape and colour both say when it was last trained.
"""

import math
from collections.abc import Sequence
from functools import cache

from markupsafe import Markup, escape

from trainers.coverage.dashboard.charts import element, svg
from trainers.coverage.dashboard.values import GroupCoverage, Recency
from trainers.geo import all_districts
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
    groups: Sequence[GroupCoverage], title: str, region: str | None = None
) -> Markup:
    """Every group as a marker at its postcode district, framed on the region
    (or the whole UK); each marker's title names the group and its last session."""
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
    ids = {bucket: marker_id(bucket) for bucket in MARKERS}
    for group in sorted(groups, key=lambda group: order.index(group.recency)):
        x, y = project(group.latitude, group.longitude)
        said = (
            f"{group.name} ({group.district}): last trained "
            f"{format_date(group.last_trained_at)}"
            if group.last_trained_at
            else f"{group.name} ({group.district}): never trained"
        )
        parts.append(
            f'<use href="#{ids[group.recency]}" x="{x:.1f}" y="{y:.1f}">'
            f"<title>{escape(said)}</title></use>"
        )
    return svg(
        "coverage-map",
        title,
        right - left,
        bottom - top,
        # Each marker's one text is escaped as it is written.
        Markup("".join(parts)),  # noqa: S704
        origin=(left, top),
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
