"""With CSRF protection on, every state-changing route refuses a missing or wrong
token; the API's, which need no CSRF token, refuse a browser's session outright."""

import re

import pytest

from trainers import create_app
from trainers.api import PREFIX as API_PREFIX

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def state_changing_routes(api: bool = False):
    app = create_app({"TESTING": True})
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX + "/") != api:
            continue
        for method in sorted(rule.methods & STATE_CHANGING):
            path = re.sub(r"<(?:\w+:)?(\w+)>", "1", rule.rule)
            yield pytest.param(method, path, id=f"{method} {rule.rule}")


def test_there_are_state_changing_routes_to_check():
    assert len(list(state_changing_routes())) >= 15


@pytest.mark.parametrize(("method", "path"), list(state_changing_routes()))
def test_missing_token_is_refused(csrf_app, make_user, client_for, method, path):
    browser = client_for(make_user("office@example.org", office=True))
    response = browser.open(path, method=method, data={"name": "x"})
    assert response.status_code == 400
    assert b"That form had expired" in response.data


@pytest.mark.parametrize(("method", "path"), list(state_changing_routes()))
def test_wrong_token_is_refused(csrf_app, client, method, path):
    response = client.open(path, method=method, data={"csrf_token": "forged"})
    assert response.status_code == 400


@pytest.mark.parametrize(("method", "path"), list(state_changing_routes(api=True)))
def test_a_browser_session_cannot_write_through_the_api(
    csrf_app, make_user, client_for, method, path
):
    browser = client_for(make_user("office@example.org", office=True))
    response = browser.open(path, method=method, json={"name": "x"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_a_real_token_is_accepted(csrf_app, make_user, client):
    make_user("ann@example.org")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "ann@example.org",
            "password": "correct horse battery",
        },
    )
    assert response.status_code == 302
