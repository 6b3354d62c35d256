"""Reading trainers' own calendars from a real server on loopback: repeating
events with their exceptions, other time zones, all-day and free events, a
feed that goes away, one that has not changed, one too big, one that leads
elsewhere; and only times are kept."""

import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.board.conftest import NOW
from tests.busy.feeds import Answer, ics
from trainers.busy import services
from trainers.busy.jobs import read_busy_feeds
from trainers.busy.models import BusyFeed, BusyInterval
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.timeutil import utcnow

EVERY = timedelta(minutes=20)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def linked(trainer, url: str) -> BusyFeed:
    feed = services.set_feed(trainer.id, url, utcnow())
    db.session.commit()
    return feed


def busy(trainer) -> list[tuple[datetime, datetime]]:
    return [
        (row.starts_at, row.ends_at)
        for row in db.session.scalars(
            select(BusyInterval)
            .where(BusyInterval.trainer_id == trainer.id)
            .order_by(BusyInterval.starts_at)
        )
    ]


def feed_of(trainer) -> BusyFeed:
    return db.session.scalar(select(BusyFeed).where(BusyFeed.trainer_id == trainer.id))


def test_a_weekly_event_keeps_its_exceptions(world, feeds):
    linked(world.priya, feeds.serve("/priya.ics", ics("weekly_with_exceptions.ics")))

    assert read_busy_feeds(utcnow()) == "read 1, unchanged 0, failed 0"

    # Tuesdays 18:00-19:00 in London (17:00 UTC in summer): 8 June left out
    # (EXDATE), 15 June moved to Wednesday 16th, 22 June cancelled.
    assert busy(world.priya) == [
        (utc(2027, 6, 1, 17), utc(2027, 6, 1, 18)),
        (utc(2027, 6, 16, 17), utc(2027, 6, 16, 18)),
        (utc(2027, 6, 29, 17), utc(2027, 6, 29, 18)),
        (utc(2027, 7, 6, 17), utc(2027, 7, 6, 18)),
    ]
    feed = feed_of(world.priya)
    assert feed.last_success_at == NOW and feed.failing_since is None
    assert feed.next_fetch_at == NOW + EVERY


def test_other_time_zones_and_the_calendars_own_are_read(world, feeds):
    linked(world.priya, feeds.serve("/away.ics", ics("other_time_zones.ics")))

    read_busy_feeds(utcnow())

    assert busy(world.priya) == [
        # 19:00 in Berlin (CEST) is 17:00 UTC.
        (utc(2027, 6, 15, 17), utc(2027, 6, 15, 18)),
        # No zone given, so X-WR-TIMEZONE's: 14:00 in New York (EDT) is 18:00 UTC.
        (utc(2027, 6, 22, 18), utc(2027, 6, 22, 19)),
    ]


def test_free_and_cancelled_events_are_not_busy_and_all_day_ones_are(world, feeds):
    linked(world.priya, feeds.serve("/outlook.ics", ics("free_and_all_day.ics")))

    read_busy_feeds(utcnow())

    assert busy(world.priya) == [
        # Away all day on 8 June: the London day, midnight to midnight (BST).
        (utc(2027, 6, 7, 23), utc(2027, 6, 8, 23)),
        # The dentist (BUSY); not the transparent birthday or reminder, the
        # Outlook FREE drinks, or the cancelled meeting.
        (utc(2027, 6, 29, 17), utc(2027, 6, 29, 18)),
    ]


def test_only_the_times_are_kept(world, feeds):
    linked(world.priya, feeds.serve("/priya.ics", ics("weekly_with_exceptions.ics")))

    read_busy_feeds(utcnow())

    columns = set(BusyInterval.__table__.columns.keys())
    assert columns == {"id", "trainer_id", "starts_at", "ends_at"}
    assert len(busy(world.priya)) == 4


def test_an_unchanged_feed_answers_304_and_its_busy_times_stay(world, feeds, clock):
    linked(
        world.priya,
        feeds.serve("/priya.ics", ics("weekly_with_exceptions.ics"), etag='"v1"'),
    )
    read_busy_feeds(utcnow())
    before = busy(world.priya)
    ids = db.session.scalars(select(BusyInterval.id)).all()

    clock.advance(EVERY)
    assert read_busy_feeds(utcnow()) == "read 0, unchanged 1, failed 0"

    assert feeds.seen == [("/priya.ics", None), ("/priya.ics", '"v1"')]
    # Not even re-written: the same rows.
    assert busy(world.priya) == before
    assert db.session.scalars(select(BusyInterval.id)).all() == ids
    assert feed_of(world.priya).last_success_at == NOW + EVERY


