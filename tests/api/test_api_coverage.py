"""Coverage through the API: the dashboard's figures and its CSV exports'
rows, from the same report with the same filters, for the office alone."""

import pytest

from tests.api.test_api_core import assert_problem
from tests.coverage.coverage_world import build_world
from tests.coverage.downloads import rows_of
from trainers.coverage.dashboard.exports import EXPORTS
from trainers.csvexport import neutralise

RANGE = "from=2026-02-01&to=2026-04-30"


@pytest.fixture
def world(make_group, make_topic, make_trainer):
    return build_world(make_group, make_topic, make_trainer)


@pytest.fixture
def office(make_user, world):
    return make_user("office@example.org", office=True)


def as_csv(row: list) -> list[str]:
    """A JSON row as the CSV writes it."""
    return ["" if cell is None else str(neutralise(cell)) for cell in row]


def all_rows(api, table: str, query: str) -> list[list]:
    """Every page of an export, followed by its cursors."""
    rows, cursor = [], None
    while True:
        path = f"/coverage/exports/{table}?{query}&limit=2"
        answer = api.get(path + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status_code == 200, answer.get_json()
        page = answer.get_json()
        rows += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def test_the_figures_are_the_dashboards(api_as, office):
    answer = api_as(office, "read").get(f"/coverage?{RANGE}")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["filters"] == {
        "from": "2026-02-01",
        "to": "2026-04-30",
        "region": None,
        "topic": None,
    }
    figures = {figure["label"]: figure for figure in body["figures"]}
    assert figures["Groups served"]["text"] == "3 of 6"
    assert figures["People trained"]["value"] == 54
    assert figures["Unfilled rate"]["value"] == pytest.approx(0.1429, abs=1e-4)


@pytest.mark.parametrize("table", list(EXPORTS))
def test_every_export_has_the_csvs_rows(api_as, client_for, office, table):
    query = f"{RANGE}&region=South+East" if table == "regions" else RANGE
    csv = rows_of(client_for(office).get(f"/office/coverage/{table}.csv?{query}"))
    api = api_as(office, "read")
    first = api.get(f"/coverage/exports/{table}?{query}").get_json()
    assert first["header"] == csv[0]
    assert [as_csv(row) for row in all_rows(api, table, query)] == csv[1:]


def test_bad_filters_are_refused_in_the_pages_words(api_as, office, world):
    api = api_as(office, "read")
    backwards = assert_problem(api.get("/coverage?from=2026-04-30&to=2026-02-01"), 422)
    assert backwards["errors"] == {
        "to": ["The end date must be on or after the start date."]
    }
    unknown = assert_problem(api.get("/coverage?topic=999999"), 422)
    assert unknown["errors"] == {"topic": ["Choose a topic from the list."]}
    assert_problem(api.get("/coverage/exports/nothing"), 404)
    cursor = api.get(f"/coverage/exports/groups?{RANGE}&limit=1").get_json()[
        "next_cursor"
    ]
    assert_problem(api.get(f"/coverage/exports/months?cursor={cursor}"), 422)


def test_only_the_office_reads_coverage(api_as, world):
    trainer = world.trainers["A"]
    assert_problem(api_as(trainer, "read").get("/coverage"), 403)
    assert_problem(api_as(trainer, "read").get("/coverage/exports/sessions"), 403)
