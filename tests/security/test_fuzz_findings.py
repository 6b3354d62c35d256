"""What the form fuzzer found, each pinned down on its own (all were server
errors, most only on PostgreSQL)."""

import re

import pytest

from tests.security.crawl import dump
from trainers import create_app

PAST_32_BITS = 2**31


def test_a_nul_character_in_a_form_is_refused_and_nothing_is_saved(world, client_for):
    """PostgreSQL cannot store a NUL: the save failed half-way, as a 500."""
    office = client_for(world.people["office"])
    before = dump()
    response = office.post(
        "/office/groups/new",
        data={"name": "Hastings\x00Action", "postcode": "TN34", "region": "South East"},
    )
    assert response.status_code == 400
    assert dump() == before


def test_a_nul_character_in_a_query_is_refused(world, client_for):
    office = client_for(world.people["office"])
    assert office.get("/requests/", query_string={"status": "\x00"}).status_code == 400


def test_a_slot_years_away_is_a_field_error_not_a_crash(world, client_for):
    """A slot in December 9999 overflowed the month arithmetic of matching."""
    organiser = client_for(world.people["organiser"])
    before = dump()
    response = organiser.post(
        f"/requests/new?group_id={world.ids['group_id']}",
        data={
            "topic_id": world.ids["topic_id"],
            "slot_1_date": "9999-12-31",
            "slot_1_start": "18:30",
            "slot_1_end": "20:30",
            "is_online": "venue",
            "venue_postcode": "TN34",
            "expected_attendance": "10",
        },
    )
    assert response.status_code < 500
    assert "more than 2 years away" in response.get_data(as_text=True)
    assert dump() == before


def test_rescheduling_to_a_date_years_away_is_a_field_error(world, client_for):
    organiser = client_for(world.people["organiser"])
    before = dump()
    response = organiser.post(
        f"/requests/{world.ids['booked_request_id']}/reschedule",
        data={
            "slot": "new",
            "new_date": "9999-12-31",
            "new_start": "18:30",
            "new_end": "20:30",
            "confirm": "y",
        },
    )
    assert response.status_code < 500
    assert "more than 2 years away" in response.get_data(as_text=True)
    assert dump() == before


@pytest.mark.parametrize("action", ["assign", "offer"])
@pytest.mark.parametrize("field", ["trainer_id", "slot_id"])
def test_an_id_past_32_bits_in_a_matching_form_is_refused(
    world, client_for, action, field
):
    """The office's hidden and select ids went straight into a query: a 500."""
    office = client_for(world.people["office"])
    data = {
        "trainer_id": world.ids["other_trainer_id"],
        "slot_id": world.ids["slot_id"],
    }
    data[field] = PAST_32_BITS
    before = dump()
    response = office.post(
        f"/requests/{world.ids['request_id']}/matching/{action}", data=data
    )
    assert response.status_code < 500
    assert dump() == before


def paths_with_ids() -> list[tuple[str, str]]:
    app = create_app({"TESTING": True})
    return [
        (method, re.sub(r"<(?:\w+:)?(\w+)>", "{}", rule.rule))
        for rule in app.url_map.iter_rules()
        if "<int:" in rule.rule
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


def test_an_id_past_32_bits_in_any_path_is_not_found(make_user, client_for):
    """/requests/2147483648 made PostgreSQL fail the lookup: a 500 on every route."""
    office = client_for(make_user("office@example.org", office=True))
    paths = paths_with_ids()
    assert len(paths) >= 30
    for method, path in paths:
        for huge in (PAST_32_BITS, 2**63, 10**30):
            url = path.replace("{}", str(huge))
            # 405 when a sibling route on the same path takes another method.
            status = office.open(url, method=method).status_code
            assert status in (404, 405), f"{method} {url}: {status}"


# Found in code other helpers were still building; reported, not fixed here.


@pytest.mark.parametrize(
    "page", ["/office/coverage/", "/office/cold-spots", "/office/data-quality"]
)
def test_a_blank_topic_filter_is_no_server_error(world, client_for, page):
    """topic=" " passed the form, then int(" ") failed: a 500."""
    office = client_for(world.people["office"])
    assert office.get(page, query_string={"topic": " "}).status_code < 500


def test_an_audit_log_person_past_32_bits_is_no_server_error(world, client_for):
    """person=2147483648 went into the query: PostgreSQL failed it, a 500."""
    office = client_for(world.people["office"])
    response = office.get(
        "/office/privacy/audit", query_string={"person": PAST_32_BITS}
    )
    assert response.status_code < 500
