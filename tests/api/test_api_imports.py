"""Bulk import through the API: the import page's checks and all-or-nothing
save, for the office's token."""

from sqlalchemy import func, select

from tests.security.crawl import fingerprint
from trainers.auth.models import Invitation
from trainers.extensions import db
from trainers.network.models import Group
from trainers.outbox.models import OutboxMessage

PEOPLE = "name,email,roles,groups,topics,home_postcode,travel_radius_km\n"


def saved() -> dict:
    """Every table but the calls' own bookkeeping (token last used, rate counts)."""
    return {
        table: rows
        for table, rows in fingerprint().items()
        if table not in ("api_tokens", "rate_limit_counters")
    }


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_checked_file_names_each_problem_and_saves_nothing(
    api_as, office, make_group
):
    make_group("Hastings Action", "TN34")
    text = PEOPLE + (
        "Ann,not-an-email,trainer,,,,\n"
        "Bea,bea@example.org,organiser,Nowhere Group,,,\n"
        "Cal,cal@example.org,organiser,Hastings Action,,,\n"
    )
    api = api_as(office)
    before = saved()
    checked = api.post("/imports/people/check", json={"csv": text})
    assert checked.status_code == 200, checked.json
    assert {(p["row"], p["column"]) for p in checked.json["problems"]} == {
        (2, "email"),
        (3, "groups"),
    }
    assert [p["row"] for p in checked.json["planned"]] == [4]
    refused = api.post("/imports/people", json={"csv": text})
    assert refused.status_code == 422
    assert refused.content_type == "application/problem+json"
    assert refused.json["detail"] == "Nothing was imported: the file has 2 problems."
    assert len(refused.json["problems"]) == 2
    assert saved() == before


def test_a_good_file_imports_every_row_and_invites_each_person(
    api_as, office, make_group
):
    make_group("Hastings Action", "TN34")
    text = PEOPLE + "".join(
        f"Person {n},person{n}@example.org,organiser,Hastings Action,,,\n"
        for n in range(5)
    )
    answer = api_as(office).post("/imports/people", json={"csv": text})
    assert answer.status_code == 201, answer.json
    assert len(answer.json["planned"]) == 5
    assert count(Invitation) == 5
    assert count(OutboxMessage) == 5


def test_groups_import_and_an_unknown_kind_is_not_found(api_as, office):
    text = "name,postcode,region,organiser_emails\nRye Action,TN31,,\n"
    assert api_as(office).post("/imports/groups", json={"csv": text}).status_code == 201
    assert db.session.scalar(select(Group.name)) == "Rye Action"
    missing = api_as(office).post("/imports/topics", json={"csv": text})
    assert missing.status_code == 404
