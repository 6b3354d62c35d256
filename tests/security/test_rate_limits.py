"""Rate limits per client, with the defaults of config.py: sign-in, forgotten
password (and reset emails per address), invitations and calendar feeds. Each
limit answers 429 with a plain "wait and try again" and Retry-After, and
another client is not slowed by it."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from trainers.calendar.feed_links import start_feed
from trainers.extensions import db
from trainers.limitstore import RateLimitCounter
from trainers.timeutil import utcnow

pytestmark = pytest.mark.usefixtures("real_rate_limits")

GUESSER, OWNER = "198.51.100.20", "192.0.2.10"  # documentation addresses
WRONG = "not the password"


@pytest.fixture
def client_at(app, clock):
    """A browser at the given address on the internet: `client_at("192.0.2.1")`;
    the clock is stopped, so windows end only when a test moves it."""

    def make(address: str, user=None):
        browser = app.test_client(user=user) if user else app.test_client()
        browser.environ_base["REMOTE_ADDR"] = address
        return browser

    return make


def sign_in(browser, address: str, password: str = WRONG):
    return browser.post("/login", data={"email": address, "password": password})


def forgot(browser, address: str):
    return browser.post("/password/forgot", data={"email": address})


def assert_told_to_wait(response, words: str, seconds: int) -> None:
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(seconds)
    page = response.get_data(as_text=True)
    assert "Too many tries" in page
    assert f"Please wait {words} and try again." in page


def test_a_client_trying_many_addresses_is_slowed_and_others_are_not(
    make_user, client_at, clock
):
    make_user("ann@example.org")
    guesser = client_at(GUESSER)
    answers = [sign_in(guesser, f"person{n}@example.org") for n in range(10)]
    assert {a.status_code for a in answers} == {200}
    assert_told_to_wait(
        sign_in(guesser, "ann@example.org", PASSWORD), "1 minute", seconds=60
    )
    assert sign_in(client_at(OWNER), "ann@example.org", PASSWORD).status_code == 302

    clock.advance(timedelta(seconds=45))
    assert_told_to_wait(sign_in(guesser, "x@example.org"), "15 seconds", seconds=15)
    clock.advance(timedelta(seconds=15))
    assert sign_in(guesser, "x@example.org").status_code == 200


def test_a_client_signs_in_at_most_fifty_times_an_hour(client_at, clock):
    guesser = client_at(GUESSER)
    for minute in range(5):
        answers = [sign_in(guesser, f"p{minute}-{n}@example.org") for n in range(10)]
        assert {a.status_code for a in answers} == {200}
        clock.advance(timedelta(minutes=1))
    assert_told_to_wait(
        sign_in(guesser, "x@example.org"), "55 minutes", seconds=55 * 60
    )


def test_forgotten_password_is_limited_per_client_and_emails_per_address(
    make_user, client_at, clock, mailbox
):
    make_user("ann@example.org")
    make_user("bob@example.org")
    asker = client_at(GUESSER)
    answers = [forgot(asker, "ann@example.org") for _ in range(5)]
    assert {a.status_code for a in answers} == {302}
    assert_told_to_wait(forgot(asker, "bob@example.org"), "1 hour", seconds=3600)
    assert len(mailbox.to("ann@example.org")) == 3, "three emails an hour at most"
    assert mailbox.to("bob@example.org") == []

    other = client_at(OWNER)
    same_answer = forgot(other, "ann@example.org")
    assert same_answer.status_code == 302
    assert same_answer.headers["Location"] == answers[0].headers["Location"]
    assert len(mailbox.to("ann@example.org")) == 3
    assert forgot(other, "bob@example.org").status_code == 302
    assert len(mailbox.to("bob@example.org")) == 1

    clock.advance(timedelta(hours=1))
    assert forgot(other, "ann@example.org").status_code == 302
    assert len(mailbox.to("ann@example.org")) == 4


def test_invitation_links_are_limited_per_client(client_at):
    prober = client_at(GUESSER)
    answers = [prober.get(f"/invitations/guess-{n}") for n in range(20)]
    assert {a.status_code for a in answers} == {404}
    assert_told_to_wait(prober.get("/invitations/guess"), "1 hour", seconds=3600)
    assert client_at(OWNER).get("/invitations/guess").status_code == 404


def test_the_office_sends_at_most_a_hundred_invitations_an_hour(make_user, client_at):
    office = make_user("office@example.org", office=True)
    browser = client_at(GUESSER, user=office)
    # Empty forms: refused, but counted like any other.
    answers = [browser.post("/office/people/invite", data={}) for _ in range(100)]
    assert {a.status_code for a in answers} == {200}
    assert_told_to_wait(
        browser.post("/office/people/invite", data={}), "1 hour", seconds=3600
    )
    colleague = client_at(OWNER, user=office)
    assert colleague.post("/office/people/invite", data={}).status_code == 200


def test_guessing_calendar_feeds_is_limited_per_client(client_at, make_user):
    poller = client_at(GUESSER)
    answers = [poller.get("/calendar/no-such-feed.ics") for _ in range(60)]
    assert {a.status_code for a in answers} == {404}
    assert_told_to_wait(
        poller.get("/calendar/no-such-feed.ics"), "1 minute", seconds=60
    )
    assert client_at(OWNER).get("/calendar/no-such-feed.ics").status_code == 404


def test_a_known_feed_is_never_refused_however_often_polled(app, client_at, make_user):
    """A calendar service polls many people's feeds from few addresses: only
    guesses count, so the feeds people hold keep answering."""
    token = start_feed(make_user("ann@example.org"), utcnow())
    db.session.commit()
    poller = client_at(GUESSER)
    answers = [poller.get(f"/calendar/{token}.ics") for _ in range(70)]
    assert {a.status_code for a in answers} == {200}
    assert db.session.scalar(select(func.count()).select_from(RateLimitCounter)) == 0
