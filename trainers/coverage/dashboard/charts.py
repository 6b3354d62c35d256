"""Charts drawn on the server as SVG: no script, no inline style (the CSP forbids
both), colours as presentation attributes, and every number also written out, so
nothing depends on colour alone. Each chart sits beside a table of its numbers."""

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from trainers.coverage.dashboard.report import CoverageReport

BAR = "#0b4f9c"
HATCH = "#4a4a4f"
INK = "#1d1d1f"
GRID = "#c4c4cc"


def element(tag: str, content: Markup | str = "", **attributes) -> Markup:
    """One SVG element, every value escaped; `class_` becomes class, `text_anchor`
    text-anchor. Plain-text content is escaped too; Markup goes in as it is."""
    # f-strings over escaped parts: Markup.format is ten times slower, and a map
    # draws thousands of elements.
    written = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(value)}"'
        for name, value in attributes.items()
        if value is not None
    )
    if content:
        return Markup(f"<{tag}{written}>{escape(content)}</{tag}>")  # noqa: S704
    return Markup(f"<{tag}{written}/>")  # noqa: S704 - every value escaped above


def svg(
    chart_id: str,
    title: str,
    width: float,
    height: float,
    body: Markup,
    origin: tuple[float, float] = (0, 0),
    role: str = "img",
) -> Markup:
    """A scalable, labelled SVG image (or, with links inside, a group of them):
    its title is what a screen reader says."""
    return element(
        "svg",
        element("title", title, id=f"{chart_id}-title") + body,
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"{origin[0]:.1f} {origin[1]:.1f} {width:.1f} {height:.1f}",
        role=role,
        aria_labelledby=f"{chart_id}-title",
        class_="chart",
        id=chart_id,
    )


