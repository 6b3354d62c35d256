import pytest
from sqlalchemy import func, select

from trainers.extensions import db
from trainers.network.models import Group, Topic


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def group_form(**overrides):
    data = {
        "name": "Hastings Action",
        "postcode": "tn34 1aa",
        "region": "",
        "is_active": "y",
    }
    data.update(overrides)
    return data


def test_office_adds_a_group_placed_at_its_district(office_browser):
    response = office_browser.post("/office/groups/new", data=group_form())
    assert response.status_code == 302
    group = db.session.scalar(select(Group))
    assert group.postcode_district == "TN34"  # the full postcode is not kept
    assert group.region == "South East"
    assert group.latitude == pytest.approx(50.86504)
    assert group.is_active


def test_unknown_district_is_refused_by_name(office_browser):
    response = office_browser.post(
        "/office/groups/new", data=group_form(postcode="ZZ99")
    )
    assert b"We don&#39;t know the postcode district ZZ99" in response.data
    assert count(Group) == 0


def test_text_that_is_not_a_postcode_is_refused(office_browser):
    response = office_browser.post(
        "/office/groups/new", data=group_form(postcode="hello")
    )
    assert "is not a UK postcode or postcode district" in response.get_data(
        as_text=True
    )
    assert count(Group) == 0


def test_group_names_are_unique_whatever_the_case(office_browser):
    office_browser.post("/office/groups/new", data=group_form())
    response = office_browser.post(
        "/office/groups/new", data=group_form(name="hastings  ACTION")
    )
    assert "A group called “hastings ACTION” already exists." in response.get_data(
        as_text=True
    )
    assert count(Group) == 1


def test_boundary_group_may_take_another_region(office_browser):
    office_browser.post(
        "/office/groups/new", data=group_form(postcode="B79", region="East Midlands")
    )
    assert db.session.scalar(select(Group)).region == "East Midlands"


def test_an_invented_region_is_refused(office_browser):
    response = office_browser.post(
        "/office/groups/new", data=group_form(region="Atlantis")
    )
    assert b"Not a valid choice" in response.data
    assert count(Group) == 0


def test_office_edits_a_group(office_browser, make_group):
    group = make_group()
    response = office_browser.post(
        f"/office/groups/{group.id}/edit",
        data=group_form(name="Stockport", postcode="SK1", is_active=""),
    )
    assert response.status_code == 302
    db.session.refresh(group)
    assert (group.name, group.postcode_district, group.region) == (
        "Stockport",
        "SK1",
        "North West",
    )
    assert not group.is_active  # the box was left unticked


def test_group_edit_form_shows_the_district(office_browser, make_group):
    group = make_group()
    assert b'value="TN34"' in office_browser.get(f"/office/groups/{group.id}/edit").data


def test_groups_list_filters_by_region(office_browser, make_group):
    make_group("Hastings Action", "TN34")
    make_group("Stockport Stands", "SK1")
    page = office_browser.get("/office/groups?region=North+West").get_data(as_text=True)
    assert "Stockport Stands" in page and "Hastings Action" not in page
    everything = office_browser.get("/office/groups?region=Nowhere").get_data(
        as_text=True
    )
    assert "Stockport Stands" in everything and "Hastings Action" in everything


def test_office_removes_an_organiser_from_a_group(
    office_browser, make_group, make_user
):
    group = make_group()
    organiser = make_user("org@example.org", groups=[group])
    office_browser.post(f"/office/groups/{group.id}/organisers/{organiser.id}/remove")
    db.session.refresh(organiser)
    assert organiser.groups == []
    assert (
        office_browser.post(
            f"/office/groups/{group.id}/organisers/{organiser.id}/remove"
        ).status_code
        == 404
    )


def topic_form(**overrides):
    data = {
        "name": "Phone banking",
        "summary": "Calling supporters well.",
        "default_minutes": "90",
        "is_online_capable": "y",
        "is_active": "y",
    }
    data.update(overrides)
    return data


def test_office_adds_and_retires_a_topic(office_browser):
    assert (
        office_browser.post("/office/topics/new", data=topic_form()).status_code == 302
    )
    topic = db.session.scalar(select(Topic))
    assert (topic.name, topic.default_minutes, topic.is_online_capable) == (
        "Phone banking",
        90,
        True,
    )
    office_browser.post(
        f"/office/topics/{topic.id}/edit", data=topic_form(is_active="")
    )
    db.session.refresh(topic)
    assert not topic.is_active
    assert b"retired" in office_browser.get("/office/topics").data


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        ("10", b"Enter a length from 30 to 720 minutes."),
        ("9999", b"Enter a length from 30 to 720 minutes."),
        ("ninety", b"Enter the usual length in minutes, as a whole number."),
        ("", b"Enter the usual length in minutes, as a whole number."),
    ],
)
def test_topic_length_must_be_sensible(office_browser, minutes, message):
    response = office_browser.post(
        "/office/topics/new", data=topic_form(default_minutes=minutes)
    )
    assert message in response.data
    assert count(Topic) == 0


def test_topic_names_are_unique(office_browser, make_topic):
    make_topic("Phone banking")
    response = office_browser.post(
        "/office/topics/new", data=topic_form(name="PHONE BANKING")
    )
    assert "already exists" in response.get_data(as_text=True)
    assert count(Topic) == 1


def test_unknown_group_or_topic_is_404(office_browser):
    assert office_browser.get("/office/groups/99").status_code == 404
    assert office_browser.get("/office/topics/99/edit").status_code == 404
