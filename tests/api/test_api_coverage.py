"""Coverage through the API: the dashboard's figures and its CSV exports'
rows, from the same report with the same filters, for the office alone."""

import pytest

from tests.api.test_api_core import assert_problem
from tests.coverage.coverage_world import build_world
from tests.coverage.downloads import rows_of
from trainers.coverage.dashboard.exports import EXPORTS
from trainers.coverage.quality.queues import QUEUES
from trainers.coverage.recruiting.tables import COLD_SPOT_TABLES
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


def all_rows(api, path: str, query: str) -> list[list]:
    """Every page of a list, followed by its cursors."""
    rows, cursor = [], None
    while True:
        answer = api.get(
            f"{path}?{query}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        )
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


DOWNLOADS = (
    [(f"/coverage/exports/{t}", f"/office/coverage/{t}.csv") for t in EXPORTS]
    + [
        (f"/coverage/cold-spots/{t}", f"/office/cold-spots/{t}.csv")
        for t in COLD_SPOT_TABLES
    ]
    + [(f"/coverage/data-quality/{q}", f"/office/data-quality/{q}.csv") for q in QUEUES]
)


@pytest.mark.parametrize(("path", "download"), DOWNLOADS)
def test_every_download_has_the_csvs_rows(api_as, client_for, office, path, download):
    query = f"{RANGE}&region=South+East" if path.endswith("regions") else RANGE
    csv = rows_of(client_for(office).get(f"{download}?{query}"))
    api = api_as(office, "read")
    first = api.get(f"{path}?{query}").get_json()
    assert first["header"] == csv[0]
    assert first["name"] == path.removeprefix("/coverage/")
    assert [as_csv(row) for row in all_rows(api, path, query)] == csv[1:]


def test_the_downloads_hold_rows(api_as, office):
    api = api_as(office, "read")
    for path in ("exports/sessions", "data-quality/sessions-without-attendance"):
        assert api.get(f"/coverage/{path}?{RANGE}").get_json()["items"], path


def test_bad_filters_are_refused_in_the_pages_words(api_as, office, world):
    api = api_as(office, "read")
    backwards = assert_problem(api.get("/coverage?from=2026-04-30&to=2026-02-01"), 422)
    assert backwards["errors"] == {
        "to": ["The end date must be on or after the start date."]
    }
    unknown = assert_problem(api.get("/coverage?topic=999999"), 422)
    assert unknown["errors"] == {"topic": ["Choose a topic from the list."]}
    assert_problem(api.get("/coverage/exports/nothing"), 404)
    assert_problem(api.get("/coverage/cold-spots/nothing"), 404)
    stuck = assert_problem(
        api.get("/coverage/data-quality/stuck-requests?days=400"), 422
    )
    assert stuck["errors"] == {"days": ["Enter a whole number of days from 1 to 365."]}
    cursor = api.get(f"/coverage/exports/groups?{RANGE}&limit=1").get_json()[
        "next_cursor"
    ]
    assert_problem(api.get(f"/coverage/exports/months?cursor={cursor}"), 422)


def test_only_the_office_reads_coverage(api_as, world):
    trainer = world.trainers["A"]
    assert_problem(api_as(trainer, "read").get("/coverage"), 403)
    assert_problem(api_as(trainer, "read").get("/coverage/exports/sessions"), 403)