def test_a_feed_is_read_only_when_due(world, feeds, clock):
    linked(world.priya, feeds.serve("/priya.ics", ics("weekly_with_exceptions.ics")))
    read_busy_feeds(utcnow())

    clock.advance(EVERY - timedelta(minutes=1))
    assert read_busy_feeds(utcnow()) == "read 0, unchanged 0, failed 0"
    clock.advance(timedelta(minutes=1))
    assert read_busy_feeds(utcnow()) == "read 1, unchanged 0, failed 0"
    assert len(feeds.seen) == 2


def test_a_new_feed_replaces_the_busy_times_all_at_once(world, feeds, clock):
    url = feeds.serve("/priya.ics", ics("weekly_with_exceptions.ics"))
    linked(world.priya, url)
    read_busy_feeds(utcnow())
    feeds.serve("/priya.ics", ics("other_time_zones.ics"))

    clock.advance(EVERY)
    read_busy_feeds(utcnow())

    assert busy(world.priya) == [
        (utc(2027, 6, 15, 17), utc(2027, 6, 15, 18)),
        (utc(2027, 6, 22, 18), utc(2027, 6, 22, 19)),
    ]


def failing_feed_lifecycle(world, feeds, clock, mailbox, gone):
    """A feed read well, then `gone()`: its busy times stay, it is known until
    BUSY_STALE_HOURS pass without a good read, and its trainer is emailed once."""
    linked(world.priya, feeds.serve("/priya.ics", ics("weekly_with_exceptions.ics")))
    read_busy_feeds(utcnow())
    kept = busy(world.priya)
    gone()

    for _ in range(3):
        clock.advance(EVERY)
        assert read_busy_feeds(utcnow()) == "read 0, unchanged 0, failed 1"

    feed = feed_of(world.priya)
    assert feed.failing_since == NOW + EVERY
    assert busy(world.priya) == kept
    state = services.calendar_state(world.priya.id, utcnow())
    assert not state.is_unknown
    clock.set(NOW + timedelta(hours=6, seconds=1))
    read_busy_feeds(utcnow())
    assert services.calendar_state(world.priya.id, utcnow()).is_unknown
    (told,) = mailbox.to(world.priya.email)
    assert told["Subject"] == "We cannot read your calendar"
    body = told.get_body(("plain",)).get_content()
    assert "(127.0.0.1 ….ics)" in body
    assert "/priya.ics" not in body  # the secret address is never repeated
    assert "the busy times we read from it before still count" in body
    return feed


def test_a_feed_that_goes_away_is_unknown_after_the_stale_time(
    world, feeds, clock, mailbox
):
    def gone():
        del feeds.answers["/priya.ics"]

    feed = failing_feed_lifecycle(world, feeds, clock, mailbox, gone)
    assert feed.last_error == "The calendar's server answered 404."


def test_a_server_that_refuses_connections_is_unknown_after_the_stale_time(
    world, feeds, clock, mailbox
):
    def gone():
        # A port nothing listens on, on the same loopback address.
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        feed = feed_of(world.priya)
        feed.url = f"http://127.0.0.1:{port}/priya.ics"
        db.session.commit()

    feed = failing_feed_lifecycle(world, feeds, clock, mailbox, gone)
    assert "could not be reached" in feed.last_error


def test_a_feed_never_read_is_unknown_at_its_first_failure(world, feeds, mailbox):
    linked(world.priya, feeds.url("/nothing-here.ics"))
    assert not services.calendar_state(world.priya.id, utcnow()).is_unknown

    read_busy_feeds(utcnow())

    assert services.calendar_state(world.priya.id, utcnow()).is_unknown
    (told,) = mailbox.to(world.priya.email)
    body = told.get_body(("plain",)).get_content()
    assert "It has never been read, so until it can be, the office is told" in body


