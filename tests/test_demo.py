"""`flask demo`: a believable network that obeys the matching rules, loaded only
into an empty database (or with --reset), all or nothing, the same for a seed."""

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import joinedload, selectinload

from tests.coverage.kept import kept, recounted
from trainers import create_app
from trainers.auth.models import User
from trainers.demo import loading
from trainers.extensions import db
from trainers.geo import REGIONS, all_districts, distance_km
from trainers.matching.models import Offer, OfferStatus
from trainers.network.models import Group, Topic
from trainers.profiles.models import TrainerProfile
from trainers.requests.models import RequestStatus, TrainingRequest
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import to_local, utcnow

LOGINS = ("office@example.org", "organiser@example.org", "trainer@example.org")


@pytest.fixture
def run_demo(app):
    """Run `flask demo` with the given arguments; returns click's result."""
    runner = app.test_cli_runner()

    def run(*args: str):
        result = runner.invoke(args=["demo", *args])
        db.session.expire_all()
        return result

    return run


@pytest.fixture
def loaded(run_demo):
    result = run_demo()
    assert result.exit_code == 0, result.output
    return result


def row_counts() -> dict[str, int]:
    counts = {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }
    db.session.rollback()
    return counts


def snapshot() -> tuple:
    """What people would see, without database ids."""
    requests = db.session.scalars(
        select(TrainingRequest).options(
            joinedload(TrainingRequest.group),
            joinedload(TrainingRequest.topic),
            selectinload(TrainingRequest.slots),
        )
    )
    return (
        sorted(db.session.scalars(select(User.email))),
        sorted(db.session.execute(select(Group.name, Group.postcode_district)).all()),
        sorted(
            (r.group.name, r.topic.name, r.status, [s.starts_at for s in r.slots])
            for r in requests
        ),
    )


def test_empty_database_gets_a_believable_network_whose_printed_logins_work(
    loaded, app
):
    for email in LOGINS:
        assert email in loaded.output
    assert "trainers-demo" in loaded.output
    assert "http://localhost" in loaded.output  # the configured BASE_URL

    groups = db.session.scalars(
        select(Group).options(selectinload(Group.organisers))
    ).all()
    assert 140 <= len(groups) <= 160
    assert {group.region for group in groups} == set(REGIONS)
    regions = Counter(group.region for group in groups)
    assert regions["London"] > regions["Wales"] > regions["Northern Ireland"]
    assert len({group.name for group in groups}) == len(groups)
    by_district = {group.postcode_district: group.name for group in groups}
    assert by_district["TN34"] == "Hastings and St Leonards"
    assert by_district["SK1"] == "Stockport"
    assert by_district["E8"] == "Hackney"
    places = all_districts()
    for group in groups:
        assert places[group.postcode_district].region == group.region
        assert 1 <= len(group.organisers) <= 2
        assert all(user.email.endswith("@example.org") for user in group.organisers)

    profiles = db.session.scalars(
        select(TrainerProfile).options(
            selectinload(TrainerProfile.topics),
            selectinload(TrainerProfile.availability),
        )
    ).all()
    assert 55 <= len(profiles) <= 65
    assert {profile.region for profile in profiles} == set(REGIONS)
    assert any(profile.travel_radius_km == 0 for profile in profiles)
    for profile in profiles:
        assert profile.travel_radius_km == 0 or 10 <= profile.travel_radius_km <= 80
        assert 1 <= profile.monthly_cap <= 4
        assert 1 <= len(profile.availability) <= 4
        assert any(topic.level == "qualified" for topic in profile.topics)

    topics = db.session.scalars(select(Topic)).all()
    assert len(topics) == 8
    assert all(90 <= topic.default_minutes <= 180 and topic.summary for topic in topics)
    online = {topic.name for topic in topics if topic.is_online_capable}
    assert "Phone banking" in online
    assert "Door-knocking and canvassing" not in online

    home_pages = {}
    for email in LOGINS:
        browser = app.test_client()
        response = browser.post(
            "/login", data={"email": email, "password": "trainers-demo"}
        )
        assert response.status_code == 302, email
        assert response.headers["Location"] == "/"
        home_pages[email] = browser.get("/").get_data(as_text=True)
    assert "Hastings and St Leonards" in home_pages["organiser@example.org"]
    assert "Stockport" in home_pages["organiser@example.org"]
    assert "Hastings and St Leonards" in home_pages["trainer@example.org"]
    assert "km away" in home_pages["trainer@example.org"]
    assert "(you)" in home_pages["trainer@example.org"]
    assert "Unfilled requests" in home_pages["office@example.org"]

    # Each demo login has something on its home page.
    users = {
        user.email: user
        for user in db.session.scalars(select(User).where(User.email.in_(LOGINS)))
    }
    assert users["office@example.org"].roles == ["office"]
    organiser = users["organiser@example.org"]
    assert sorted(g.postcode_district for g in organiser.groups) == ["SK1", "TN34"]
    organiser_statuses = set(
        db.session.scalars(
            select(TrainingRequest.status).where(
                TrainingRequest.group_id.in_([g.id for g in organiser.groups])
            )
        )
    )
    wanted = {RequestStatus.OFFERED, RequestStatus.BOOKED, RequestStatus.DELIVERED}
    assert wanted <= organiser_statuses
    trainer = users["trainer@example.org"]
    profile = trainer.trainer_profile
    assert profile.home_district == "TN34"
    assert (profile.travel_radius_km, profile.monthly_cap) == (40, 3)
    assert {topic.level for topic in profile.topics} == {"qualified", "shadowing"}
    assert profile.days_off[0].first_on > to_local(utcnow()).date()
    assert db.session.scalar(
        select(func.count()).where(
            Offer.trainer_id == trainer.id, Offer.status == OfferStatus.PENDING
        )
    )
    assert db.session.scalar(
        select(func.count()).where(
            TrainingSession.trainer_id == trainer.id,
            TrainingSession.status == SessionStatus.BOOKED,
            TrainingSession.starts_at > utcnow(),
        )
    )


