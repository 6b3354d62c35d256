"""Every API route, called with each visitor's token, against one declared table
(as tests/test_access_matrix.py walks the pages).

Codes, in visitor order (no token, organiser of the group, organiser of another
group, the trainer, another trainer, the office):
  U  401, no live token   F  403 refused   H  404, as if it did not exist
  K  let through (any answer below 500 that is none of the above)
  *  public: any answer below 500
A route missing from the table fails. A read token is refused every write.
"""

import re

import pytest

from tests.test_access_matrix import VISITORS, _contents
from trainers import create_app

API_MATRIX = {
    "api.openapi_json": "******",
    "api.reference": "******",
    "api_topics.list_topics": "UKKKKK",
    "api_requests.list_requests": "UKKFFK",
    "api_requests.get_request": "UKHFFK",
    # Another organiser passes the role check; a group not theirs is a 422.
    "api_requests.create_request": "UKKFFK",
    "api_requests.set_trainers": "UFFFFK",
    "api_offers.list_offers": "UFFKKK",
    "api_offers.get_offer": "UFFKHK",
    # Only the trainer answers their offer, as on the offer page.
    "api_offers.accept_offer": "UFFKHH",
    "api_offers.decline_offer": "UFFKHH",
    "api_sessions.list_sessions": "UKKKKK",
    "api_sessions.get_session": "UKHKHK",
    # Changed, as on the request pages, by the group's organisers and the office.
    "api_sessions.reschedule_session": "UKHFFK",
    "api_sessions.cancel_session": "UKHFFK",
    # The roster's audience: the session's trainer, organisers, the office.
    "api_attendance.get_attendance": "UKHKHK",
    "api_attendance.record_attendance": "UKHKHK",
    "api_groups.list_groups": "UKKFFK",
    "api_groups.get_group": "UKHFFK",
    "api_groups.create_group": "UFFFFK",
    "api_groups.change_group": "UFFFFK",
    "api_people.list_people": "UFFFFK",
    "api_people.get_person_by_id": "UFFFFK",
    "api_profiles.get_profile": "UHHKHK",
    "api_profiles.get_own_calendar": "UHHKHK",
    "api_profiles.set_own_calendar": "UHHKHK",
    "api_profiles.remove_own_calendar": "UHHKHK",
    "api_coverage.get_coverage": "UFFFFK",
    "api_coverage.get_export": "UFFFFK",
    "api_coverage.get_cold_spots": "UFFFFK",
    "api_coverage.get_data_quality": "UFFFFK",
    "api_imports.check_file": "UFFFFK",
    "api_imports.import_file": "UFFFFK",
}
REFUSED = "UFH"


def api_routes():
    app = create_app({"TESTING": True})
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield pytest.param(
                    rule.endpoint, method, rule.rule, id=f"{method} {rule.rule}"
                )


def test_every_api_route_is_in_the_matrix():
    endpoints = {param.values[0] for param in api_routes()}
    assert endpoints == API_MATRIX.keys()


def classify(response) -> str:
    if response.status_code >= 500:
        return "5xx"
    return {401: "U", 403: "F", 404: "H"}.get(response.status_code, "K")


def call(client, token, method, rule, ids):
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(path, method=method, headers=headers, json={})


@pytest.mark.parametrize(("endpoint", "method", "rule"), list(api_routes()))
def test_each_token_gets_what_is_declared(
    client, new_world, token_for, endpoint, method, rule
):
    """The visitors refused meet one world, which their refusals must leave as
    it was; each visitor let through meets a world of their own."""
    codes = API_MATRIX[endpoint]
    refused = [v for v, code in enumerate(codes) if code in REFUSED]
    world = new_world()
    before = _without_tokens(_contents())
    for visitor in refused:
        visit(client, token_for, world, endpoint, method, rule, visitor)
    assert _without_tokens(_contents()) == before, f"{method} {rule}: changed"
    let_through = [v for v in range(len(codes)) if v not in refused]
    for n, visitor in enumerate(let_through):
        world = world if n == 0 else new_world()
        visit(client, token_for, world, endpoint, method, rule, visitor)


def visit(client, token_for, world, endpoint, method, rule, visitor) -> None:
    people, ids = world
    who, want = VISITORS[visitor], API_MATRIX[endpoint][visitor]
    token = None if who == "anonymous" else token_for(people[who])
    answer = classify(call(client, token, method, rule, ids))
    assert answer != "5xx", f"{method} {rule} as {who}: server error"
    assert want in ("*", answer), f"{method} {rule} as {who}: {answer}, not {want}"


@pytest.mark.parametrize(
    ("endpoint", "method", "rule"),
    [p for p in api_routes() if p.values[1] != "GET"],
)
def test_a_read_token_is_refused_every_write(
    client, new_world, token_for, endpoint, method, rule
):
    people, ids = new_world()
    before = _without_tokens(_contents())
    for who in ("organiser", "trainer", "office"):
        token = token_for(people[who], "read")
        assert call(client, token, method, rule, ids).status_code == 403
    assert _without_tokens(_contents()) == before


def _without_tokens(contents: dict) -> dict:
    # Each visitor's token is made for the visit, and notes when it was used.
    return {name: rows for name, rows in contents.items() if name != "api_tokens"}
