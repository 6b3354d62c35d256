"""The profile services called directly: what is missing from a profile, who
may load it, and the catalogue rules the forms cannot reach."""

from datetime import date, time

import pytest
from sqlalchemy import select

from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.home.services import trainer_standing
from trainers.profiles import services
from trainers.profiles.models import TrainerTopic

ALL_GAPS = [
    "Add your home postcode district so we can offer you sessions nearby.",
    "Choose the topics you teach.",
    "Add the times in the week you are usually free.",
]


def gaps(profile) -> list[str]:
    """The profile's gaps: read from its objects, and read as one row for the
    home page, they must agree."""
    found = services.profile_gaps(profile)
    assert trainer_standing(profile.user).gaps == found
    return found


@pytest.fixture
def profile(make_user):
    return make_user("trainer@example.org", trainer=True).trainer_profile


def test_a_new_profile_lists_every_gap(profile):
    assert gaps(profile) == ALL_GAPS


def test_a_complete_profile_has_no_gaps(profile, make_topic):
    services.update_basics(profile, "TN34 1AA", 30, 2)
    services.set_topics(profile, {make_topic().id: "qualified"})
    services.add_availability(profile, 1, time(18), time(21))
    assert gaps(profile) == []


def test_each_gap_goes_once_it_is_filled(profile, make_topic):
    services.update_basics(profile, "TN34", 30, 2)
    assert gaps(profile) == ALL_GAPS[1:]
    services.set_topics(profile, {make_topic().id: "qualified"})
    assert gaps(profile) == ALL_GAPS[2:]
    services.add_availability(profile, 1, time(18), time(21))
    assert gaps(profile) == []


def test_a_cap_of_zero_is_a_gap(profile, make_topic):
    services.update_basics(profile, "TN34", 30, 0)
    services.set_topics(profile, {make_topic().id: "qualified"})
    services.add_availability(profile, 1, time(18), time(21))
    assert gaps(profile) == ["Your monthly cap is 0, so you won't be offered sessions."]


def test_shadowing_alone_is_a_gap(profile, make_topic):
    services.set_topics(profile, {make_topic().id: "shadowing"})
    found = gaps(profile)
    assert "Choose the topics you teach." not in found
    assert any("shadowing every topic" in gap for gap in found)


def test_a_retired_topic_does_not_count(profile, make_topic):
    topic = make_topic()
    services.set_topics(profile, {topic.id: "qualified"})
    topic.is_active = False
    db.session.flush()
    assert "Choose the topics you teach." in gaps(profile)


def test_qualified_only_in_a_retired_topic_is_shadowing(profile, make_topic):
    retired, active = make_topic("Retired"), make_topic("Door-knocking")
    services.set_topics(profile, {retired.id: "qualified", active.id: "shadowing"})
    retired.is_active = False
    db.session.flush()
    assert any("shadowing every topic" in gap for gap in gaps(profile))


def test_the_gaps_show_on_the_profile_page(client_for, make_user):
    trainer = make_user("t@example.org", trainer=True)
    html = (
        client_for(trainer)
        .get(f"/trainers/{trainer.id}/profile")
        .get_data(as_text=True)
    )
    assert "What’s missing" in html
    for gap in ALL_GAPS:
        assert gap in html


def test_the_trainer_and_the_office_load_the_profile(make_user):
    trainer = make_user("t@example.org", trainer=True)
    office = make_user("o@example.org", office=True)
    assert services.get_trainer_profile(trainer, trainer.id) is trainer.trainer_profile
    assert services.get_trainer_profile(office, trainer.id) is trainer.trainer_profile


@pytest.mark.parametrize("who", ["other trainer", "organiser"])
def test_others_cannot_load_the_profile(make_user, make_group, who):
    trainer = make_user("t@example.org", trainer=True)
    viewer = (
        make_user("o@example.org", trainer=True)
        if who == "other trainer"
        else make_user("g@example.org", groups=[make_group()])
    )
    with pytest.raises(NotFound):
        services.get_trainer_profile(viewer, trainer.id)


def test_the_office_has_no_profile_for_a_non_trainer(make_user):
    office = make_user("o@example.org", office=True)
    with pytest.raises(NotFound):
        services.get_trainer_profile(office, office.id)


def test_unknown_topic_ids_are_refused(profile, make_topic):
    known = make_topic()
    with pytest.raises(DomainError, match="not in the catalogue"):
        services.set_topics(profile, {known.id: "qualified", 999: "qualified"})
    assert db.session.scalars(select(TrainerTopic)).all() == []


def test_inactive_topic_ids_are_refused(profile, make_topic):
    retired = make_topic()
    retired.is_active = False
    db.session.commit()
    with pytest.raises(DomainError, match="not in the catalogue"):
        services.set_topics(profile, {retired.id: "qualified"})
    assert db.session.scalars(select(TrainerTopic)).all() == []


def test_topics_left_out_are_kept(profile, make_topic):
    first, second = make_topic("Canvassing"), make_topic("Phones")
    services.set_topics(profile, {first.id: "qualified"})
    services.set_topics(profile, {second.id: "shadowing"})
    assert {row.topic_id: row.level for row in profile.topics} == {
        first.id: "qualified",
        second.id: "shadowing",
    }


def test_errors_name_the_form_fields(profile):
    cases = [
        (lambda: services.update_basics(profile, "ZZ99", 10, 1), "home_postcode"),
        (lambda: services.update_basics(profile, "TN34", 301, 1), "travel_radius_km"),
        (lambda: services.update_basics(profile, "TN34", 10, 21), "monthly_cap"),
        (lambda: services.add_availability(profile, 7, time(9), time(10)), "weekday"),
        (lambda: services.add_availability(profile, 1, time(9), time(8)), "end_time"),
        (
            lambda: services.add_day_off(
                profile, date(2027, 1, 2), date(2027, 1, 1), "", date(2026, 11, 24)
            ),
            "last_on",
        ),
        (
            lambda: services.add_day_off(
                profile,
                date(2027, 1, 1),
                date(2027, 1, 1),
                "x" * 201,
                date(2026, 11, 24),
            ),
            "note",
        ),
    ]
    for change, field in cases:
        with pytest.raises(DomainError) as caught:
            change()
        assert caught.value.field == field
    assert profile.home_district is None
    assert profile.availability == []
    assert profile.days_off == []


def test_past_days_off_are_judged_against_the_given_today(profile):
    today = date(2027, 3, 10)
    with pytest.raises(DomainError, match="all in the past"):
        services.add_day_off(profile, date(2027, 3, 1), date(2027, 3, 9), "", today)
    day_off = services.add_day_off(
        profile, date(2027, 3, 1), date(2027, 3, 10), "", today
    )
    assert day_off.id is not None


def test_rows_of_another_trainer_are_not_found(profile, make_user):
    other = make_user("o@example.org", trainer=True).trainer_profile
    window = services.add_availability(other, 1, time(9), time(10))
    day_off = services.add_day_off(
        other, date(2027, 1, 1), date(2027, 1, 1), "", date(2026, 11, 24)
    )
    with pytest.raises(NotFound):
        services.remove_availability(profile, window.id)
    with pytest.raises(NotFound):
        services.remove_day_off(profile, day_off.id)
    assert other.availability == [window]
    assert other.days_off == [day_off]
