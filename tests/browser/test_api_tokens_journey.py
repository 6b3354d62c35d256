"""An organiser makes an API token on their account page, in real Chromium, and a
script outside the app calls the API with it over HTTP; the organiser reads the
API reference and revokes the token, which then stops at once. Every page on
the way passes axe-core and fits a 375 px phone.

See conftest.py for the server, the browsers and the page checks.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
from flask import Flask

from tests.browser.conftest import Checker, LiveServer, Person, group_at, open_menu
from tests.browser.conftest import sign_in as sign_in_here
from tests.conftest import password_hash
from trainers.auth.models import User
from trainers.extensions import db
from trainers.network.models import Topic

pytestmark = [pytest.mark.journey, pytest.mark.slow]


@dataclass
class Journey:
    server: LiveServer
    checker: Checker
    organiser: Person
    token: str = ""


def call_api(server: LiveServer, path: str, token: str) -> tuple[int, dict]:
    """A script's GET of the API over HTTP: its status and JSON."""
    sent = urllib.request.Request(  # noqa: S310 - the test's own http server
        server.url + "/api/v1" + path, headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(sent, timeout=10) as answer:  # noqa: S310
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


@pytest.fixture(scope="module")
def journey(live_server, checker, site_app: Flask, open_browser) -> Journey:
    with site_app.app_context():
        db.session.add(
            Topic(name="Holding a stall", summary="Where to stand.", default_minutes=90)
        )
        organiser = User(
            email="obi@rye.example.org",
            name="Obi Organiser",
            password_hash=password_hash(),
        )
        organiser.groups.append(group_at("Rye Tenants Together", "TN31"))
        db.session.add(organiser)
        db.session.commit()
    person = open_browser("Obi Organiser", "obi@rye.example.org")
    return Journey(live_server, checker, person)


def test_1_the_organiser_makes_a_token_shown_once(journey: Journey):
    page = journey.organiser.page
    page.goto(journey.server.url + "/login")
    sign_in_here(journey.organiser)
    open_menu(page, "Account")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("CRM sync")
    page.get_by_label("Read only").check()
    page.get_by_role("button", name="Make the token").click()
    shown = page.get_by_label("The new token")
    journey.token = shown.input_value()
    assert journey.token.startswith("tn_")
    journey.checker.check(journey.organiser, "1", "a token made, shown once")
    page.goto(journey.server.url + "/account/api-tokens")
    assert page.get_by_role("cell", name="CRM sync", exact=True).is_visible()
    assert not page.get_by_label("The new token").count()


def test_2_a_script_reads_with_it(journey: Journey):
    status, body = call_api(journey.server, "/topics", journey.token)
    assert status == 200
    assert [topic["name"] for topic in body["items"]] == ["Holding a stall"]


def test_3_the_reference_reads_well(journey: Journey):
    page = journey.organiser.page
    page.goto(journey.server.url + "/account/api-tokens")
    page.get_by_role("link", name="Trainers' Network API").click()
    page.get_by_role("heading", name="POST /api/v1/requests").wait_for()
    journey.checker.check(journey.organiser, "3", "the API reference")


def test_4_revoked_it_stops_at_once(journey: Journey):
    page = journey.organiser.page
    page.goto(journey.server.url + "/account/api-tokens")
    page.get_by_role("button", name="Revoke CRM sync").click()
    page.get_by_text('The token "CRM sync" is revoked.').wait_for()
    journey.checker.check(journey.organiser, "4", "a token revoked")
    status, body = call_api(journey.server, "/topics", journey.token)
    assert status == 401 and body["status"] == 401