def nice_maximum(value: float) -> float:
    """The axis end: the smallest 1, 2, 2.5 or 5 times a power of ten >= value."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(
    chart_id: str, title: str, rows: Sequence[tuple[str, float]], unit: str = ""
) -> Markup:
    """Horizontal bars, one per (label, value), each value written at its end."""
    label_width, plot_width, row_height, top = 230, 320, 26, 24
    width = label_width + plot_width + 70
    height = top + row_height * len(rows) + 8
    most = nice_maximum(max((value for _, value in rows), default=0))
    parts = [_vertical_grid(most, label_width, plot_width, top, height - 8)]
    for n, (label, value) in enumerate(rows):
        y = top + n * row_height
        length = plot_width * value / most
        said = f"{label}: {_number(value)}{unit}"
        parts.append(
            element(
                "text",
                _shorten(label, 30),
                x=label_width - 8,
                y=y + 17,
                text_anchor="end",
                font_size=13,
                fill=INK,
            )
            + element(
                "rect",
                element("title", said),
                x=label_width,
                y=y + 4,
                width=f"{length:.1f}",
                height=row_height - 8,
                fill=BAR,
            )
            + element(
                "text",
                _number(value) + unit,
                x=f"{label_width + length + 6:.1f}",
                y=y + 17,
                font_size=13,
                fill=INK,
            )
        )
    return svg(chart_id, title, width, height, Markup("").join(parts))


def paired_columns(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
) -> Markup:
    """Two columns per label (e.g. requested and delivered per month): the first
    series hatched, the second solid, with a legend naming both."""
    first, second = series
    left, plot_height, top, bottom = 48, 200, 34, 48
    slot = max(18, min(56, 560 // max(1, len(labels))))
    width = left + slot * len(labels) + 12
    height = top + plot_height + bottom
    most = nice_maximum(max([*first[1], *second[1], 0]))
    pattern = element(
        "defs",
        element(
            "pattern",
            element("rect", width=6, height=6, fill="#ffffff")
            + element("path", d="M0 6 L6 0", stroke=HATCH, stroke_width=1.5),
            id=f"{chart_id}-hatch",
            width=6,
            height=6,
            patternUnits="userSpaceOnUse",
        ),
    )
    hatched = f"url(#{chart_id}-hatch)"
    parts = [pattern, _legend(first[0], second[0], hatched)]
    parts.append(_horizontal_grid(most, left, width - 12, top, plot_height))
    column = (slot - 6) / 2
    every = math.ceil(len(labels) / 14)  # keep month labels from overlapping
    shown_below = None
    for n, label in enumerate(labels):
        x = left + n * slot + 3
        for k, (name, values) in enumerate(series):
            value = values[n]
            tall = plot_height * value / most
            parts.append(
                element(
                    "rect",
                    element("title", f"{label}: {_number(value)} {name}"),
                    x=f"{x + k * column:.1f}",
                    y=f"{top + plot_height - tall:.1f}",
                    width=f"{column:.1f}",
                    height=f"{tall:.1f}",
                    fill=hatched if k == 0 else BAR,
                    stroke=HATCH if k == 0 else None,
                )
            )
        # "Mar 2026" is written "Mar", with the year beneath where it changes.
        first_line, _, second_line = label.partition(" ")
        lines = [(first_line, 16)] if n % every == 0 else []
        if second_line != shown_below:
            lines.append((second_line, 30))
            shown_below = second_line
        for text, below in lines:
            parts.append(
                element(
                    "text",
                    text,
                    x=f"{x + column:.1f}",
                    y=top + plot_height + below,
                    text_anchor="middle",
                    font_size=11,
                    fill=INK,
                )
            )
    return svg(chart_id, title, width, height, Markup("").join(parts))


def _legend(first: str, second: str, hatched: str) -> Markup:
    return (
        element("rect", x=48, y=6, width=14, height=14, fill=hatched, stroke=HATCH)
        + element("text", first, x=68, y=18, font_size=13, fill=INK)
        + element("rect", x=190, y=6, width=14, height=14, fill=BAR)
        + element("text", second, x=210, y=18, font_size=13, fill=INK)
    )


def _vertical_grid(
    most: float, left: float, span: float, top: float, end: float
) -> Markup:
    lines = []
    for step in range(5):
        x = left + span * step / 4
        lines.append(
            element("line", x1=f"{x:.1f}", x2=f"{x:.1f}", y1=top, y2=end, stroke=GRID)
            + element(
                "text",
                _number(most * step / 4),
                x=f"{x:.1f}",
                y=top - 8,
                text_anchor="middle",
                font_size=11,
                fill=INK,
            )
        )
    return Markup("").join(lines)


def _horizontal_grid(
    most: float, left: float, right: float, top: float, height: float
) -> Markup:
    lines = []
    for step in range(5):
        y = top + height - height * step / 4
        lines.append(
            element(
                "line", x1=left, x2=right, y1=f"{y:.1f}", y2=f"{y:.1f}", stroke=GRID
            )
            + element(
                "text",
                _number(most * step / 4),
                x=left - 6,
                y=f"{y + 4:.1f}",
                text_anchor="end",
                font_size=11,
                fill=INK,
            )
        )
    return Markup("").join(lines)


def _shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def dashboard_charts(report: CoverageReport) -> dict[str, Markup]:
    """The dashboard's three charts, each drawn from the table beside it."""
    return {
        "regions": bar_chart(
            "chart-regions",
            "Share of active groups served, by nation or region",
            [
                (row.name, round(100 * (row.served_share or 0)))
                for row in report.regions
            ],
            unit="%",
        ),
        "topics": bar_chart(
            "chart-topics",
            "Sessions delivered, by topic",
            [(row.name, row.sessions_delivered) for row in report.topics],
        ),
        "months": paired_columns(
            "chart-months",
            "Requests made and sessions delivered, by month",
            [row.month.label for row in report.by_month],
            [
                ("requested", [row.requests_made for row in report.by_month]),
                ("delivered", [row.sessions_delivered for row in report.by_month]),
            ],
        ),
    }
