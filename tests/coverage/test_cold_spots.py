"""Cold spots and where to recruit, checked against hand-built places and answers."""

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest

from tests.coverage.downloads import fetch, rows_of
from tests.statements import statements_to_show
from trainers.coverage.filters import make_filters
from trainers.coverage.recruiting.coldspots import cold_spots
from trainers.extensions import db
from trainers.geo import distance_km, locate
from trainers.network.models import Group
from trainers.profiles.models import TrainerTopic
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import TrainingSession
from trainers.timeutil import utcnow

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
THIS_YEAR = make_filters(date(2025, 3, 1), date(2026, 3, 2))
# One degree of latitude along the surface, in km (the haversine's own Earth).
KM_PER_DEGREE_LATITUDE = 111.19508
HOME = (52.0, -1.0)
_emails = count()


def north_of(point: tuple[float, float], km: float) -> tuple[float, float]:
    return point[0] + km / KM_PER_DEGREE_LATITUDE, point[1]


@pytest.fixture
def group_at(app):
    """A group placed by hand: `group_at("Name", (lat, lon))`."""

    def make(name, point, region="West Midlands", district="CV1"):
        group = Group(
            name=name,
            region=region,
            postcode_district=district,
            latitude=point[0],
            longitude=point[1],
        )
        db.session.add(group)
        db.session.commit()
        return group

    return make


@pytest.fixture
def trainer_at(make_user):
    """A trainer at a point: `trainer_at(point, [topic], radius_km=25)`."""

    def make(point, topics, radius_km=25, level="qualified", active=True):
        user = make_user(f"trainer{next(_emails)}@example.org", trainer=True)
        user.is_active = active
        profile = user.trainer_profile
        profile.latitude, profile.longitude = point
        profile.travel_radius_km = radius_km
        for topic in topics:
            profile.topics.append(TrainerTopic(topic=topic, level=level))
        db.session.commit()
        return user

    return make


@pytest.fixture
def ask(app):
    """An open request: `ask(group, topic, made=datetime, status="submitted")`."""

    def make(group, topic, made=NOW - timedelta(days=10), status="submitted", **kw):
        training_request = TrainingRequest(
            group=group,
            topic=topic,
            status=status,
            expected_attendance=10,
            created_at=made,
            status_changed_at=made,
            **kw,
        )
        db.session.add(training_request)
        db.session.commit()
        return training_request

    return make


def names(report) -> list[str]:
    return [group.name for group in report.groups]


def test_a_group_beyond_the_radius_is_cold_and_one_within_it_is_not(
    make_topic, group_at, trainer_at, ask
):
    topic = make_topic()
    trainer_at(HOME, [topic], radius_km=25)
    far = group_at("Thirty km away", north_of(HOME, 30))
    near = group_at("Twenty km away", north_of(HOME, -20))
    assert distance_km(*HOME, far.latitude, far.longitude) == pytest.approx(30, 0.001)
    assert distance_km(*HOME, near.latitude, near.longitude) == pytest.approx(20, 0.001)
    ask(far, topic)
    ask(near, topic)

    report = cold_spots(THIS_YEAR, NOW)

    assert names(report) == ["Thirty km away"]
    assert report.demand_requests == 2
    assert report.unserved_requests == 1
    [cold] = report.groups
    assert [(t.name, t.unserved_requests) for t in cold.topics] == [(topic.name, 1)]
    assert cold.waiting_days == 10


def test_the_radius_is_each_trainers_own(make_topic, group_at, trainer_at, ask):
    topic = make_topic()
    trainer_at(HOME, [topic], radius_km=35)
    ask(group_at("Thirty km away", north_of(HOME, 30)), topic)

    assert cold_spots(THIS_YEAR, NOW).groups == ()


@pytest.mark.parametrize(
    "who",
    ["shadowing", "inactive", "qualified in another topic", "no home district"],
)
def test_only_an_active_trainer_qualified_in_the_topic_reaches(
    make_topic, group_at, trainer_at, ask, who
):
    topic, other = make_topic("Phone banking"), make_topic("Leafleting")
    if who == "shadowing":
        trainer_at(HOME, [topic], level="shadowing")
    elif who == "inactive":
        trainer_at(HOME, [topic], active=False)
    elif who == "qualified in another topic":
        trainer_at(HOME, [other])
    else:
        trainer_at((None, None), [topic])
    ask(group_at("Home", HOME), topic)

    assert names(cold_spots(THIS_YEAR, NOW)) == ["Home"]


