"""The office imports a spreadsheet's groups and people through the pages:
check, then one confirmation that saves every row or none."""

import html
import io
import re

import pytest
from sqlalchemy import func, select

from tests.security.crawl import fingerprint
from trainers.audit import AuditEntry
from trainers.auth.models import Invitation, User
from trainers.extensions import db
from trainers.geo import all_districts
from trainers.imports.rows import IMPORTED
from trainers.network.models import Group
from trainers.outbox.models import OutboxMessage
from trainers.profiles.models import TrainerProfile

PEOPLE_HEADER = "name,email,roles,groups,topics,home_postcode,travel_radius_km\n"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
    assert found, f"no hidden {name} on the page"
    return html.unescape(found.group(1))


def check(browser, kind: str, text: str) -> str:
    response = browser.post(f"/office/import/{kind}", data={"text": text})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def confirm(browser, kind: str, page: str, **changes):
    data = {
        "checked_file": hidden(page, "checked_file"),
        "seal": hidden(page, "seal"),
        **changes,
    }
    return browser.post(f"/office/import/{kind}/confirm", data=data)


def groups_file(size: int) -> str:
    districts = sorted(all_districts())[:size]
    rows = [f"Group {n},{district},," for n, district in enumerate(districts)]
    return "name,postcode,region,organiser_emails\n" + "\n".join(rows) + "\n"


def test_a_network_of_150_groups_and_60_trainers_imports_in_one_go(
    office_browser, make_topic, mailbox
):
    first_aid, canvassing = make_topic("First aid"), make_topic("Canvassing")
    page = check(office_browser, "groups", groups_file(150))
    assert "Import 150 groups" in page
    assert count(Group) == 0
    response = confirm(office_browser, "groups", page)
    assert response.status_code == 302
    assert response.headers["Location"] == "/office/groups"
    assert count(Group) == 150

    people = (
        PEOPLE_HEADER
        + "".join(
            f"Trainer {n},trainer{n}@example.org,trainer,,First aid; canvassing,BN1,40\n"
            for n in range(59)
        )
        + "Olive,olive@example.org,organiser; trainer,Group 1; Group 2,First aid,,\n"
    )
    page = check(office_browser, "people", people)
    assert "Import 60 people" in page
    response = confirm(office_browser, "people", page)
    assert response.status_code == 302
    assert count(Invitation) == 60
    assert count(OutboxMessage, OutboxMessage.kind == "invitation") == 60
    assert count(User) == 1  # the office: accounts are made when accepted
    people = office_browser.get("/office/people").get_data(as_text=True)
    assert (
        '<td data-label="Role">organiser for Group 1 and Group 2 and trainer</td>'
        in people
    )

    # Olive's link makes an account organising both groups, teaching first aid.
    (invited,) = mailbox.to("olive@example.org")
    assert invited["Subject"] == (
        "You're invited to Trainers' Network as organiser and trainer"
    )
    body = invited.get_body(("plain",)).get_content()
    assert "as organiser for Group 1 and Group 2 and trainer." in body
    link = mailbox.last_link("olive@example.org")
    page = office_browser.get(link).get_data(as_text=True)
    assert "<strong>organiser for Group 1 and Group 2 and trainer</strong>" in page
    accepted = office_browser.post(
        link,
        data={
            "name": "Olive Organiser",
            "password": "correct horse battery staple",
            "confirm": "correct horse battery staple",
        },
    )
    assert accepted.status_code == 302
    olive = db.session.scalar(select(User).where(User.email == "olive@example.org"))
    assert [group.name for group in olive.groups] == ["Group 1", "Group 2"]
    assert [row.topic for row in olive.trainer_profile.topics] == [first_aid]
    assert olive.trainer_profile.travel_radius_km == 25
    assert canvassing not in [row.topic for row in olive.trainer_profile.topics]


def test_an_accepted_trainer_starts_with_the_home_and_topics_imported(
    office_browser, client, make_topic, mailbox
):
    first_aid = make_topic("First aid")
    page = check(
        office_browser,
        "people",
        PEOPLE_HEADER + "Tom,tom@example.org,trainer,,first-aid,BN1 1AA,40\n",
    )
    confirm(office_browser, "people", page)
    client.post(
        mailbox.last_link("tom@example.org"),
        data={
            "name": "Tom Trainer",
            "password": "correct horse battery staple",
            "confirm": "correct horse battery staple",
        },
    )
    profile = db.session.scalar(select(TrainerProfile))
    assert (profile.home_district, profile.region) == ("BN1", "South East")
    assert profile.travel_radius_km == 40
    assert [(row.topic, row.level) for row in profile.topics] == [
        (first_aid, "qualified")
    ]


