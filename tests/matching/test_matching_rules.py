from datetime import timedelta

from trainers.matching.rules import TravelSettings, Venue, travel_time

SETTINGS = TravelSettings(speed_kmh=30, min_minutes=30)
HASTINGS = Venue(False, 50.86504, 0.58226)
STOCKPORT = Venue(False, 53.40764, -2.15158)


def test_travel_takes_distance_at_the_configured_speed():
    assert travel_time(HASTINGS, STOCKPORT, SETTINGS) > timedelta(hours=11)


def test_travel_is_at_least_the_minimum_gap():
    assert travel_time(HASTINGS, HASTINGS, SETTINGS) == timedelta(minutes=30)


def test_online_sessions_need_no_travel():
    assert travel_time(Venue(True), HASTINGS, SETTINGS) == timedelta(0)


def test_a_venue_without_coordinates_gets_the_minimum_gap_not_a_crash():
    assert travel_time(Venue(False), HASTINGS, SETTINGS) == timedelta(minutes=30)
