"""Busy is a hard rule: a trainer busy in their own calendar (allowing for the
shortest journey) is not offered, not on the board, not assignable and not in
the plan; an unknown calendar warns the office by default and keeps the
trainer out when BUSY_UNKNOWN_BLOCKS is set."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.board.conftest import FIRST, NOW, SECOND
from tests.booking.conftest import ask, offer_of
from tests.busy.feeds import ics
from trainers.board.services import open_requests
from trainers.busy import services as busy
from trainers.busy.fetching import Fetched
from trainers.busy.jobs import read_busy_feeds
from trainers.busy.models import BusyFeed
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.geo import locate
from trainers.matching import services
from trainers.matching.candidates import UNKNOWN_CALENDAR, find_candidates
from trainers.matching.planning.plans import compare_plans
from trainers.timeutil import utcnow

BUSY = "busy in their calendar"
UNKNOWN = "their calendar is unknown (not read lately)"
HOUR = timedelta(hours=1)


def busy_at(trainer, *times: datetime, length: timedelta = HOUR) -> None:
    """The trainer's calendar, read just now, is busy for `length` from each time."""
    feed = busy.set_feed(trainer.id, "http://127.0.0.1:9/cal.ics", utcnow())
    busy.record_read(
        feed, Fetched(None, None, None), [(t, t + length) for t in times], utcnow()
    )
    db.session.commit()


def unknown_calendar(trainer) -> None:
    """The trainer's calendar failed at its first read."""
    feed = busy.set_feed(trainer.id, "http://127.0.0.1:9/cal.ics", utcnow())
    busy.record_failure(feed, "The calendar's server answered 404.", utcnow())
    db.session.commit()


def excluded(found) -> dict[str, list[str]]:
    return {e.trainer_name: e.broken for e in found.excluded}


def test_a_busy_trainer_is_no_candidate_and_says_why(world):
    training_request = world.ask()
    busy_at(world.priya, FIRST, SECOND)

    found = find_candidates(training_request, NOW, explain=True)

    assert [c.trainer_name for c in found.candidates] == ["Sam Trainer"]
    assert excluded(found)["Priya Trainer"] == [BUSY]


def test_a_busy_time_just_before_an_in_person_slot_leaves_no_time_to_travel(world):
    in_person, online = world.ask(FIRST), world.ask(FIRST, online=True)
    # Busy until 20 minutes before; the shortest journey is 30.
    busy_at(world.priya, FIRST - HOUR - timedelta(minutes=20))

    assert excluded(find_candidates(in_person, NOW, explain=True)) == {
        "Priya Trainer": [BUSY]
    }
    assert "Priya Trainer" in [
        c.trainer_name for c in find_candidates(online, NOW).candidates
    ]


def test_a_busy_trainer_is_not_offered_a_new_request(world, client_for):
    busy_at(world.priya, FIRST, SECOND)

    training_request = ask(world, client_for)

    assert offer_of(world.priya, training_request) is None
    assert offer_of(world.sam, training_request) is not None


def test_the_office_cannot_offer_to_or_assign_a_busy_trainer(world):
    training_request = world.ask(FIRST)
    busy_at(world.priya, FIRST)
    slot = training_request.slots[0]

    with pytest.raises(DomainError, match=BUSY):
        services.offer_to_trainer(
            training_request, world.priya.id, slot.id, world.office, NOW
        )
    with pytest.raises(DomainError, match=BUSY):
        services.assign_trainer(
            training_request, world.priya.id, slot.id, world.office, NOW
        )


def test_the_board_shows_a_busy_trainer_only_the_times_they_are_free(world):
    training_request = world.ask()
    assert [t.starts_at for t in open_requests(world.priya, NOW)[0].times] == [
        FIRST,
        SECOND,
    ]

    busy_at(world.priya, FIRST)
    (line,) = open_requests(world.priya, NOW)
    assert (line.request_id, [t.starts_at for t in line.times]) == (
        training_request.id,
        [SECOND],
    )

    busy_at(world.priya, FIRST, SECOND)
    assert open_requests(world.priya, NOW) == []