def test_an_online_request_is_reached_by_any_qualified_trainer_anywhere(
    make_topic, group_at, trainer_at, ask
):
    taught, untaught = make_topic("Phone banking"), make_topic("Data protection")
    trainer_at(north_of(HOME, 500), [taught])
    group = group_at("Home", HOME)
    ask(group, taught, is_online=True)
    ask(group, untaught, is_online=True)

    report = cold_spots(THIS_YEAR, NOW)

    [cold] = report.groups
    assert [(t.name, t.unserved_requests, t.online_requests) for t in cold.topics] == [
        ("Data protection", 1, 1)
    ]
    # Recruiting anywhere would serve it, so no district is suggested for it.
    assert report.online_only_groups == 1
    assert report.districts == ()


def test_demand_is_open_requests_made_in_the_range_region_and_topic(
    make_topic, group_at, ask
):
    topic, other = make_topic("Phone banking"), make_topic("Leafleting")
    south = group_at("Hastings", HOME, region="South East")
    north = group_at("Stockport", north_of(HOME, 100), region="North West")
    for status in ("submitted", "offered", "unfilled"):
        ask(south, topic, status=status)
    for status in ("booked", "delivered", "cancelled"):
        ask(south, topic, status=status)
    ask(south, topic, made=datetime(2025, 2, 28, 23, 59, tzinfo=UTC))  # before 1 Mar
    ask(south, other)
    ask(north, topic)

    everything = cold_spots(THIS_YEAR, NOW)
    south_east = cold_spots(
        make_filters(THIS_YEAR.first_day, NOW.date(), "South East"), NOW
    )
    one_topic = cold_spots(
        make_filters(THIS_YEAR.first_day, NOW.date(), topic_id=topic.id), NOW
    )

    assert everything.demand_requests == 5
    assert names(everything) == ["Hastings", "Stockport"]
    assert south_east.demand_requests == 4
    assert names(south_east) == ["Hastings"]
    assert [r.region for r in south_east.regions] == ["South East"]
    assert one_topic.demand_requests == 4
    assert [t.name for t in one_topic.groups[0].topics] == ["Phone banking"]


def test_groups_rank_by_requests_then_never_trained_then_longest_waiting(
    make_topic, group_at, trainer_at, ask
):
    topic = make_topic()
    trainer = trainer_at(north_of(HOME, 900), [topic])
    two = group_at("Two requests", HOME)
    trained = group_at("Trained, waiting longest", north_of(HOME, 1))
    never_new = group_at("Never trained, newer", north_of(HOME, 2))
    never_old = group_at("Never trained, older", north_of(HOME, 3))
    ask(two, topic, made=NOW - timedelta(days=1))
    ask(two, topic, made=NOW - timedelta(days=2))
    ask(trained, topic, made=NOW - timedelta(days=90))
    ask(never_new, topic, made=NOW - timedelta(days=5))
    ask(never_old, topic, made=NOW - timedelta(days=6))
    done = ask(trained, topic, status="delivered", made=NOW - timedelta(days=300))
    delivered_at = NOW - timedelta(days=200)
    db.session.add(
        TrainingSession(
            training_request=done,
            trainer=trainer,
            group=trained,
            topic=topic,
            status="delivered",
            starts_at=delivered_at,
            ends_at=delivered_at + timedelta(hours=2),
            ical_uid="ranked@trainers.test",
        )
    )
    db.session.commit()

    report = cold_spots(THIS_YEAR, NOW)

    assert names(report) == [
        "Two requests",
        "Never trained, older",
        "Never trained, newer",
        "Trained, waiting longest",
    ]
    assert report.groups[0].unserved_requests == 2
    assert report.groups[0].waiting_since == NOW - timedelta(days=2)
    assert report.groups[3].last_trained_at == delivered_at
    assert report.groups[1].is_never_trained


