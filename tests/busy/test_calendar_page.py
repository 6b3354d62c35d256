"""The trainer's own calendar on their profile: link, change and remove its
secret address, see what is known of it; the address is never shown back in
full, nor logged."""

import logging

from sqlalchemy import func, select

from tests.busy.feeds import ics
from trainers.busy.jobs import read_busy_feeds
from trainers.busy.models import BusyFeed, BusyInterval
from trainers.extensions import db
from trainers.timeutil import utcnow

SECRET = "/calendar/ical/priya%40example.org/private-5f2a9c81d3e4b7a6/basic.ics"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def page(browser, trainer) -> str:
    response = browser.get(f"/trainers/{trainer.id}/profile/calendar")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_trainer_links_their_calendar_and_sees_what_is_known(
    world, feeds, client_for, clock
):
    browser = client_for(world.priya)
    profile = browser.get(f"/trainers/{world.priya.id}/profile").get_data(as_text=True)
    assert "No calendar linked" in profile
    assert "Link your own calendar" in profile
    url = feeds.serve(SECRET, ics("weekly_with_exceptions.ics"))

    response = browser.post(
        f"/trainers/{world.priya.id}/profile/calendar", data={"url": f"  {url} "}
    )

    assert response.status_code == 302
    feed = db.session.scalar(select(BusyFeed))
    assert (feed.trainer_id, feed.url) == (world.priya.id, url)
    shown = page(browser, world.priya)
    assert "Calendar address saved" in shown
    assert "Waiting for its first read" in shown
    assert "127.0.0.1 ….ics" in shown
    assert "private-5f2a9c81d3e4b7a6" not in shown

    read_busy_feeds(utcnow())

    profile = browser.get(f"/trainers/{world.priya.id}/profile").get_data(as_text=True)
    assert "Read" in profile
    assert "<dd>4 in the months ahead." in profile
    assert "busy in your calendar" in profile
    assert "private-5f2a9c81d3e4b7a6" not in profile


def test_the_office_sees_the_state_but_not_the_address(world, feeds, client_for, clock):
    url = feeds.url(SECRET)
    client_for(world.priya).post(
        f"/trainers/{world.priya.id}/profile/calendar", data={"url": url}
    )
    read_busy_feeds(utcnow())

    shown = client_for(world.office).get(f"/trainers/{world.priya.id}/profile")

    text = shown.get_data(as_text=True)
    assert "Their own calendar" in text
    assert "badge-unknown" in text
    assert "The calendar&#39;s server answered 404." in text
    assert "private-5f2a9c81d3e4b7a6" not in text


def test_a_bad_address_is_refused_beside_the_field(world, client_for, app):
    app.config["BUSY_FEEDS_ALLOW_LOOPBACK"] = False
    browser = client_for(world.priya)
    for url, said in [
        ("", "Paste your calendar&#39;s secret address"),
        ("http://calendar.example.org/basic.ics", "starting https://"),
        ("https://10.0.0.8/basic.ics", "private, loopback or link-local"),
    ]:
        response = browser.post(
            f"/trainers/{world.priya.id}/profile/calendar", data={"url": url}
        )
        text = response.get_data(as_text=True)
        assert response.status_code == 200
        assert said in text
        assert 'id="url-error"' in text and 'aria-invalid="true"' in text
    assert count(BusyFeed) == 0


def test_removing_the_calendar_forgets_its_busy_times(world, feeds, client_for):
    browser = client_for(world.priya)
    url = feeds.serve(SECRET, ics("weekly_with_exceptions.ics"))
    browser.post(f"/trainers/{world.priya.id}/profile/calendar", data={"url": url})
    read_busy_feeds(utcnow())
    assert count(BusyInterval) == 4
    assert "Remove the address and its busy times" in page(browser, world.priya)

    response = browser.post(f"/trainers/{world.priya.id}/profile/calendar/remove")

    assert response.status_code == 302
    assert (count(BusyFeed), count(BusyInterval)) == (0, 0)
    assert "No calendar linked" in page(browser, world.priya)


def test_another_trainer_cannot_touch_the_calendar(world, client_for):
    browser = client_for(world.sam)

    assert (
        browser.get(f"/trainers/{world.priya.id}/profile/calendar").status_code == 404
    )
    response = browser.post(
        f"/trainers/{world.priya.id}/profile/calendar",
        data={"url": "http://127.0.0.1:9/x.ics"},
    )
    assert response.status_code == 404
    assert count(BusyFeed) == 0


def test_the_secret_address_is_never_logged(world, feeds, client_for, caplog):
    caplog.set_level(logging.DEBUG)
    browser = client_for(world.priya)
    browser.post(
        f"/trainers/{world.priya.id}/profile/calendar",
        data={"url": feeds.url(SECRET)},
    )
    read_busy_feeds(utcnow())  # a 404, so it fails and is logged as failing
    feeds.serve(SECRET, ics("weekly_with_exceptions.ics"))
    db.session.scalar(select(BusyFeed)).next_fetch_at = utcnow()
    db.session.commit()
    read_busy_feeds(utcnow())

    assert "Calendar feed" in caplog.text
    assert "private-5f2a9c81d3e4b7a6" not in caplog.text
