"""Pages that only read run without a transaction (web.py); the rest keep one."""

from contextlib import contextmanager

from sqlalchemy import event

from trainers.calendar.feed_links import start_feed
from trainers.extensions import db
from trainers.timeutil import utcnow


@contextmanager
def isolation_levels():
    """The isolation level each statement ran under, as SQLAlchemy was asked."""
    seen = []

    def note(connection, cursor, statement, *args):
        seen.append(connection.get_execution_options().get("isolation_level"))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_a_read_only_page_reads_in_autocommit(make_user, make_group, client_for):
    organiser = make_user("org@example.org", groups=[make_group()])
    browser = client_for(organiser)
    with isolation_levels() as seen:
        assert browser.get("/requests/").status_code == 200
    assert seen and set(seen) == {"AUTOCOMMIT"}


def test_a_feed_poll_reads_in_autocommit(make_user, make_group, client):
    organiser = make_user("org@example.org", groups=[make_group()])
    token = start_feed(organiser, utcnow())
    db.session.commit()
    with isolation_levels() as seen:
        first = client.get(f"/calendar/{token}.ics")
        again = client.get(
            f"/calendar/{token}.ics", headers={"If-None-Match": first.headers["ETag"]}
        )
    assert (first.status_code, again.status_code) == (200, 304)
    assert seen and set(seen) == {"AUTOCOMMIT"}


def test_other_pages_and_every_post_keep_their_transaction(
    make_user, make_group, client_for
):
    organiser = make_user("org@example.org", groups=[make_group()])
    browser = client_for(organiser)
    with isolation_levels() as seen:
        assert browser.get("/account/calendar").status_code == 200
        assert browser.post("/account/calendar", data={"action": "start"}).status_code
    assert seen and "AUTOCOMMIT" not in seen