def test_regions_roll_up_cold_groups_requests_and_share(
    make_topic, group_at, trainer_at, ask
):
    topic = make_topic()
    trainer_at(HOME, [topic])
    reached = group_at("Reached", HOME, region="West Midlands")
    cold = group_at("Cold", north_of(HOME, 60), region="West Midlands")
    far = group_at("Far north", north_of(HOME, 600), region="Scotland")
    ask(reached, topic)
    ask(reached, topic)
    ask(cold, topic)
    ask(far, topic)
    ask(far, topic)

    report = cold_spots(THIS_YEAR, NOW)
    rows = {row.region: row for row in report.regions}

    assert len(report.regions) == 12
    assert [r.region for r in report.regions[:2]] == ["Scotland", "West Midlands"]
    scotland, midlands = rows["Scotland"], rows["West Midlands"]
    assert (scotland.demand_requests, scotland.unserved_requests) == (2, 2)
    assert (scotland.cold_groups, scotland.share) == (1, 1.0)
    assert (midlands.demand_requests, midlands.unserved_requests) == (3, 1)
    assert (midlands.cold_groups, midlands.share) == (1, pytest.approx(1 / 3))
    assert rows["Wales"].share is None


def test_recruiting_picks_the_district_reaching_two_groups_then_the_one(
    make_topic, group_at, ask
):
    topic = make_topic()
    hastings, inverness = locate("TN34"), locate("IV1")
    hastings_point = (hastings.latitude, hastings.longitude)
    pair = [
        group_at("Hastings A", hastings_point),
        group_at("Hastings B", north_of(hastings_point, 5)),
    ]
    lone = group_at("Inverness", (inverness.latitude, inverness.longitude))
    for group in (*pair, lone):
        ask(group, topic)

    first, second = cold_spots(THIS_YEAR, NOW).districts

    assert {entry.group.name for entry in first.groups} == {"Hastings A", "Hastings B"}
    assert first.rank == 1 and first.unserved_requests == 2
    for entry in first.groups:
        assert entry.km <= 25
        assert entry.km == pytest.approx(
            distance_km(
                first.place.latitude,
                first.place.longitude,
                entry.group.latitude,
                entry.group.longitude,
            )
        )
    assert [entry.group.name for entry in second.groups] == ["Inverness"]
    assert second.place.region == "Scotland"


def test_recruiting_is_greedy_each_pick_counts_only_groups_not_yet_reached(
    make_topic, group_at, ask
):
    topic = make_topic()
    hastings, inverness = locate("TN34"), locate("IV1")
    point = (hastings.latitude, hastings.longitude)
    # Three groups around Hastings: many districts reach all three. Without the
    # greedy rule the second suggestion would be another Hastings district (3).
    for n, km in enumerate((0, 3, 6)):
        ask(group_at(f"Hastings {n}", north_of(point, km)), topic)
    ask(group_at("Inverness", (inverness.latitude, inverness.longitude)), topic)

    districts = cold_spots(THIS_YEAR, NOW).districts

    assert [len(d.groups) for d in districts] == [3, 1]
    assert [e.group.name for e in districts[1].groups] == ["Inverness"]


def test_ties_go_to_more_waiting_requests(make_topic, group_at, ask):
    topic = make_topic()
    hastings, inverness = locate("TN34"), locate("IV1")
    ask(group_at("Hastings", (hastings.latitude, hastings.longitude)), topic)
    busy = group_at("Inverness", (inverness.latitude, inverness.longitude))
    ask(busy, topic)
    ask(busy, topic)

    districts = cold_spots(THIS_YEAR, NOW).districts

    assert [d.groups[0].group.name for d in districts] == ["Inverness", "Hastings"]
    assert [d.unserved_requests for d in districts] == [2, 1]


# The pages and exports


