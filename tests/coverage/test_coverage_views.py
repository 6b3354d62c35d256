"""The dashboard page, its filters, its CSV exports and who may see them."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from tests.coverage.coverage_world import ATTENDEE, INJECTED, at, build_world
from tests.coverage.downloads import rows_of
from trainers.coverage.dashboard.exports import EXPORTS
from trainers.extensions import db
from trainers.network.models import Group
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import TrainingSession

RANGE = "from=2026-02-01&to=2026-04-30"


@pytest.fixture
def world(make_group, make_topic, make_trainer):
    return build_world(make_group, make_topic, make_trainer)


@pytest.fixture
def office(client_for, make_user, world):
    return client_for(make_user("office@example.org", office=True))


def test_the_dashboard_shows_the_figures_charts_map_and_tables(office):
    page = office.get(f"/office/coverage/?{RANGE}").get_data(as_text=True)

    assert "3 of 6" in page  # groups served
    assert "14% (1 of 7)" in page  # unfilled rate
    assert "12 hours" in page and "35 hours" in page  # time to booking
    assert "How counted" in page
    for chart in ("chart-regions", "chart-topics", "chart-months"):
        assert re.search(rf'<svg [^>]*role="img"[^>]*id="{chart}"', page)
        assert f'<title id="{chart}-title">' in page
    # The map holds links (its markers), so it is a group of them, not an image.
    assert re.search(r'<svg [^>]*role="group"[^>]*id="coverage-map"', page)
    # One marker per place (these groups are far apart), each a link to its
    # entry in the list beside the map, which names the group and its date.
    assert page.count("<use href=") == page.count('class="map-marker"') == 6
    assert '<a href="#map-place-1" class="map-marker"' in page
    assert '<li id="map-place-1"><strong>' in page
    # S9 at 23:30 UTC on 30 April was 1 May in London.
    assert "<li>Stockport (SK1): last trained Fri 1 May 2026</li>" in page
    assert "<li>Cardiff (CF10): never trained</li>" in page
    assert '<script src="/static/coverage-map.js" defer></script>' in page
    # Every chart's numbers are in a table too.
    assert "<caption>Requested and delivered, by month</caption>" in page
    assert '<th scope="row">Apr 2026</th>' in page
    assert (
        'href="/office/coverage/sessions.csv?from=2026-02-01&amp;to=2026-04-30"' in page
    )
    # The CSP allows no inline style or script.
    assert 'style="' not in page and "<script>" not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-02-30", "Enter a date as year-month-day"),
        ("from=yesterday", "Enter a date as year-month-day"),
        ("from=2026-04-01&to=2026-03-01", "The end date must be on or after the start"),
        ("from=1999-12-31", "Choose a date between 1 January 2000"),
        ("from=2010-01-01&to=2026-01-01", "Choose a range of at most 10 years"),
        ("region=Atlantis", "Choose a nation or region from the list"),
        ("topic=999999", "Choose a topic from the list"),
        ("topic=phone", "Choose a topic from the list"),
    ],
)
def test_bad_filters_are_refused_with_a_message(office, query, message):
    for path in ("/office/coverage/", "/office/coverage/regions.csv"):
        response = office.get(f"{path}?{query}")

        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert message in page
        assert "error-summary" in page


def test_sessions_export_lists_delivered_sessions_without_attendees(office):
    response = office.get(f"/office/coverage/sessions.csv?{RANGE}")
    rows = rows_of(response)

    assert (
        'filename="coverage-sessions-2026-02-01-to-2026-04-30.csv"'
        in (response.headers["Content-Disposition"])
    )
    assert rows == [
        list(EXPORTS["sessions"].header),
        ["2026-02-28", "23:30", "Hastings Action", "South East", "Door-knocking", "A", "10", "5"],
        ["2026-03-01", "00:30", "Hastings Action", "South East", "Phone banking", "A", "12", "4"],
        ["2026-03-31", "23:30", "Stockport", "North West", "Door-knocking", "B", "7", ""],
        ["2026-04-01", "00:30", "'" + INJECTED, "London", "Phone banking", "A", "20", ""],
        ["2026-04-20", "18:00", "Old Group", "North West", "Door-knocking", "B", "5", ""],
    ]  # fmt: skip
    assert ATTENDEE not in response.get_data(as_text=True)


def test_every_export_neutralises_formulas(office):
    for table in EXPORTS:
        text = office.get(f"/office/coverage/{table}.csv?{RANGE}").get_data(
            as_text=True
        )
        assert not re.search(r'(^|,|")=HYPERLINK', text, re.MULTILINE), table
    groups = rows_of(office.get(f"/office/coverage/groups.csv?{RANGE}"))
    assert ["'" + INJECTED, "London", "E8"] in [row[:3] for row in groups]


def test_exports_apply_the_filters(office, world):
    topic = world.topics["T1"].id
    regions = rows_of(
        office.get(f"/office/coverage/regions.csv?{RANGE}&region=South+East")
    )
    topics = rows_of(office.get(f"/office/coverage/topics.csv?{RANGE}&topic={topic}"))
    months = rows_of(office.get(f"/office/coverage/months.csv?{RANGE}"))
    states = rows_of(office.get(f"/office/coverage/states.csv?{RANGE}&region=Wales"))

    assert regions[1:] == [["South East", "2", "1", "0.5", "2", "22", "5", "0"]]
    assert topics[1:] == [["Door-knocking", "2", "3", "22", "6", "1"]]
    assert months[1:] == [
        ["2026-02", "3", "1", "10"],
        ["2026-03", "4", "2", "19"],
        ["2026-04", "3", "2", "25"],
    ]
    assert dict(states[1:]) == {
        "submitted": "1",
        "offered": "0",
        "booked": "0",
        "delivered": "0",
        "unfilled": "1",
        "cancelled": "0",
    }


def test_summary_and_map_exports(office):
    summary = {
        row[0]: row
        for row in rows_of(office.get(f"/office/coverage/summary.csv?{RANGE}"))
    }
    groups_map = rows_of(office.get(f"/office/coverage/map.csv?{RANGE}&region=Wales"))

    assert summary["Groups served"][1:3] == ["3", "3 of 6"]
    assert summary["People trained"][1] == "54"
    assert summary["Unfilled rate"][1] == "0.1429"
    assert groups_map == [
        ["Nation or region", "within 90 days", "within a year", "over a year ago", "never", "Groups"],
        ["Wales", "0", "0", "0", "1", "1"],
    ]  # fmt: skip


@pytest.mark.parametrize("path", ["/office/coverage/", "/office/coverage/sessions.csv"])
def test_organisers_and_trainers_are_refused(
    client, client_for, make_user, world, path
):
    organiser = make_user("organiser@example.org", groups=[world.groups["G1"]])

    assert client_for(organiser).get(path).status_code == 403
    assert client_for(world.trainers["A"]).get(path).status_code == 403
    assert client.get(path).headers["Location"].startswith("/login")


def test_the_office_nav_links_the_dashboard(office):
    assert 'href="/office/coverage/"' in office.get("/").get_data(as_text=True)


def test_the_statement_count_does_not_grow_with_the_data(office, world):
    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert office.get(f"/office/coverage/?{RANGE}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    small = statements()
    _grow(world, 40)
    assert statements() == small
    assert small <= 12


def _grow(world, count: int) -> None:
    """Add `count` groups, each with a request and a delivered session in range."""
    topic, trainer = world.topics["T1"], world.trainers["B"]
    for n in range(count):
        group = Group(
            name=f"Extra {n}",
            region="Scotland",
            postcode_district="EH1",
            latitude=55.95,
            longitude=-3.19,
        )
        made = TrainingRequest(
            group=group,
            topic=topic,
            status="delivered",
            expected_attendance=5,
            created_at=at("2026-03-02 10:00"),
        )
        # A day apart: the trainer's sessions may not overlap.
        starts = at("2026-03-20 18:00") + timedelta(days=n)
        db.session.add(
            TrainingSession(
                training_request=made,
                group=group,
                topic=topic,
                trainer=trainer,
                status="delivered",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                created_at=at("2026-03-03 10:00"),
                ical_uid=f"extra-{n}@coverage.test",
            )
        )
    db.session.commit()
