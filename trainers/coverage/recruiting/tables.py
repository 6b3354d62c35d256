"""The cold spots' tables as CSV downloads: groups, regions and districts."""

from datetime import datetime

from trainers.coverage.recruiting.coldspots import ColdSpotReport
from trainers.geo import place_name
from trainers.timeutil import to_local


def group_table(report: ColdSpotReport) -> tuple[list[str], list[tuple]]:
    """The ranked cold-spot groups as CSV header and rows."""
    header = [
        "Rank",
        "Group",
        "Region",
        "Postcode district",
        "Unreachable requests",
        "Topics",
        "Waiting since",
        "Days waiting",
        "Last trained",
    ]
    rows = [
        (
            rank,
            group.name,
            group.region,
            group.district,
            group.unserved_requests,
            "; ".join(f"{t.name} ({t.unserved_requests})" for t in group.topics),
            _day(group.waiting_since),
            group.waiting_days,
            _day(group.last_trained_at) if group.last_trained_at else "never",
        )
        for rank, group in enumerate(report.groups, start=1)
    ]
    return header, rows


def region_table(report: ColdSpotReport) -> tuple[list[str], list[tuple]]:
    """The regions roll-up as CSV header and rows."""
    header = [
        "Nation or region",
        "Open requests",
        "Unreachable requests",
        "Share unreachable (%)",
        "Cold-spot groups",
    ]
    rows = [
        (
            row.region,
            row.demand_requests,
            row.unserved_requests,
            "" if row.share is None else f"{row.share * 100:.1f}",
            row.cold_groups,
        )
        for row in report.regions
    ]
    return header, rows


def district_table(report: ColdSpotReport) -> tuple[list[str], list[tuple]]:
    """The districts to recruit in as CSV header and rows."""
    header = [
        "Rank",
        "Postcode district",
        "Place",
        "Region",
        "Groups brought within reach",
        "Unreachable requests they have",
        "Groups (km away: topics)",
    ]
    rows = [
        (
            district.rank,
            district.place.district,
            place_name(district.place),
            district.place.region,
            len(district.groups),
            district.unserved_requests,
            "; ".join(
                f"{entry.group.name} ({entry.km:.0f} km: "
                f"{', '.join(t.name for t in entry.group.topics)})"
                for entry in district.groups
            ),
        )
        for district in report.districts
    ]
    return header, rows


def _day(moment: datetime) -> str:
    return to_local(moment).date().isoformat()


# Each download of the cold-spots page, by the name in its path.
COLD_SPOT_TABLES = {
    "groups": group_table,
    "regions": region_table,
    "districts": district_table,
}