def test_a_file_with_problems_lists_them_and_saves_nothing(office_browser, group):
    before = fingerprint()
    upload = io.BytesIO(
        "\ufeffname,postcode,region,organiser_emails\r\n"
        "Hastings Action,TN34,,\r\n"
        "Nowhere,ZZ99,,\r\n".encode()
    )
    response = office_browser.post(
        "/office/import/groups",
        data={"file": (upload, "groups.csv"), "text": ""},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert "2 problems in the file" in page
    assert re.search(r"<th scope=\"row\" data-label=\"Row\">2</th>\s*"
                     r"<td data-label=\"Column\"><code>name</code>", page)  # fmt: skip
    assert "We don&#39;t know the postcode district ZZ99" in page
    assert 'name="seal"' not in page  # nothing to confirm
    assert fingerprint() == before


def test_a_confirmation_with_an_altered_file_is_refused(office_browser):
    page = check(office_browser, "groups", groups_file(2))
    altered = hidden(page, "checked_file") + "Extra Group,TN34,,\n"
    response = confirm(office_browser, "groups", page, checked_file=altered)
    assert response.status_code == 302
    assert count(Group) == 0
    follow = office_browser.get(response.headers["Location"])
    assert "The file changed after it was checked" in follow.get_data(as_text=True)


def test_a_person_who_joined_since_the_check_stops_the_whole_import(
    office_browser, make_user
):
    text = PEOPLE_HEADER + "".join(
        f"Trainer {n},trainer{n}@example.org,trainer,,,,\n" for n in range(5)
    )
    page = check(office_browser, "people", text)
    assert "Import 5 people" in page
    make_user("trainer3@example.org")
    before = fingerprint()
    response = confirm(office_browser, "people", page)
    assert response.status_code == 200
    again = response.get_data(as_text=True)
    assert "Nothing was imported: the file has 1 problem." in again
    assert "trainer3@example.org already has an account" in again
    assert 'name="seal"' not in again
    # The file waits in the box to be corrected and checked again.
    assert re.search(r'<textarea[^>]*name="text"[^>]*>\s*name,email,roles', again)
    assert fingerprint() == before


@pytest.mark.parametrize("kind", ["groups", "people"])
def test_each_example_file_is_offered_with_its_columns(office_browser, kind):
    page = office_browser.get(f"/office/import/{kind}").get_data(as_text=True)
    assert f'href="/office/import/{kind}/example.csv"' in page
    assert "<caption>The columns of a" in page
    example = office_browser.get(f"/office/import/{kind}/example.csv")
    assert example.mimetype == "text/csv"
    assert example.get_data(as_text=True).startswith("\ufeffname,")


def test_the_example_files_import_as_they_are(office_browser, make_topic, make_user):
    make_topic("First aid"), make_topic("Canvassing")
    make_user("sam@example.org")
    for kind in ("groups", "people"):
        example = office_browser.get(f"/office/import/{kind}/example.csv")
        page = check(office_browser, kind, example.get_data(as_text=True))
        assert "Import 3 " in page, page
        assert confirm(office_browser, kind, page).status_code == 302
    assert count(Group) == 3
    assert count(Invitation) == 3


def test_nothing_to_check_asks_for_a_file(office_browser):
    page = office_browser.post("/office/import/groups", data={"text": " "}).get_data(
        as_text=True
    )
    assert "Choose a CSV file, or paste its rows." in page
    assert 'href="#file"' in page


def test_with_csrf_on_the_checked_file_is_confirmed_by_its_own_form(
    app, office_browser
):
    app.config["WTF_CSRF_ENABLED"] = True
    page = office_browser.get("/office/import/groups").get_data(as_text=True)
    token = hidden(page, "csrf_token")
    response = office_browser.post(
        "/office/import/groups", data={"csrf_token": token, "text": groups_file(3)}
    )
    page = response.get_data(as_text=True)
    confirmation = page[page.index('action="/office/import/groups/confirm"') :]
    response = confirm(
        office_browser,
        "groups",
        page,
        csrf_token=html.unescape(
            re.search(r'name="csrf_token" value="([^"]*)"', confirmation).group(1)
        ),
    )
    assert response.status_code == 302
    assert count(Group) == 3


def test_organisers_named_in_a_groups_file_are_given_the_group_and_told(
    office_browser, office, make_user
):
    sam = make_user("sam@example.org", "Sam Smith")
    page = check(
        office_browser,
        "groups",
        "name,postcode,region,organiser_emails\nRye Action,TN31,,SAM@example.org\n",
    )
    assert "Add Rye Action in TN31 (South East), organised by Sam Smith" in page
    confirm(office_browser, "groups", page)
    assert [group.name for group in sam.groups] == ["Rye Action"]
    assert count(OutboxMessage, OutboxMessage.kind == "role_granted") == 1
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == IMPORTED).order_by(AuditEntry.id)
    ).all()
    assert [(e.actor_id, e.subject_user_id, e.detail) for e in entries] == [
        (office.id, sam.id, f"made an organiser of group {sam.groups[0].id}"),
        (office.id, None, "1 group imported"),
    ]
