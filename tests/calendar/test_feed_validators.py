"""A feed poll is answered from one statement: its ETag stands for everything the
body is drawn from, so it changes whenever the body would, and only then."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from trainers.auth.models import User
from trainers.calendar import feed, feed_links
from trainers.extensions import db
from trainers.requests.models import RequestSlot, TrainingRequest
from trainers.sessions.models import SessionPlace
from trainers.sessions.services import book_session, cancel_session, move_session
from trainers.timeutil import utcnow


@pytest.fixture
def world(make_group, make_topic, make_user, make_trainer):
    """A trainer with a session next week and a session shadowing nobody yet,
    each with a feed link."""
    group = make_group("Hastings Action", "TN34")
    topic = make_topic("Phone banking")
    organiser = make_user("org@example.org", "Ann Organiser", groups=[group])
    trainer = make_trainer("trainer@example.org", topics=[topic])
    learner = make_trainer("learner@example.org")
    now = utcnow()
    session = _book(group, topic, trainer, now + timedelta(days=7), now)
    db.session.commit()
    tokens = {
        person: feed_links.start_feed(person, now)
        for person in (trainer, organiser, learner)
    }
    db.session.commit()
    return {
        "group": group,
        "topic": topic,
        "trainer": trainer,
        "organiser": organiser,
        "learner": learner,
        "session": session,
        "tokens": tokens,
    }


def _book(group, topic, trainer, starts_at, now):
    training_request = TrainingRequest(
        group=group,
        topic=topic,
        status="booked",
        expected_attendance=10,
        venue_postcode="TN34 1AA",
        venue_address="The Library",
        slots=[
            RequestSlot(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2))
        ],
    )
    db.session.add(training_request)
    db.session.flush()
    return book_session(
        training_request, trainer.id, starts_at, starts_at + timedelta(hours=2), now
    )


def _path(world, person="trainer") -> str:
    return f"/calendar/{world['tokens'][world[person]]}.ics"


def _poll(client, path, etag):
    return client.get(path, headers={"If-None-Match": etag})


def test_an_unchanged_feed_answers_304_from_one_statement(world, client, app):
    first = client.get(_path(world))
    assert first.status_code == 200
    assert world["session"].ical_uid.encode() in first.data
    statements = []

    def count(connection, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        again = _poll(client, _path(world), first.headers["ETag"])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert again.status_code == 304
    assert again.data == b""
    assert len(statements) == 1
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "no-store"
    # Polled by date alone, an unchanged feed is not modified either.
    since = {"If-Modified-Since": first.headers["Last-Modified"]}
    assert client.get(_path(world), headers=since).status_code == 304
    # Built again, the body is byte for byte the same.
    assert client.get(_path(world)).data == first.data


def _rename_group(world):
    world["group"].name = "Hastings & Rye Action"


def _rename_topic(world):
    world["topic"].name = "Phone banking for beginners"


def _rename_trainer(world):
    world["trainer"].name = "Trainer Renamed"


def _add_shadow(world):
    db.session.add(
        SessionPlace(
            session_id=world["session"].id,
            place=2,
            trainer_id=world["learner"].id,
            is_shadowing=True,
            is_needed=False,
            filled_at=utcnow(),
        )
    )


def _move(world):
    starts_at = world["session"].starts_at + timedelta(hours=1)
    move_session(world["session"], starts_at, starts_at + timedelta(hours=2), utcnow())


def _cancel(world):
    cancel_session(world["session"], "Venue closed", utcnow())


def _book_another(world):
    now = utcnow()
    _book(
        world["group"], world["topic"], world["trainer"], now + timedelta(days=9), now
    )


def _change_venue_without_touching_updated_at(world):
    world["session"].venue_address = "The Town Hall"


# The request's details and the people's contacts, which the session's row
# does not hold: each drawn into the event, none touching the session.


def _change_notes(world):
    world["session"].training_request.notes = "Bring a laptop."


def _change_access_needs(world):
    world["session"].training_request.accessibility_needs = "Step-free access."


def _change_headcount(world):
    world["session"].training_request.expected_attendance = 25


def _give_the_trainer_a_phone(world):
    world["trainer"].phone = "07700 900333"


def _give_an_organiser_a_phone(world):
    world["organiser"].phone = "07700 900444"


def _rename_an_organiser(world):
    world["organiser"].name = "Ann Renamed"


def _change_an_organisers_email(world):
    world["organiser"].email = "ann@example.org"


def _add_an_organiser(world):
    newcomer = User(email="new@example.org", name="New Organiser", password_hash="-")
    world["group"].organisers.append(newcomer)


def _deactivate_an_organiser(world):
    world["organiser"].is_active = False


@pytest.mark.parametrize(
    "change",
    [
        _rename_group,
        _rename_topic,
        _rename_trainer,
        _add_shadow,
        _move,
        _cancel,
        _book_another,
        _change_venue_without_touching_updated_at,
        _change_notes,
        _change_access_needs,
        _change_headcount,
        _give_the_trainer_a_phone,
        _give_an_organiser_a_phone,
        _rename_an_organiser,
        _change_an_organisers_email,
        _add_an_organiser,
        _deactivate_an_organiser,
    ],
)
def test_any_change_drawn_into_the_feed_changes_its_etag(world, client, change):
    first = client.get(_path(world))
    change(world)
    db.session.commit()
    again = _poll(client, _path(world), first.headers["ETag"])
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert again.data != first.data
    assert _poll(client, _path(world), again.headers["ETag"]).status_code == 304


def test_a_changed_meeting_link_changes_the_etag(world, client):
    world["session"].is_online, world["session"].venue_postcode = True, None
    world["session"].meeting_url = "https://meet.example.org/first"
    db.session.commit()
    first = client.get(_path(world))
    assert b"URL:https://meet.example.org/first" in first.data
    world["session"].meeting_url = "https://meet.example.org/second"
    db.session.commit()
    again = _poll(client, _path(world), first.headers["ETag"])
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert b"URL:https://meet.example.org/second" in again.data


def test_a_new_sender_changes_the_etag(world, client, app):
    first = client.get(_path(world))
    app.config["MAIL_FROM"] = "Network Office <office@trainers.example>"
    again = _poll(client, _path(world), first.headers["ETag"])
    assert again.status_code == 200
    assert b"mailto:office@trainers.example" in again.data


def test_a_renamed_shadow_changes_the_etag(world, client):
    _add_shadow(world)
    db.session.commit()
    first = client.get(_path(world))
    assert b"Learner" in first.data
    world["learner"].name = "Learner Renamed"
    db.session.commit()
    again = _poll(client, _path(world), first.headers["ETag"])
    assert again.status_code == 200
    assert b"Learner Renamed" in again.data


def test_a_session_added_to_a_group_changes_its_organisers_feed(world, client):
    etag = client.get(_path(world, "organiser")).headers["ETag"]
    _book_another(world)
    db.session.commit()
    assert _poll(client, _path(world, "organiser"), etag).status_code == 200


def test_the_shadow_sees_the_session_appear_in_their_feed(world, client):
    etag = client.get(_path(world, "learner")).headers["ETag"]
    _add_shadow(world)
    db.session.commit()
    answer = _poll(client, _path(world, "learner"), etag)
    assert answer.status_code == 200
    assert world["session"].ical_uid.encode() in answer.data


def test_a_session_leaving_the_feeds_window_changes_its_etag(world):
    token = world["tokens"][world["trainer"]]
    now = utcnow()
    inside = feed.feed_version(token, now)
    assert inside.sessions == 1
    later = now + feed.FEED_PAST + timedelta(days=8)
    outside = feed.feed_version(token, later)
    assert outside.sessions == 0
    assert outside.etag != inside.etag


def test_a_cancelled_session_leaving_the_feed_changes_its_etag(world):
    now = utcnow()
    cancel_session(world["session"], "Off", now)
    db.session.commit()
    token = world["tokens"][world["trainer"]]
    kept = feed.feed_version(token, now + feed.CANCELLED_KEPT - timedelta(1))
    gone = feed.feed_version(token, now + feed.CANCELLED_KEPT + timedelta(1))
    assert (kept.sessions, gone.sessions) == (1, 0)
    assert kept.etag != gone.etag


def test_a_renamed_person_changes_the_feeds_name_and_etag(world, client):
    first = client.get(_path(world, "organiser"))
    world["organiser"].name = "Ann Renamed"
    db.session.commit()
    again = _poll(client, _path(world, "organiser"), first.headers["ETag"])
    assert again.status_code == 200
    assert b"Ann Renamed" in again.data


def test_a_rotated_link_has_a_new_etag_and_the_old_one_is_gone(world, client):
    old_path = _path(world)
    etag = client.get(old_path).headers["ETag"]
    world["tokens"][world["trainer"]] = feed_links.start_feed(
        world["trainer"], utcnow()
    )
    db.session.commit()
    assert _poll(client, old_path, etag).status_code == 404
    fresh = _poll(client, _path(world), etag)
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] != etag


def test_a_deactivated_account_has_no_feed(world, client):
    world["trainer"].is_active = False
    db.session.commit()
    assert client.get(_path(world)).status_code == 404


def test_the_office_feed_holds_every_session_once(world, make_user):
    office = make_user("office@example.org", office=True, groups=[world["group"]])
    token = feed_links.start_feed(office, utcnow())
    db.session.commit()
    _add_shadow(world)
    db.session.commit()
    # The day before: inside the office's window, which is short.
    body, _ = feed.feed_for_token(token, world["session"].starts_at - timedelta(days=1))
    assert body.count(b"BEGIN:VEVENT") == 1
    assert b"Learner" in body
