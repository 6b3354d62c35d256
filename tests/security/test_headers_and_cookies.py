"""Security headers on every kind of answer, and the cookies' flags, in
development and in production."""

import secrets
from http.cookies import SimpleCookie

import pytest

from tests.conftest import PASSWORD
from tests.security.crawl import fill
from trainers import create_app
from trainers.extensions import db

# The whole policy, directive by directive: anything added must be added here.
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
HSTS = "max-age=31536000; includeSubDomains"


def policy(header: str) -> dict[str, list[str]]:
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def answers(browser, world) -> dict:
    """One answer of each kind: a page, a redirect, 404, 405, a refused form, a
    stylesheet, a calendar feed and a download."""
    found = {
        "page": browser.get("/about"),
        "redirect": browser.get("/"),
        "not found": browser.get("/no-such-page"),
        "wrong method": browser.get("/logout"),
        "refused form": browser.post("/password/forgot", data={"email": "x"}),
        "stylesheet": browser.get("/static/css/app.css"),
        "feed": browser.get(f"/calendar/{world.ids['feed_token']}.ics"),
        "healthz": browser.get("/healthz"),
    }
    for response in found.values():
        response.close()  # a static file stays open until closed
    return found


def set_cookies(response) -> dict[str, dict]:
    """Each cookie the answer sets, with its attributes (flags as True)."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        for name, morsel in SimpleCookie(header).items():
            flags = {key: morsel[key] for key in morsel.keys() if morsel[key]}
            found[name] = {"value": morsel.value, **flags}
    return found


@pytest.fixture
def production(app, tmp_path):
    """The same database served as in production, with a strong secret key."""
    prod = create_app(
        {
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "MAIL_FILE_DIR": str(tmp_path / "prod-mail"),
            "WTF_CSRF_ENABLED": False,
        }
    )
    yield prod
    with prod.app_context():
        db.engine.dispose()


def test_every_kind_of_answer_carries_the_headers(client, world):
    for kind, response in answers(client, world).items():
        headers = response.headers
        assert response.status_code < 500, kind
        assert policy(headers["Content-Security-Policy"]) == POLICY, kind
        assert headers["X-Content-Type-Options"] == "nosniff", kind
        assert headers["X-Frame-Options"] == "DENY", kind
        assert headers["Referrer-Policy"] == "same-origin", kind
        assert "Strict-Transport-Security" not in headers, f"{kind}: no TLS in dev"
        kept = kind == "stylesheet"
        assert (headers.get("Cache-Control") == "no-store") is not kept, kind


@pytest.mark.parametrize("visitor", ["organiser", "trainer", "office"])
def test_no_page_a_signed_in_person_opens_may_be_stored(world, client_for, visitor):
    """Rosters, sessions, offers, profiles, requests, people and the .ics files
    hold personal data: the rule is a default for every answer, so every page
    one can open is walked rather than a list kept in step."""
    browser = client_for(world.people[visitor])
    app = browser.application
    opened = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        for path in fill(rule.rule, rule.endpoint, world.ids):
            response = browser.get(path)
            response.close()
            opened += response.status_code == 200
            assert response.headers["Cache-Control"] == "no-store", path
    assert opened >= 20


def test_the_policy_allows_no_inline_code_and_no_other_site(client):
    header = client.get("/login").headers["Content-Security-Policy"]
    for loophole in ("unsafe-inline", "unsafe-eval", "unsafe-hashes", "*", "http"):
        assert loophole not in header


def test_production_adds_hsts_to_every_kind_of_answer(production, world):
    browser = production.test_client()
    for kind, response in answers(browser, world).items():
        assert response.status_code < 500, kind
        assert response.headers["Strict-Transport-Security"] == HSTS, kind
        assert policy(response.headers["Content-Security-Policy"]) == POLICY, kind


def test_development_session_cookie_is_httponly_and_lax(app):
    app.config["WTF_CSRF_ENABLED"] = True  # the form's token starts a session
    cookie = set_cookies(app.test_client().get("/login"))["session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert "domain" not in cookie, "host-only: no sibling site may read it"


def test_production_session_cookie_is_also_secure(production):
    production.config["WTF_CSRF_ENABLED"] = True
    cookie = set_cookies(production.test_client().get("/login"))["session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"] is True
    assert "domain" not in cookie


@pytest.mark.parametrize("environment", ["development", "production"])
def test_keep_me_signed_in_lasts_in_the_session_cookie_alone(
    app, production, make_user, environment
):
    make_user("ann@example.org")
    served = production if environment == "production" else app
    response = served.test_client().post(
        "/login",
        data={"email": "ann@example.org", "password": PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302
    cookies = set_cookies(response)
    assert "remember_token" not in cookies, "Flask-Login's own cookie is never set"
    session = cookies["session"]
    assert "expires" in session, "a kept sign-in outlives the browser"
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert session.get("secure", False) is (environment == "production")


def test_signing_in_without_remember_me_sets_no_lasting_cookie(app, make_user):
    make_user("ann@example.org")
    response = app.test_client().post(
        "/login", data={"email": "ann@example.org", "password": PASSWORD}
    )
    cookies = set_cookies(response)
    assert "remember_token" not in cookies
    assert "expires" not in cookies["session"], "a session cookie dies with the browser"


def test_signing_out_ends_a_kept_sign_in(app, make_user):
    make_user("ann@example.org")
    browser = app.test_client()
    browser.post(
        "/login",
        data={"email": "ann@example.org", "password": PASSWORD, "remember": "y"},
    )
    assert browser.get("/").status_code == 200
    response = browser.post("/logout")
    assert "expires" not in set_cookies(response)["session"]
    assert browser.get("/").status_code == 302
