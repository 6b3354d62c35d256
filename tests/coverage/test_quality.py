"""Data-quality queues: who is in each, at the boundaries, and their pages and exports."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

import pytest

from tests.coverage.downloads import fetch, rows_of
from tests.statements import statements_to_show
from trainers.auth.models import Invitation
from trainers.coverage.filters import make_filters
from trainers.coverage.quality.queues import QueueQuery, queue_export, queue_pages
from trainers.extensions import db
from trainers.profiles.models import AvailabilityWindow
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import TrainingSession
from trainers.timeutil import utcnow

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
THIS_YEAR = make_filters(date(2025, 3, 1), date(2026, 3, 2))
_uids = count()


def members(slug: str, asked: QueueQuery) -> list:
    """The first column of every row of one queue's export."""
    _, rows = queue_export(slug, asked)
    return [row[0] for row in rows]


def asked(filters=THIS_YEAR, days=14, now=NOW) -> QueueQuery:
    return QueueQuery(filters, now, days)


@pytest.fixture
def world(make_group, make_topic, make_trainer):
    group = make_group("Hastings Action", "TN34")
    topic = make_topic()
    trainer = make_trainer(topics=[topic])
    return group, topic, trainer


@pytest.fixture
def make_request(world):
    group, topic, _ = world

    def make(status="submitted", changed=NOW - timedelta(days=30), **kw):
        training_request = TrainingRequest(
            group=kw.pop("group", group),
            topic=kw.pop("topic", topic),
            status=status,
            expected_attendance=10,
            created_at=changed,
            status_changed_at=changed,
        )
        db.session.add(training_request)
        db.session.commit()
        return training_request

    return make


@pytest.fixture
def make_session(world, make_request):
    group, topic, trainer = world

    def make(ends_at, status="booked", unknown=False, **kw):
        training_session = TrainingSession(
            training_request=make_request("booked"),
            trainer=trainer,
            group=kw.get("group", group),
            topic=topic,
            status=status,
            starts_at=ends_at - timedelta(hours=2),
            ends_at=ends_at,
            ical_uid=f"quality-{next(_uids)}@trainers.test",
            attendance_unknown_at=ends_at + timedelta(days=14) if unknown else None,
        )
        db.session.add(training_session)
        db.session.commit()
        return training_session

    return make


def test_past_booked_sessions_without_attendance_are_listed_unknown_ones_flagged(
    make_session,
):
    ended = make_session(NOW - timedelta(hours=1))
    given_up = make_session(NOW - timedelta(days=20), unknown=True)
    make_session(NOW + timedelta(hours=3))  # still to come
    make_session(NOW - timedelta(days=2), status="delivered")
    make_session(NOW - timedelta(days=2), status="cancelled")
    make_session(datetime(2025, 2, 28, 12, tzinfo=UTC))  # started before the range

    header, rows = queue_export("sessions-without-attendance", asked())

    assert [row[0] for row in rows] == [given_up.id, ended.id]
    assert header[-1] == "Follow-ups stopped (attendance unknown)"
    assert [row[-1] for row in rows] == ["yes", "no"]


def test_a_session_ending_exactly_now_is_not_yet_listed(make_session):
    make_session(NOW)

    assert members("sessions-without-attendance", asked()) == []


def test_requests_stuck_more_than_n_days_are_listed_exactly_n_is_not(make_request):
    exactly = make_request(changed=NOW - timedelta(days=14))
    just_over = make_request("offered", NOW - timedelta(days=14, seconds=1))
    unfilled = make_request("unfilled", NOW - timedelta(days=40))
    make_request("booked", NOW - timedelta(days=40))
    make_request("cancelled", NOW - timedelta(days=40))
    make_request("delivered", NOW - timedelta(days=40))

    assert members("stuck-requests", asked()) == [unfilled.id, just_over.id]
    assert members("stuck-requests", asked(days=13)) == [
        unfilled.id,
        just_over.id,
        exactly.id,
    ]
    assert members("stuck-requests", asked(days=40)) == []
    _, rows = queue_export("stuck-requests", asked())
    assert [row[4:] for row in rows] == [
        ("unfilled", "2026-01-21 12:00", 40),
        ("offered", "2026-02-16 11:59", 14),
    ]


def test_active_trainers_with_no_availability_are_listed(
    world, make_trainer, make_topic
):
    _, topic, free = world
    free.trainer_profile.availability.append(
        AvailabilityWindow(weekday=0, start_time=time(18), end_time=time(21))
    )
    other = make_topic("Phone banking")
    silent = make_trainer("silent@example.org", district="TN34", topics=[topic])
    make_trainer("far@example.org", district="IV1", topics=[other])
    gone = make_trainer("gone@example.org", topics=[topic])
    gone.is_active = False
    db.session.commit()
    slug = "trainers-without-availability"

    assert members(slug, asked()) == ["Far", "Silent"]
    assert members(
        slug, asked(make_filters(date(2025, 3, 1), NOW.date(), "Scotland"))
    ) == ["Far"]
    by_topic = make_filters(date(2025, 3, 1), NOW.date(), topic_id=topic.id)
    assert members(slug, asked(by_topic)) == ["Silent"]
    silent.trainer_profile.topics[0].level = "shadowing"
    db.session.commit()
    assert members(slug, asked(by_topic)) == ["Silent"]