def test_the_plan_leaves_out_a_busy_trainer(world):
    # Sam lives a few km away, so the plan (least travel) picks Priya if free.
    profile, place = world.sam.trainer_profile, locate("TN38")
    profile.latitude, profile.longitude = place.latitude, place.longitude
    db.session.commit()
    world.ask(FIRST)
    plan, _ = compare_plans(NOW)
    assert [a.trainer_id for a in plan.assignments] == [world.priya.id]

    busy_at(world.priya, FIRST)
    plan, greedy = compare_plans(NOW)

    assert [a.trainer_id for a in plan.assignments] == [world.sam.id]
    assert [a.trainer_id for a in greedy.assignments] == [world.sam.id]


def test_the_plan_says_a_request_is_left_out_because_its_trainers_are_busy(world):
    training_request = world.ask(FIRST)
    busy_at(world.priya, FIRST)
    busy_at(world.sam, FIRST)

    plan, _ = compare_plans(NOW)

    assert plan.assignments == []
    (unmet,) = plan.unmet
    assert unmet.request_id == training_request.id
    assert "2 busy in their own calendar then" in unmet.reason


def test_a_feed_read_from_the_network_keeps_a_trainer_out(world, feeds):
    url = feeds.serve("/p.ics", ics("other_time_zones.ics"))
    busy.set_feed(world.priya.id, url, NOW)
    db.session.commit()
    world.ask()
    assert len(open_requests(world.priya, NOW)) == 1

    read_busy_feeds(utcnow())

    # Busy 17:00-18:00 UTC on 15 June (Berlin) and 18:00-19:00 on 22 June
    # (New York): both times overlap.
    assert open_requests(world.priya, NOW) == []


def test_an_unknown_calendar_only_warns_by_default(world, client_for):
    training_request = world.ask()
    unknown_calendar(world.priya)

    found = find_candidates(training_request, NOW, explain=True)

    warned = {c.trainer_name: c.warnings for c in found.candidates}
    assert warned == {"Priya Trainer": [UNKNOWN_CALENDAR], "Sam Trainer": []}
    page = client_for(world.office).get(f"/requests/{training_request.id}/matching")
    assert f"Warning: {UNKNOWN_CALENDAR}" in page.get_data(as_text=True)
    assert len(open_requests(world.priya, NOW)) == 1


def test_an_unknown_calendar_blocks_when_set(world, app):
    app.config["BUSY_UNKNOWN_BLOCKS"] = True
    training_request = world.ask(FIRST)
    unknown_calendar(world.priya)

    assert excluded(find_candidates(training_request, NOW, explain=True)) == {
        "Priya Trainer": [UNKNOWN]
    }
    assert open_requests(world.priya, NOW) == []
    with pytest.raises(DomainError, match="calendar is unknown"):
        services.assign_trainer(
            training_request,
            world.priya.id,
            training_request.slots[0].id,
            world.office,
            NOW,
        )
    plan, _ = compare_plans(NOW)
    assert [a.trainer_id for a in plan.assignments] == [world.sam.id]


def test_a_calendar_read_lately_is_known_and_one_stale_is_not(world, clock, app):
    training_request = world.ask(SECOND)
    app.config["BUSY_UNKNOWN_BLOCKS"] = True
    busy_at(world.priya)
    assert "Priya Trainer" not in excluded(
        find_candidates(training_request, NOW, explain=True)
    )

    clock.advance(timedelta(hours=6, minutes=1))

    assert excluded(find_candidates(training_request, utcnow(), explain=True)) == {
        "Priya Trainer": [UNKNOWN]
    }
    feed = db.session.scalar(select(BusyFeed))
    assert feed.is_unknown(utcnow(), timedelta(hours=6))
