import pytest

from trainers.geo import (
    REGIONS,
    UnknownPostcode,
    all_districts,
    distance_km,
    format_postcode,
    locate,
)


@pytest.mark.parametrize(
    ("text", "district", "region"),
    [
        ("TN34", "TN34", "South East"),
        ("tn34 1aa", "TN34", "South East"),
        ("  SK1  3XE ", "SK1", "North West"),
        ("E8", "E8", "London"),
        ("e81ds", "E8", "London"),
        ("BT7 1NN", "BT7", "Northern Ireland"),
        ("EH1 1YZ", "EH1", "Scotland"),
        ("CF10 1EP", "CF10", "Wales"),
        ("W1A 1AA", "W1A", "London"),
    ],
)
def test_postcodes_and_districts_locate_to_their_district(text, district, region):
    place = locate(text)
    assert (place.district, place.region) == (district, region)


def test_unknown_district_names_itself():
    with pytest.raises(UnknownPostcode, match="postcode district ZZ9"):
        locate("ZZ9 9ZZ")


@pytest.mark.parametrize("text", ["", "hello", "12345", "TN34 1A", "TN34-1AA", "T"])
def test_text_not_shaped_like_a_postcode_is_refused(text):
    with pytest.raises(UnknownPostcode, match="not a UK postcode"):
        locate(text)


def test_postcodes_are_written_the_usual_way():
    assert format_postcode("tn341aa") == "TN34 1AA"
    assert format_postcode(" sk1 ") == "SK1"


def test_every_district_has_one_of_the_twelve_regions():
    districts = all_districts()
    assert len(districts) == 2944
    assert {place.region for place in districts.values()} == set(REGIONS)


@pytest.mark.parametrize(
    ("a", "b", "grid_km"),
    [
        # Straight-line distances on the Ordnance Survey grid, from the
        # districts' eastings and northings in the same table: an independent
        # measure (the grid's scale error is under 0.1% in Great Britain).
        ("TN34", "SK1", 339.09),
        ("E8", "TN34", 88.06),
        ("EH1", "CF10", 498.04),
    ],
)
def test_distances_are_great_circle_kilometres(a, b, grid_km):
    p, q = locate(a), locate(b)
    km = distance_km(p.latitude, p.longitude, q.latitude, q.longitude)
    assert km == pytest.approx(grid_km, rel=0.005)


def test_a_place_is_no_distance_from_itself():
    assert distance_km(51.5, -0.1, 51.5, -0.1) == 0
