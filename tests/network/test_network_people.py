"""The office's list of people at national size: a page at a time, searched by
name, email and group, narrowed by role, region, status and topic, with the
filters in the URL and kept by the links to other pages."""

import pytest

from tests.statements import statements_to_show
from trainers.network.people import ACTIVE, DEACTIVATED, PeopleFilters, people_page


@pytest.fixture
def network(make_user, make_group, make_topic, make_trainer, office):
    """Olive organises Hastings; Lena organises Leeds; Tom trains first aid near
    Hastings; Yan trains in Leeds and is deactivated."""
    hastings, leeds = (
        make_group("Hastings Action", "TN34"),
        make_group("Leeds_Tenants 100%", "LS6"),
    )
    first_aid = make_topic("First aid")
    people = {
        "office": office,
        "olive": make_user("olive@example.org", "Olive Organiser", groups=[hastings]),
        "lena": make_user("lena@leeds.example", "Lena Lowe", groups=[leeds]),
        "tom": make_trainer("tom@example.org", topics=[first_aid]),
        "yan": make_trainer("yan@example.org", district="LS6"),
    }
    people["yan"].is_active = False
    people["first_aid"] = first_aid
    return people


def names(**filters) -> list[str]:
    page = people_page(PeopleFilters(**filters), page=1, per_page=50)
    return [person.email.split("@")[0] for person in page.items]


def test_people_are_searched_by_name_email_and_group(network):
    assert names(search="  OLIVE ") == ["olive"]
    assert names(search="leeds.example") == ["lena"]
    assert names(search="nobody") == []
    assert names(group_name="hastings") == ["olive"]
    # What was typed is taken literally, wildcards and all.
    assert names(group_name="_") == ["lena"]
    assert names(group_name="%") == ["lena"]
    assert names(search="%") == []


def test_people_are_narrowed_by_role_region_status_and_topic(network):
    assert names(role="office") == ["office"]
    assert names(role="organiser") == ["lena", "olive"]
    assert sorted(names(role="trainer")) == ["tom", "yan"]
    # A trainer's home, or an organiser's group.
    assert sorted(names(region="Yorkshire and The Humber")) == ["lena", "yan"]
    assert names(status=DEACTIVATED) == ["yan"]
    assert "yan" not in names(status=ACTIVE)
    assert names(topic_id=network["first_aid"].id) == ["tom"]
    assert names(role="organiser", region="South East") == ["olive"]


def test_the_list_is_paged_and_counts_every_match(make_user):
    for n in range(5):
        make_user(f"person{n}@example.org", f"Person {n}")
    pages = [
        people_page(PeopleFilters(search="person"), page=n, per_page=2)
        for n in (1, 2, 3, 4)
    ]
    assert [(len(p.items), p.total) for p in pages] == [(2, 5), (2, 5), (1, 5), (0, 5)]
    assert [p.email for p in pages[1].items] == [
        "person2@example.org",
        "person3@example.org",
    ]


def test_the_page_shows_filters_and_keeps_them_on_other_pages(
    office_browser, make_user, network
):
    for n in range(50):
        make_user(f"volunteer{n:02}@example.org", f"Volunteer {n:02}")
    text = office_browser.get("/office/people?search=volunteer").get_data(True)
    assert "50 accounts matching." in text and "Page 1 of 1" not in text
    text = office_browser.get("/office/people?search=o").get_data(True)
    assert "Page 1 of 2" in text
    assert 'href="/office/people?page=2&amp;search=o"' in text
    assert '<input id="search" name="search" type="search" value="o">' in text
    text = office_browser.get("/office/people?page=2&search=o").get_data(True)
    assert "Page 2 of 2" in text and "Volunteer 49" in text

    text = office_browser.get(
        "/office/people?role=trainer&region=Atlantis&status=active"
    ).get_data(True)
    assert "Choose a region from the list." in text
    assert "1 account matching." in text and "tom@example.org" in text
    text = office_browser.get("/office/people?topic_id=99999999999").get_data(True)
    assert "Choose a topic from the list." in text


def test_the_list_takes_the_same_statements_however_many_people(
    office_browser, make_user, make_trainer, network
):
    path = "/office/people?search=e&role=organiser&region=South+East&status=active"
    few = statements_to_show(office_browser, path)
    everyone = statements_to_show(office_browser, "/office/people")
    for n in range(20):
        make_user(f"organiser{n}@example.org", groups=[])
        make_trainer(f"trainer{n}@example.org")
    assert statements_to_show(office_browser, path) == few
    assert statements_to_show(office_browser, "/office/people") == everyone