def test_the_page_and_every_export_show_the_filtered_cold_spots(
    office_browser, make_topic, group_at, ask
):
    topic = make_topic()
    made = utcnow() - timedelta(days=3)
    ask(group_at('=HYPERLINK("http://x")', HOME, region="Wales"), topic, made=made)
    ask(group_at("Elsewhere", north_of(HOME, 50), region="Scotland"), topic, made=made)
    query = "?region=Wales"

    page = office_browser.get("/office/cold-spots" + query)
    groups = fetch(office_browser, "/office/cold-spots/groups.csv" + query)
    regions = fetch(office_browser, "/office/cold-spots/regions.csv" + query)
    districts = fetch(office_browser, "/office/cold-spots/districts.csv" + query)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "=HYPERLINK" in html and "Elsewhere" not in html
    assert "/office/cold-spots/groups.csv?" in html and "region=Wales" in html
    assert groups.mimetype == "text/csv"
    header, *body = rows_of(groups)
    assert header[:2] == ["Rank", "Group"]
    assert [row[1] for row in body] == ['\'=HYPERLINK("http://x")']
    assert body[0][5] == f"{topic.name} (1)"
    assert rows_of(regions)[1:] == [["Wales", "1", "1", "100.0", "1"]]
    [district] = rows_of(districts)[1:]
    assert district[4:6] == ["1", "1"]
    assert district[6].startswith("'=HYPERLINK")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "Enter a date as year-month-day"),
        ("from=2026-03-02&to=2026-03-01", "on or after the start date"),
        ("region=Atlantis", "Choose a nation or region from the list."),
        ("topic=99999", "Choose a topic from the list."),
        ("to=9999-12-31", "Choose a date between"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/office/cold-spots", "/office/cold-spots/districts.csv"]
)
def test_bad_filters_are_refused_with_a_message(
    office_browser, make_topic, path, query, message
):
    make_topic()
    response = office_browser.get(f"{path}?{query}")

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_only_the_office_sees_cold_spots(client, client_for, make_user, make_group):
    group = make_group()
    organiser = make_user("organiser@example.org", groups=[group])
    trainer = make_user("trainer@example.org", trainer=True)
    for path in ("/office/cold-spots", "/office/cold-spots/groups.csv"):
        assert client.get(path).status_code == 302
        assert client_for(organiser).get(path).status_code == 403
        assert client_for(trainer).get(path).status_code == 403


def test_the_page_makes_as_many_statements_for_five_groups_as_for_one(
    office_browser, make_topic, group_at, trainer_at, ask
):
    topic = make_topic()
    made = utcnow() - timedelta(days=3)
    trainer_at(north_of(HOME, 200), [topic])

    def add_groups(first: int, last: int) -> None:
        for n in range(first, last):
            ask(group_at(f"Group {n}", north_of(HOME, 30 * n)), topic, made=made)

    add_groups(0, 1)
    one = statements_to_show(office_browser, "/office/cold-spots")
    add_groups(1, 5)
    five = statements_to_show(office_browser, "/office/cold-spots")

    assert one == five


def test_the_page_maps_the_cold_spots_by_place_name_with_the_dashboards_dates(
    office_browser, clock, make_topic, group_at, ask
):
    clock.set(NOW)
    topic = make_topic()
    ballymena = locate("BT42")
    point = (ballymena.latitude, ballymena.longitude)
    for name in ("Ballymena Tenants", "Ballymena Youth"):
        ask(
            group_at(name, point, region="Northern Ireland", district="BT42"),
            topic,
            made=NOW - timedelta(days=3),
        )

    html = office_browser.get("/office/cold-spots").get_data(as_text=True)

    # Two groups in one district: one marker with their count, a link to its
    # place in the list, which names the town and both groups.
    assert html.count('class="map-marker"') == 1
    assert '<a href="#map-place-1" class="map-marker"' in html
    assert 'class="map-count">2</text>' in html
    assert "<strong>Ballymena (BT42): 2 groups</strong>" in html
    assert "<li>Ballymena Tenants (BT42): never trained</li>" in html
    # Districts by their town, never a bare code with empty brackets.
    assert "BT42 ()" not in html
    assert 'Ballymena <span class="muted">(BT42)</span>' in html
    # The dashboard's default range, shown in the form as it is there.
    assert 'name="from" type="date" value="2025-04-01"' in html
    assert 'name="to" type="date" value="2026-03-02"' in html
    dashboard = office_browser.get("/office/coverage/").get_data(as_text=True)
    assert 'name="from" type="date" value="2025-04-01"' in dashboard
