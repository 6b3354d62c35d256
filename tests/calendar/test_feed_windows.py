"""What a feed holds: the sessions in its window (a personal feed's, or the
office's own, shorter one), and never a session its trainer handed back."""

from datetime import UTC, datetime, timedelta

import pytest

from tests import calendar_parsers
from trainers.calendar import feed, feed_links
from trainers.extensions import db
from trainers.requests.models import RequestSlot, TrainingRequest
from trainers.sessions.services import book_session, hand_back_session

calendar_parsers.require_parsers()

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
LENGTH = timedelta(minutes=90)
# Just outside or inside a window's end: a session's length apart, as one
# trainer's sessions may not overlap.
STEP = timedelta(hours=2)


@pytest.fixture
def people(make_group, make_topic, make_user, make_trainer):
    group = make_group("Hastings Action", "TN34")
    topic = make_topic("Phone banking")
    organiser = make_user("org@example.org", "Ann Organiser", groups=[group])
    office = make_user("office@example.org", "The Office", office=True)
    trainer = make_trainer("trainer@example.org", topics=[topic])
    other = make_trainer("other@example.org", topics=[topic])
    tokens = {
        person: feed_links.start_feed(person, NOW)
        for person in (trainer, other, organiser, office)
    }
    db.session.commit()
    return {
        "group": group,
        "topic": topic,
        "trainer": trainer,
        "other": other,
        "organiser": organiser,
        "office": office,
        "tokens": tokens,
    }


def book(people, starts_at):
    """The trainer's session for the group at `starts_at`, with its own request."""
    training_request = TrainingRequest(
        group=people["group"],
        topic=people["topic"],
        status="booked",
        expected_attendance=10,
        venue_postcode="TN34 1AA",
        venue_address="The Library",
        slots=[RequestSlot(starts_at=starts_at, ends_at=starts_at + LENGTH)],
    )
    db.session.add(training_request)
    db.session.flush()
    training_session = book_session(
        training_request,
        people["trainer"].id,
        starts_at,
        starts_at + LENGTH,
        NOW,
    )
    db.session.commit()
    return training_session


def carry_on(handed_back, trainer):
    """The next trainer booked at the handed-back session's time, as matching
    books them: the same request and event."""
    training_session = book_session(
        handed_back.training_request,
        trainer.id,
        handed_back.starts_at,
        handed_back.ends_at,
        NOW,
        continuing=handed_back,
    )
    db.session.commit()
    return training_session


def events(people, person, now=NOW) -> list[dict]:
    """The events of `person`'s feed as both parsers read them (which must agree)."""
    body, _ = feed.feed_for_token(people["tokens"][people[person]], now)
    readings = calendar_parsers.parse_with_all(body)
    for reading in readings.values():
        assert calendar_parsers.problems(reading) == []
    assert readings["ical.js"]["events"] == readings["libical"]["events"]
    return readings["libical"]["events"]


def starts(people, person, now=NOW) -> list[str]:
    return [event["dtstart"] for event in events(people, person, now)]


def ical_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("person", ["trainer", "organiser"])
def test_a_personal_feed_holds_90_days_back_to_18_months_ahead(people, person):
    first, last = NOW - feed.FEED_PAST, NOW + feed.FEED_AHEAD
    inside = [first, NOW + timedelta(days=30), last - STEP]
    for moment in [first - STEP, *inside, last]:
        book(people, moment)
    assert starts(people, person) == [ical_time(moment) for moment in inside]


def test_the_window_is_about_18_months_ahead():
    assert timedelta(days=540) <= feed.FEED_AHEAD <= timedelta(days=550)
    assert feed.FEED_PAST == timedelta(days=90)


def test_the_office_feed_holds_its_own_shorter_window(people):
    first = NOW - feed.OFFICE_FEED_PAST
    last = NOW + feed.OFFICE_FEED_AHEAD
    inside = [first, last - STEP]
    outside = [first - STEP, last, NOW + timedelta(days=30)]
    for moment in [*inside, *outside]:
        book(people, moment)
    assert starts(people, "office") == [ical_time(moment) for moment in inside]
    # The organiser's feed, over the same sessions, has them all.
    assert len(starts(people, "organiser")) == 5


@pytest.mark.parametrize(
    ("person", "reach"),
    [
        ("trainer", "from 3 months ago to 18 months ahead"),
        ("office", "from 1 day ago to 3 days ahead (the exports hold every session)"),
    ],
)
def test_the_feed_page_says_how_far_the_feed_reaches(people, client_for, person, reach):
    page = client_for(people[person]).get("/account/calendar").get_data(as_text=True)
    assert f"holds the sessions that start {reach}." in " ".join(page.split())


def test_a_handed_back_session_leaves_every_feed(people):
    training_session = book(people, NOW + timedelta(days=2))
    uid = training_session.ical_uid
    hand_back_session(training_session, "Ill", NOW)
    db.session.commit()
    # While it waits for the next trainer, and within the 30 days a cancelled
    # session is kept, no feed shows the handed-back row.
    for person in ("trainer", "organiser", "office"):
        assert events(people, person) == [], person
    # The next trainer carries the event on: each feed has it once, as theirs.
    carry_on(training_session, people["other"])
    for person in ("other", "organiser", "office"):
        (event,) = events(people, person)
        assert (event["uid"], event["sequence"], event["status"]) == (
            uid,
            training_session.ical_sequence + 1,
            "CONFIRMED",
        )
        assert "Trainer: Other" in event["description"]
    assert events(people, "trainer") == []


def test_a_handed_back_session_leaving_the_feed_changes_its_etag(people):
    training_session = book(people, NOW + timedelta(days=2))
    token = people["tokens"][people["organiser"]]
    before = feed.feed_version(token, NOW)
    hand_back_session(training_session, "Ill", NOW)
    db.session.commit()
    after = feed.feed_version(token, NOW)
    assert (before.sessions, after.sessions) == (1, 0)
    assert before.etag != after.etag