def test_active_groups_without_an_active_organiser_are_listed(
    make_group, make_user, world
):
    organised, _, _ = world
    make_user("organiser@example.org", groups=[organised])
    orphan = make_group("Orphans", "SK1")
    lapsed = make_group("Lapsed", "IV1")
    make_user("lapsed@example.org", groups=[lapsed], active=False)
    closed = make_group("Closed", "TN35")
    closed.is_active = False
    db.session.add(
        Invitation(
            email="new@example.org",
            name="New",
            role="organiser",
            group=orphan,
            token_hash="1" * 64,
            expires_at=NOW + timedelta(days=3),
        )
    )
    db.session.commit()
    slug = "groups-without-organiser"

    _, rows = queue_export(slug, asked())

    assert [(row[0], row[-1]) for row in rows] == [("Lapsed", "no"), ("Orphans", "yes")]
    later = asked(now=NOW + timedelta(days=4))  # the invitation has expired
    assert [row[-1] for row in queue_export(slug, later)[1]] == ["no", "no"]
    scotland = make_filters(date(2025, 3, 1), NOW.date(), "Scotland")
    assert members(slug, asked(scotland)) == ["Lapsed"]


def test_pages_hold_the_first_rows_and_the_total(make_request):
    for _ in range(3):
        make_request()

    pages = {page.queue.slug: page for page in queue_pages(asked(), limit=2)}

    assert pages["stuck-requests"].total == 3
    assert len(pages["stuck-requests"].rows) == 2
    assert pages["sessions-without-attendance"].total == 0


# The page and exports


def test_the_page_lists_each_queue_with_links_and_the_days_chosen(
    office_browser, make_request, make_session, make_trainer
):
    now = utcnow()
    stuck = make_request(changed=now - timedelta(days=20))
    ended = make_session(now - timedelta(days=1))
    silent = make_trainer("silent@example.org")

    default = office_browser.get("/office/data-quality").get_data(as_text=True)
    month = office_browser.get("/office/data-quality?days=30").get_data(as_text=True)

    assert f'href="/requests/{stuck.id}"' in default
    assert f'href="/sessions/{ended.id}"' in default
    assert f'href="/trainers/{silent.id}/profile"' in default
    assert 'href="/office/groups/' in default  # the group has no organiser
    assert "more than 14 days" in default
    assert f'href="/requests/{stuck.id}"' not in month
    assert "/office/data-quality/sessions-without-attendance.csv?" in month
    assert "days=30" in month


def test_every_queue_exports_with_filters_and_neutralised_cells(
    office_browser, make_group, make_topic, make_trainer
):
    make_group("-2+3 Collective", "SK1")
    make_group("Hastings Action", "TN34")
    make_trainer("at@example.org")
    paths = {
        slug: f"/office/data-quality/{slug}.csv?region=North+West"
        for slug in (
            "sessions-without-attendance",
            "stuck-requests",
            "trainers-without-availability",
            "groups-without-organiser",
        )
    }

    responses = {slug: fetch(office_browser, path) for slug, path in paths.items()}

    for response in responses.values():
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
    header, *body = rows_of(responses["groups-without-organiser"])
    assert header[0] == "Group"
    assert body == [["'-2+3 Collective", "SK1", "North West", body[0][3], "no"]]
    assert rows_of(responses["trainers-without-availability"])[1:] == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("days=0", "Enter a whole number of days from 1 to 365."),
        ("days=366", "Enter a whole number of days from 1 to 365."),
        ("days=lots", "Not a valid integer value."),
        ("to=2020-13-01", "Enter a date as year-month-day"),
        ("region=Mars", "Choose a nation or region from the list."),
    ],
)
@pytest.mark.parametrize(
    "path", ["/office/data-quality", "/office/data-quality/stuck-requests.csv"]
)
def test_bad_input_is_refused_with_a_message(office_browser, path, query, message):
    response = office_browser.get(f"{path}?{query}")

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_days_at_the_limits_are_accepted(office_browser):
    assert office_browser.get("/office/data-quality?days=1").status_code == 200
    assert office_browser.get("/office/data-quality?days=365").status_code == 200


def test_only_the_office_sees_the_queues(client, client_for, make_user, make_group):
    group = make_group()
    organiser = make_user("organiser@example.org", groups=[group])
    trainer = make_user("trainer@example.org", trainer=True)
    for path in (
        "/office/data-quality",
        "/office/data-quality/groups-without-organiser.csv",
    ):
        assert client.get(path).status_code == 302
        assert client_for(organiser).get(path).status_code == 403
        assert client_for(trainer).get(path).status_code == 403


def test_the_page_makes_as_many_statements_for_five_rows_as_for_one(
    office_browser, make_request, make_session, make_trainer, make_group
):
    now = utcnow()

    def add(n: int) -> None:
        make_request(changed=now - timedelta(days=20))
        # Two hours apart: the trainer's sessions may not overlap.
        make_session(now - timedelta(days=1, hours=2 * n))
        make_trainer(f"silent{n}@example.org")
        make_group(f"Orphans {n}", "SK1")

    add(0)
    one = statements_to_show(office_browser, "/office/data-quality")
    for n in range(1, 5):
        add(n)
    five = statements_to_show(office_browser, "/office/data-quality")

    assert one == five
