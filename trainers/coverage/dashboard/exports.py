"""The coverage dashboard's tables as CSV downloads."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from trainers.coverage.dashboard.report import CoverageReport
from trainers.coverage.dashboard.values import AreaRow, Recency
from trainers.timeutil import to_local


@dataclass(frozen=True)
class Export:
    """A table as a CSV download: its columns, and its rows from a report."""

    header: tuple[str, ...]
    rows: Callable[[CoverageReport], Iterable[Sequence[object]]]


def _area_rows(rows: list[AreaRow], with_groups: bool) -> Iterator[tuple]:
    for row in rows:
        groups = (row.groups, row.groups_served, _rounded(row.served_share))
        yield (
            row.name,
            *(groups if with_groups else groups[1:2]),
            row.sessions_delivered,
            row.people_trained,
            row.requests_made,
            row.requests_unfilled,
        )


def _session_rows(report: CoverageReport) -> Iterator[tuple]:
    # Each row: when, then group, region, topic, trainer, people and rating.
    for starts_at, *rest in report.delivered_sessions():
        local = to_local(starts_at)
        yield (f"{local:%Y-%m-%d}", f"{local:%H:%M}", *rest)


def _rounded(share: float | None) -> float | None:
    return None if share is None else round(share, 4)


_AREA = ("Sessions delivered", "People trained", "Requests made", "Requests unfilled")
EXPORTS: dict[str, Export] = {
    "summary": Export(
        ("Figure", "Value", "As shown", "How counted"),
        lambda report: (
            (
                f.label,
                _rounded(f.value) if isinstance(f.value, float) else f.value,
                f.text,
                f.how_counted,
            )
            for f in report.figures
        ),
    ),
    "states": Export(
        ("State", "Requests"),
        lambda report: report.requests_by_state,
    ),
    "regions": Export(
        ("Nation or region", "Active groups", "Groups served", "Share served", *_AREA),
        lambda report: _area_rows(report.regions, with_groups=True),
    ),
    "topics": Export(
        ("Topic", "Groups served", *_AREA),
        lambda report: _area_rows(report.topics, with_groups=False),
    ),
    "months": Export(
        ("Month", "Requests made", "Sessions delivered", "People trained"),
        lambda report: (
            (
                f"{row.month.first_day:%Y-%m}",
                row.requests_made,
                row.sessions_delivered,
                row.people_trained,
            )
            for row in report.by_month
        ),
    ),
    "map": Export(
        ("Nation or region", *(bucket.value for bucket in Recency), "Groups"),
        lambda report: (
            (
                region,
                *(counts.get(bucket, 0) for bucket in Recency),
                sum(counts.values()),
            )
            for region, counts in report.map_counts
        ),
    ),
    "groups": Export(
        (
            "Group",
            "Nation or region",
            "Postcode district",
            "Latitude",
            "Longitude",
            "Last trained",
            "Last trained (bucket)",
            "Sessions delivered in range",
        ),
        lambda report: (
            (
                group.name,
                group.region,
                group.district,
                group.latitude,
                group.longitude,
                f"{to_local(group.last_trained_at):%Y-%m-%d}"
                if group.last_trained_at
                else "",
                group.recency.value,
                group.sessions_in_range,
            )
            for group in report.groups
        ),
    ),
    "sessions": Export(
        (
            "Date",
            "Start",
            "Group",
            "Nation or region",
            "Topic",
            "Trainer",
            "People trained",
            "Rating",
        ),
        _session_rows,
    ),
}
