"""A visitor who is not signed in learns what the service is, how to get an
account and what happens to their data; the privacy notice is a link away on
every page."""

import re

import pytest

from tests.conftest import PASSWORD


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_a_visitor_at_the_front_door_learns_what_this_is_and_how_to_join(app, client):
    app.config["OFFICE_EMAIL"] = "hello@movement.example"
    answer = client.get("/", follow_redirects=True)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    words = text_of(answer)
    assert "free" in words and "volunteer trainer" in words
    assert "Accounts are by invitation" in words
    assert 'href="mailto:hello@movement.example"' in page
    assert 'href="/login"' in page
    assert 'href="/privacy"' in page


def test_the_privacy_notice_says_what_why_how_long_who_and_how_to_ask(app, client):
    app.config.update(
        OFFICE_EMAIL="privacy@movement.example",
        ATTENDEE_RETENTION_MONTHS=18,
        OUTBOX_BODY_RETENTION_DAYS=45,
    )
    answer = client.get("/privacy")
    assert answer.status_code == 200
    words = text_of(answer)
    for heading in (
        "What we hold, and why",
        "For how long",
        "Who sees it",
        "Seeing, correcting or erasing your data",
    ):
        assert heading in words
    assert "18 months after the session" in words
    assert "cleared 45 days after sending" in words
    assert "special-category data" in words
    assert "privacy@movement.example" in words
    assert "erase" in words


def test_sign_in_page_says_whom_to_ask_for_an_account(app, client):
    app.config["OFFICE_EMAIL"] = "hello@movement.example"
    page = client.get("/login").get_data(as_text=True)
    assert 'href="mailto:hello@movement.example"' in page
    assert 'href="/welcome"' in page


@pytest.mark.parametrize(
    "path", ["/login", "/welcome", "/about", "/password/forgot", "/no-such-page"]
)
def test_every_page_links_to_the_privacy_notice(client, path):
    assert 'href="/privacy"' in client.get(path).get_data(as_text=True)


def test_signed_in_pages_link_to_it_too(client, make_user):
    make_user("ann@example.org")
    client.post("/login", data={"email": "ann@example.org", "password": PASSWORD})
    home = client.get("/")
    assert home.status_code == 200
    assert 'href="/privacy"' in home.get_data(as_text=True)
