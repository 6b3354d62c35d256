"""`flask demo`: a believable network, consistent with the matching rules, loaded
once, refused over existing data, reloaded with --reset, all or nothing."""

from collections import Counter

import pytest
from sqlalchemy import func, select

from trainers import demo
from trainers.auth.models import User
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
    """What a person would see, without database ids."""
    return (
        sorted(db.session.scalars(select(User.email))),
        sorted(db.session.execute(select(Group.name, Group.postcode_district)).all()),
        sorted(
            (r.group.name, r.topic.name, r.status, [s.starts_at for s in r.slots])
            for r in db.session.scalars(select(TrainingRequest))
        ),
    )


def test_empty_database_gets_a_believable_network_and_the_logins_printed(loaded):
    for email in LOGINS:
        assert email in loaded.output
    assert "trainers-demo" in loaded.output
    assert "http://localhost" in loaded.output  # the configured BASE_URL

    groups = db.session.scalars(select(Group)).all()
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
        assert group.postcode_district in places
        assert group.region == places[group.postcode_district].region
        assert 1 <= len(group.organisers) <= 2
        assert all(user.email.endswith("@example.org") for user in group.organisers)

    profiles = db.session.scalars(select(TrainerProfile)).all()
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


def test_every_request_state_appears_with_the_offers_and_sessions_it_implies(loaded):
    now = utcnow()
    requests = db.session.scalars(select(TrainingRequest)).all()
    assert {r.status for r in requests} == set(RequestStatus)
    for r in requests:
        offers = db.session.scalars(select(Offer).where(Offer.request_id == r.id)).all()
        sessions = db.session.scalars(
            select(TrainingSession).where(TrainingSession.request_id == r.id)
        ).all()
        statuses = Counter(offer.status for offer in offers)
        assert 1 <= len(r.slots) <= 5
        assert r.events[0].action == "submitted"
        assert [e.at for e in r.events] == sorted(e.at for e in r.events)
        assert r.events[-1].at < now
        assert r.status_changed_at == r.events[-1].at
        if r.status == RequestStatus.OFFERED:
            assert 1 <= statuses[OfferStatus.PENDING] <= 3
            assert r.events[-1].action == "offered"
        if r.status in (RequestStatus.SUBMITTED, RequestStatus.OFFERED):
            assert r.slots[0].starts_at > now
        if r.status == RequestStatus.BOOKED:
            (session,) = sessions
            assert session.status == SessionStatus.BOOKED
            assert session.starts_at > now
            assert session.ical_uid.endswith("@trainers-network")
            assert session.ical_sequence == 0
            assert statuses[OfferStatus.ACCEPTED] == 1
            assert r.events[-1].action == "booked"
        if r.status == RequestStatus.DELIVERED:
            (session,) = sessions
            assert session.status == SessionStatus.DELIVERED
            assert session.ends_at < now
            assert r.events[-1].action == "delivered"
        if r.status == RequestStatus.UNFILLED:
            assert (
                not statuses[OfferStatus.PENDING] and not statuses[OfferStatus.ACCEPTED]
            )
            assert r.events[-1].action == "unfilled"
        if r.status == RequestStatus.CANCELLED:
            assert r.cancel_reason
            assert all(s.status == SessionStatus.CANCELLED for s in sessions)
            assert r.events[-1].action == "cancelled"
    uids = db.session.scalars(select(TrainingSession.ical_uid)).all()
    assert len(set(uids)) == len(uids)
    reasons = [offer.reasons for offer in db.session.scalars(select(Offer))]
    assert any(reason[0].endswith(" km away") for reason in reasons)


def test_offered_and_booked_slots_respect_each_trainers_windows_radius_and_cap(
    loaded,
):
    profiles = {p.user_id: p for p in db.session.scalars(select(TrainerProfile))}

    def check(trainer_id, training_request, starts_at, ends_at):
        profile = profiles[trainer_id]
        start, end = to_local(starts_at), to_local(ends_at)
        assert any(
            window.weekday == start.weekday()
            and window.start_time <= start.time()
            and end.time() <= window.end_time
            and end.date() == start.date()
            for window in profile.availability
        ), (profile.user.email, start, end)
        assert not any(
            d.first_on <= start.date() <= d.last_on for d in profile.days_off
        )
        if not training_request.is_online:
            km = distance_km(
                profile.latitude,
                profile.longitude,
                training_request.venue_latitude,
                training_request.venue_longitude,
            )
            assert km <= profile.travel_radius_km

    live_offers = db.session.scalars(
        select(Offer).where(
            Offer.status.in_([OfferStatus.PENDING, OfferStatus.ACCEPTED])
        )
    ).all()
    assert live_offers
    for offer in live_offers:
        check(
            offer.trainer_id,
            offer.training_request,
            offer.slot.starts_at,
            offer.slot.ends_at,
        )
    per_month = Counter()
    for session in db.session.scalars(
        select(TrainingSession).where(TrainingSession.status != SessionStatus.CANCELLED)
    ):
        check(
            session.trainer_id,
            session.training_request,
            session.starts_at,
            session.ends_at,
        )
        start = to_local(session.starts_at)
        per_month[session.trainer_id, start.year, start.month] += 1
    for (trainer_id, _, _), count in per_month.items():
        assert count <= profiles[trainer_id].monthly_cap


def test_each_demo_login_signs_in_and_has_something_to_do(loaded, app):
    for email in LOGINS:
        client = app.test_client()
        response = client.post(
            "/login", data={"email": email, "password": "trainers-demo"}
        )
        assert response.status_code == 302, email
        assert response.headers["Location"] == "/"

    users = {
        u.email: u
        for u in db.session.scalars(select(User).where(User.email.in_(LOGINS)))
    }
    assert users["office@example.org"].roles == ["office"]
    organiser = users["organiser@example.org"]
    assert sorted(g.postcode_district for g in organiser.groups) == ["SK1", "TN34"]
    statuses = set(
        db.session.scalars(
            select(TrainingRequest.status).where(
                TrainingRequest.group_id.in_([g.id for g in organiser.groups])
            )
        )
    )
    assert {
        RequestStatus.OFFERED,
        RequestStatus.BOOKED,
        RequestStatus.DELIVERED,
    } <= statuses
    trainer = users["trainer@example.org"]
    profile = trainer.trainer_profile
    assert (profile.home_district, profile.travel_radius_km, profile.monthly_cap) == (
        "TN34",
        40,
        3,
    )
    assert {t.level for t in profile.topics} == {"qualified", "shadowing"}
    assert profile.days_off and profile.days_off[0].first_on > to_local(utcnow()).date()
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
    assert (
        db.session.scalar(select(User).where(User.email == "someone@example.net"))
        is None
    )
    assert snapshot() == first

    other = run_demo("--reset", "--seed", "7")
    assert other.exit_code == 0, other.output
    assert snapshot() != first


def test_a_failure_part_way_leaves_the_database_as_it_was(
    loaded, run_demo, monkeypatch
):
    before = row_counts()
    load = demo.load_demo

    def load_then_fail(now, seed):
        load(now, seed)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(demo, "load_demo", load_then_fail)
    result = run_demo("--reset")
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    assert row_counts() == before


def test_reset_and_if_empty_together_are_refused(run_demo):
    result = run_demo("--reset", "--if-empty")
    assert result.exit_code == 2
    assert "not both" in result.output
    assert sum(row_counts().values()) == 0