def test_a_good_read_after_failing_clears_it_and_a_new_failure_tells_again(
    world, feeds, clock, mailbox
):
    linked(world.priya, feeds.url("/priya.ics"))
    read_busy_feeds(utcnow())
    feeds.serve("/priya.ics", ics("weekly_with_exceptions.ics"))
    clock.advance(EVERY)
    read_busy_feeds(utcnow())
    feed = feed_of(world.priya)
    assert feed.failing_since is None and feed.failure_told_at is None
    del feeds.answers["/priya.ics"]
    clock.advance(EVERY)
    read_busy_feeds(utcnow())

    assert len(mailbox.to(world.priya.email)) == 2


@pytest.mark.parametrize("is_chunked", [False, True])
def test_a_huge_feed_is_refused_by_its_size(world, feeds, app, is_chunked):
    app.config["BUSY_FEED_MAX_BYTES"] = 50 * 1024
    padding = b"X-PADDING:" + b"x" * 70 + b"\r\n"
    body = ics("weekly_with_exceptions.ics").replace(
        b"END:VCALENDAR", padding * 2000 + b"END:VCALENDAR"
    )
    feeds.answers["/huge.ics"] = Answer(200, body, is_chunked=is_chunked)
    linked(world.priya, feeds.url("/huge.ics"))

    assert read_busy_feeds(utcnow()) == "read 0, unchanged 0, failed 1"

    assert feed_of(world.priya).last_error == "The calendar is larger than 50 kB."
    assert busy(world.priya) == []


def test_a_feed_with_too_many_busy_times_is_refused(world, feeds, app):
    app.config["BUSY_FEED_MAX_INTERVALS"] = 3
    linked(world.priya, feeds.serve("/priya.ics", ics("weekly_with_exceptions.ics")))

    read_busy_feeds(utcnow())

    assert feed_of(world.priya).last_error == (
        "The calendar has more than 3 busy times in the months ahead."
    )
    assert busy(world.priya) == []


def test_a_feed_that_is_not_icalendar_fails(world, feeds):
    feeds.answers["/page.html"] = Answer(200, b"<html><body>Sign in</body></html>")
    linked(world.priya, feeds.url("/page.html"))

    read_busy_feeds(utcnow())

    assert "does not give an iCalendar file" in feed_of(world.priya).last_error


@pytest.mark.parametrize(
    "private",
    [
        "http://10.0.0.5/cal.ics",
        "http://192.168.1.1/cal.ics",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:10.0.0.5]/cal.ics",
    ],
)
def test_a_redirect_to_a_private_address_is_refused(world, feeds, private):
    # Loopback is allowed in tests (the server is on it); nothing else private.
    feeds.answers["/moved.ics"] = Answer(302, b"", {"Location": private})
    linked(world.priya, feeds.url("/moved.ics"))

    assert read_busy_feeds(utcnow()) == "read 0, unchanged 0, failed 1"

    assert "private, loopback or link-local" in feed_of(world.priya).last_error


def test_redirects_are_followed_a_few_times_only(world, feeds, app):
    feeds.serve("/3.ics", ics("weekly_with_exceptions.ics"))
    for n in (0, 1, 2):
        feeds.answers[f"/{n}.ics"] = Answer(301, b"", {"Location": f"/{n + 1}.ics"})
    linked(world.priya, feeds.url("/0.ics"))
    linked(world.sam, feeds.url("/1.ics"))
    app.config["BUSY_FEED_MAX_REDIRECTS"] = 2

    assert read_busy_feeds(utcnow()) == "read 1, unchanged 0, failed 1"

    assert (
        feed_of(world.priya).last_error == "The address redirected more than 2 times."
    )
    assert len(busy(world.sam)) == 4


def test_in_production_only_public_https_addresses_are_taken(world, app):
    app.config["BUSY_FEEDS_ALLOW_LOOPBACK"] = False
    for url, said in [
        ("http://93.184.215.14/cal.ics", "starting https://"),
        ("https://127.0.0.1/cal.ics", "private, loopback or link-local"),
        ("https://10.1.2.3/cal.ics", "private, loopback or link-local"),
        ("https://user:pw@93.184.215.14/cal.ics", "user name and password"),
    ]:
        with pytest.raises(DomainError, match=said):
            services.set_feed(world.priya.id, url, utcnow())

    feed = services.set_feed(
        world.priya.id, "webcal://93.184.215.14/private-abc123/basic.ics", utcnow()
    )
    assert feed.url == "https://93.184.215.14/private-abc123/basic.ics"
    assert feed.shown == "93.184.215.14 ….ics"