def test_every_request_state_appears_and_obeys_the_matching_rules(loaded):
    now = utcnow()
    requests = db.session.scalars(
        select(TrainingRequest).options(
            selectinload(TrainingRequest.slots), selectinload(TrainingRequest.events)
        )
    ).all()
    offers = db.session.scalars(
        select(Offer).options(
            joinedload(Offer.slot), joinedload(Offer.training_request)
        )
    ).all()
    sessions = db.session.scalars(
        select(TrainingSession).options(joinedload(TrainingSession.training_request))
    ).all()
    offer_statuses = defaultdict(Counter)
    for offer in offers:
        offer_statuses[offer.request_id][offer.status] += 1
    sessions_of = defaultdict(list)
    for session in sessions:
        sessions_of[session.request_id].append(session)

    assert {r.status for r in requests} == set(RequestStatus)
    for r in requests:
        statuses, its_sessions = offer_statuses[r.id], sessions_of[r.id]
        assert 1 <= len(r.slots) <= 5
        assert r.events[0].action == "submitted"
        # Coverage's time to booking reads this; every booking sets it.
        first_booked = min((s.created_at for s in sessions_of[r.id]), default=None)
        assert r.first_booked_at == first_booked, r.id
        if first_booked is not None:
            hours = (first_booked - r.created_at) // timedelta(hours=1)
            assert r.hours_to_booking == hours, r.id
        assert [e.at for e in r.events] == sorted(e.at for e in r.events)
        assert r.events[-1].at < now
        assert r.status_changed_at == r.events[-1].at
        if r.status in (RequestStatus.SUBMITTED, RequestStatus.OFFERED):
            assert r.slots[0].starts_at > now
        if r.status == RequestStatus.OFFERED:
            assert 1 <= statuses[OfferStatus.PENDING] <= 3
            assert r.events[-1].action == "offered"
        elif r.status == RequestStatus.BOOKED:
            (session,) = its_sessions
            assert session.status == SessionStatus.BOOKED
            assert session.starts_at > now
            assert session.ical_uid.endswith("@trainers-network")
            assert session.ical_sequence == 0
            assert statuses[OfferStatus.ACCEPTED] == 1
            assert r.events[-1].action == "booked"
        elif r.status == RequestStatus.DELIVERED:
            (session,) = its_sessions
            assert session.status == SessionStatus.DELIVERED
            assert session.ends_at < now
            assert statuses[OfferStatus.ACCEPTED] == 1
            assert r.events[-1].action == "delivered"
        elif r.status == RequestStatus.UNFILLED:
            assert statuses[OfferStatus.PENDING] == statuses[OfferStatus.ACCEPTED] == 0
            assert r.events[-1].action == "unfilled"
        elif r.status == RequestStatus.CANCELLED:
            assert r.cancel_reason
            assert all(s.status == SessionStatus.CANCELLED for s in its_sessions)
            assert r.events[-1].action == "cancelled"
    assert len({session.ical_uid for session in sessions}) == len(sessions)
    assert any(offer.reasons[0].endswith(" km away") for offer in offers)

    profiles = {
        profile.user_id: profile
        for profile in db.session.scalars(
            select(TrainerProfile).options(
                selectinload(TrainerProfile.availability),
                selectinload(TrainerProfile.days_off),
            )
        )
    }

    def assert_trainer_can_take(trainer_id, training_request, starts_at, ends_at):
        profile = profiles[trainer_id]
        start, end = to_local(starts_at), to_local(ends_at)
        assert any(
            window.weekday == start.weekday()
            and window.start_time <= start.time()
            and end.time() <= window.end_time
            and end.date() == start.date()
            for window in profile.availability
        ), (trainer_id, start, end)
        assert not any(
            day_off.first_on <= start.date() <= day_off.last_on
            for day_off in profile.days_off
        )
        if not training_request.is_online:
            km = distance_km(
                profile.latitude,
                profile.longitude,
                training_request.venue_latitude,
                training_request.venue_longitude,
            )
            assert km <= profile.travel_radius_km

    live = [
        o for o in offers if o.status in (OfferStatus.PENDING, OfferStatus.ACCEPTED)
    ]
    assert live
    for offer in live:
        assert_trainer_can_take(
            offer.trainer_id,
            offer.training_request,
            offer.slot.starts_at,
            offer.slot.ends_at,
        )
    per_month = Counter()
    for session in sessions:
        if session.status == SessionStatus.CANCELLED:
            continue
        assert_trainer_can_take(
            session.trainer_id,
            session.training_request,
            session.starts_at,
            session.ends_at,
        )
        start = to_local(session.starts_at)
        per_month[session.trainer_id, start.year, start.month] += 1
    for (trainer_id, _, _), count in per_month.items():
        assert count <= profiles[trainer_id].monthly_cap


