"""The coverage map: groups whose markers would overlap are one place, with
their count, named by its town; each marker links to its place in the list."""

from datetime import UTC, datetime

from trainers.coverage.dashboard.map import Marked, coverage_map
from trainers.coverage.dashboard.values import Recency
from trainers.geo import locate

TRAINED = datetime(2026, 1, 10, 12, tzinfo=UTC)


def at(name: str, district: str, recency: Recency, last=TRAINED) -> Marked:
    place = locate(district)
    return Marked(name, district, place.latitude, place.longitude, last, recency)


def test_overlapping_groups_are_one_place_with_their_count_and_town(app):
    groups = [
        at("Hastings Action", "TN34", Recency.WITHIN_90_DAYS),
        at("St Leonards Tenants", "TN38", Recency.NEVER, None),
        at("Inverness Greens", "IV2", Recency.OVER_A_YEAR),
    ]

    drawn = coverage_map(groups, "Groups, UK")

    by_name = {place.name: place for place in drawn.places}
    assert set(by_name) == {"Hastings", "Highland"}
    hastings = by_name["Hastings"]
    # The group waiting longest comes first and gives the marker its shape.
    assert hastings.recency == Recency.NEVER
    assert hastings.said == (
        "St Leonards Tenants (TN38): never trained",
        "Hastings Action (TN34): last trained Sat 10 Jan 2026",
    )
    assert hastings.label == "Hastings (TN34, TN38): 2 groups"
    picture = str(drawn.picture)
    assert picture.count('class="map-marker"') == 2
    assert f'<a href="#{hastings.anchor}" class="map-marker"' in picture
    assert 'aria-label="Hastings (TN34, TN38): 2 groups"' in picture
    assert picture.count('class="map-count"') == 1


def test_zoomed_in_on_a_region_near_groups_are_apart_again(app):
    groups = [
        at("Hastings Action", "TN34", Recency.WITHIN_90_DAYS),
        at("Bexhill Together", "TN39", Recency.WITHIN_A_YEAR),
    ]
    (together,) = coverage_map(groups, "UK").places
    assert together.districts == ("TN34", "TN39")
    apart = coverage_map(groups, "South East", "South East").places
    assert sorted(place.label for place in apart) == [
        "Hastings (TN34): 1 group",
        "Rother (TN39): 1 group",
    ]