def test_without_reset_only_an_empty_database_is_loaded(run_demo):
    first = run_demo("--if-empty")
    assert first.exit_code == 0, first.output
    assert "trainer@example.org" in first.output
    before = row_counts()
    assert before["groups"] > 0

    skipped = run_demo("--if-empty")
    assert skipped.exit_code == 0
    assert "Demo data not loaded: the database already has users." in skipped.output
    assert row_counts() == before

    refused = run_demo()
    assert refused.exit_code != 0
    assert "already has users" in refused.output
    assert "--reset" in refused.output
    assert row_counts() == before


def test_reset_reloads_the_same_data_for_the_same_seed(loaded, run_demo, make_user):
    first = snapshot()
    make_user("someone@example.net")

    reloaded = run_demo("--reset")
    assert reloaded.exit_code == 0, reloaded.output
    assert snapshot() == first
    # The deletions were logged too: the coverage counts are the new data's alone.
    assert kept() == recounted() != {}

    other = run_demo("--reset", "--seed", "7")
    assert other.exit_code == 0, other.output
    assert snapshot() != first


def test_a_failure_part_way_leaves_the_database_as_it_was(
    loaded, run_demo, monkeypatch
):
    before = row_counts()
    load = loading.load_demo

    def load_then_fail(now, seed):
        load(now, seed)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(loading, "load_demo", load_then_fail)
    result = run_demo("--reset")
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    assert row_counts() == before


def test_a_database_without_tables_is_refused_with_the_fix(empty_database_url):
    bare = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with bare.app_context():
        result = bare.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 1
        assert "flask --app wsgi db upgrade" in result.output
        assert not inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_reset_and_if_empty_together_are_refused(run_demo):
    result = run_demo("--reset", "--if-empty")
    assert result.exit_code == 2
    assert "not both" in result.output
    assert sum(row_counts().values()) == 0
