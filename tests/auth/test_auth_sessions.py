"""Sign-ins live on the server: they can be ended, and they run out."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from trainers.auth import sign_ins
from trainers.auth.models import SignIn
from trainers.extensions import db

FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
)
ENDED = b"this sign-in was ended"
CONTACT = "/account/contact"  # a page for anyone signed in


@pytest.fixture
def limits(app):
    """The limits these tests count on, whatever the defaults become."""
    app.config.update(
        SIGN_IN_IDLE_MINUTES=120,
        SIGN_IN_LIFETIME_HOURS=12,
        OFFICE_SIGN_IN_IDLE_MINUTES=30,
        OFFICE_SIGN_IN_LIFETIME_HOURS=8,
        KEPT_SIGN_IN_IDLE_DAYS=14,
        KEPT_SIGN_IN_LIFETIME_DAYS=30,
        SIGN_IN_SEEN_EVERY_SECONDS=60,
    )


def signed_in(app, email, remember=False, user_agent=FIREFOX_ON_WINDOWS):
    """A browser signed in through the sign-in page."""
    browser = app.test_client()
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = browser.post("/login", data=data, headers={"User-Agent": user_agent})
    assert response.status_code == 302, "signed in"
    return browser


def holding(app, cookie: str):
    """Another browser holding a copy of a session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def copy_of(app, browser):
    """Another browser holding a copy of this one's cookie."""
    return holding(app, browser.get_cookie("session").value)


def is_signed_in(browser) -> bool:
    response = browser.get(CONTACT)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def sign_in_count(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(SignIn).where(SignIn.user_id == user.id)
    )


def test_a_copied_cookie_stops_working_once_its_browser_signs_out(app, make_user):
    make_user("ann@example.org", trainer=True)
    browser = signed_in(app, "ann@example.org")
    thief = copy_of(app, browser)
    assert is_signed_in(thief), "a copy works while the sign-in lasts"

    browser.post("/logout")

    assert not is_signed_in(browser)
    assert not is_signed_in(thief)


def test_a_cookie_naming_only_the_account_signs_nobody_in(app, make_user):
    # What Flask-Login alone wrote, and what a stolen secret key could forge.
    ann = make_user("ann@example.org")
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = str(ann.id)
        session["_fresh"] = True
    assert not is_signed_in(browser)


def test_changing_the_password_signs_out_every_other_browser(app, make_user):
    ann = make_user("ann@example.org", trainer=True)
    laptop = signed_in(app, "ann@example.org")
    phone = signed_in(app, "ann@example.org")

    response = laptop.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )

    assert response.status_code == 302
    assert is_signed_in(laptop), "the browser that changed it stays signed in"
    landing = phone.get(CONTACT, follow_redirects=True)
    assert landing.request.path == "/login"
    assert ENDED in landing.data
    assert sign_in_count(ann) == 1


def test_a_wrong_current_password_ends_no_sign_in(app, make_user):
    make_user("ann@example.org")
    laptop = signed_in(app, "ann@example.org")
    phone = signed_in(app, "ann@example.org")
    laptop.post(
        "/account/password",
        data={
            "current_password": "not my password",
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert is_signed_in(laptop) and is_signed_in(phone)


def test_resetting_the_password_signs_out_every_browser(
    app, make_user, client, mailbox
):
    ann = make_user("ann@example.org")
    laptop = signed_in(app, "ann@example.org")
    phone = signed_in(app, "ann@example.org")
    client.post("/password/forgot", data={"email": "ann@example.org"})

    client.post(
        mailbox.last_link("ann@example.org"),
        data={
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )

    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert sign_in_count(ann) == 0


def test_signing_out_everywhere_ends_every_sign_in(app, make_user):
    ann = make_user("ann@example.org")
    laptop = signed_in(app, "ann@example.org")
    phone = signed_in(app, "ann@example.org")

    response = laptop.post("/account/sign-ins/end", follow_redirects=True)

    assert response.request.path == "/login"
    assert b"You are signed out everywhere" in response.data
    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert sign_in_count(ann) == 0


def test_the_office_signs_a_person_out_everywhere(app, make_user, client_for):
    ann = make_user("ann@example.org", "Ann Example")
    office = client_for(make_user("office@example.org", office=True))
    laptop = signed_in(app, "ann@example.org")

    response = office.post(f"/office/people/{ann.id}/sign-out", follow_redirects=True)

    assert b"Ann Example is signed out everywhere." in response.data
    assert not is_signed_in(laptop)
    assert is_signed_in(office)


def test_only_the_office_signs_others_out(app, make_user, client_for):
    ann = make_user("ann@example.org")
    organiser = client_for(make_user("bob@example.org", trainer=True))
    laptop = signed_in(app, "ann@example.org")
    assert organiser.post(f"/office/people/{ann.id}/sign-out").status_code == 403
    assert is_signed_in(laptop)


def test_signing_out_an_unknown_person_is_not_found(make_user, client_for):
    office = client_for(make_user("office@example.org", office=True))
    assert office.post("/office/people/999999/sign-out").status_code == 404


def test_deactivating_a_person_ends_their_sign_ins(app, make_user, client_for):
    ann = make_user("ann@example.org")
    office = client_for(make_user("office@example.org", office=True))
    laptop = signed_in(app, "ann@example.org")

    office.post(f"/office/people/{ann.id}/deactivate", data={"confirm": "y"})

    assert sign_in_count(ann) == 0
    assert not is_signed_in(laptop)


def test_erasing_a_person_ends_their_sign_ins(app, make_user, client_for):
    ann = make_user("ann@example.org")
    office = client_for(make_user("office@example.org", office=True))
    laptop = signed_in(app, "ann@example.org")

    office.post(
        f"/office/privacy/people/{ann.id}/erase",
        data={"confirmation": "ann@example.org"},
    )

    assert sign_in_count(ann) == 0
    assert not is_signed_in(laptop)


def test_the_scheduler_forgets_sign_ins_that_ran_out_unvisited(
    app, make_user, clock, limits
):
    office = make_user("office@example.org", office=True)
    ann = make_user("ann@example.org")
    signed_in(app, "office@example.org")
    signed_in(app, "ann@example.org")
    signed_in(app, "ann@example.org", remember=True)
    clock.advance(timedelta(hours=1))

    result = app.test_cli_runner().invoke(
        args=["scheduler", "run-job", "forget-ended-sign-ins"]
    )

    assert result.exit_code == 0, result.output
    assert sign_in_count(office) == 0, "the office's ran out after 30 minutes"
    assert sign_in_count(ann) == 2
    clock.advance(timedelta(hours=1, minutes=1))
    sign_ins.forget_ended(clock())
    assert sign_in_count(ann) == 1, "only the kept one is left"


def test_a_sign_in_ends_after_two_idle_hours(app, make_user, clock, limits):
    make_user("ann@example.org", trainer=True)
    browser = signed_in(app, "ann@example.org")
    for _ in range(3):  # each page restarts the idle time
        clock.advance(timedelta(minutes=119))
        assert is_signed_in(browser)

    clock.advance(timedelta(hours=2))

    landing = browser.get(CONTACT, follow_redirects=True)
    assert landing.request.path == "/login"
    assert b"You were signed out after 2 hours without activity." in landing.data
    assert b"Please sign in to see that page." not in landing.data


def test_a_sign_in_ends_twelve_hours_after_it_began_however_busy(
    app, make_user, clock, limits
):
    make_user("ann@example.org", trainer=True)
    browser = signed_in(app, "ann@example.org")
    for _ in range(11):
        clock.advance(timedelta(hours=1))
        assert is_signed_in(browser)

    clock.advance(timedelta(hours=1))

    landing = browser.get(CONTACT, follow_redirects=True)
    assert b"You were signed out 12 hours after signing in" in landing.data
    assert not is_signed_in(browser)


def test_the_office_is_signed_out_sooner(app, make_user, clock, limits):
    make_user("office@example.org", office=True)
    make_user("ann@example.org", trainer=True)
    office = signed_in(app, "office@example.org")
    trainer = signed_in(app, "ann@example.org")

    clock.advance(timedelta(minutes=31))

    assert is_signed_in(trainer)
    landing = office.get(CONTACT, follow_redirects=True)
    assert b"You were signed out after 30 minutes without activity." in landing.data


def test_the_office_is_signed_out_eight_hours_after_signing_in(
    app, make_user, clock, limits
):
    make_user("office@example.org", office=True)
    office = signed_in(app, "office@example.org")
    for _ in range(31):
        clock.advance(timedelta(minutes=15))
        assert is_signed_in(office)
    clock.advance(timedelta(minutes=15))
    assert not is_signed_in(office)


def test_keep_me_signed_in_lasts_a_fortnight_idle_and_a_month_in_all(
    app, make_user, clock, limits
):
    make_user("ann@example.org", trainer=True)
    browser = signed_in(app, "ann@example.org", remember=True)
    clock.advance(timedelta(days=13))
    assert is_signed_in(browser)
    clock.advance(timedelta(days=13))
    assert is_signed_in(browser)
    clock.advance(timedelta(days=4))
    assert not is_signed_in(browser)


def test_keep_me_signed_in_is_not_honoured_for_the_office(
    app, make_user, clock, limits
):
    make_user("office@example.org", office=True)
    browser = app.test_client()
    response = browser.post(
        "/login",
        data={"email": "office@example.org", "password": PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302
    assert "Expires" not in response.headers["Set-Cookie"], "dies with the browser"
    clock.advance(timedelta(minutes=31))
    assert not is_signed_in(browser)


def test_after_timing_out_one_signs_in_again_back_to_the_page(
    app, make_user, clock, limits
):
    make_user("ann@example.org")
    browser = signed_in(app, "ann@example.org")
    clock.advance(timedelta(hours=3))

    response = browser.get(CONTACT)
    assert response.status_code == 302
    sign_in_page = response.headers["Location"]
    assert sign_in_page.startswith("/login?next=")

    again = browser.post(
        sign_in_page, data={"email": "ann@example.org", "password": PASSWORD}
    )
    assert again.headers["Location"] == CONTACT
    assert is_signed_in(browser)


def test_a_timed_out_sign_in_is_deleted(app, make_user, clock, limits):
    ann = make_user("ann@example.org")
    browser = signed_in(app, "ann@example.org")
    clock.advance(timedelta(hours=3))
    assert not is_signed_in(browser)
    assert sign_in_count(ann) == 0


def test_last_seen_is_written_at_most_once_a_minute(app, make_user, clock, limits):
    ann = make_user("ann@example.org")
    browser = signed_in(app, "ann@example.org")
    started = clock()

    clock.advance(timedelta(seconds=30))
    is_signed_in(browser)
    row = db.session.scalars(select(SignIn).where(SignIn.user_id == ann.id)).one()
    assert row.last_seen_at == started

    clock.advance(timedelta(seconds=31))
    is_signed_in(browser)
    db.session.refresh(row)
    assert row.last_seen_at == clock()


def test_every_sign_in_gets_a_fresh_token(app, make_user):
    ann = make_user("ann@example.org")
    browser = signed_in(app, "ann@example.org")
    first = browser.get_cookie("session").value
    browser.post("/logout")
    browser.post("/login", data={"email": "ann@example.org", "password": PASSWORD})

    hashes = db.session.scalars(
        select(SignIn.token_hash).where(SignIn.user_id == ann.id)
    ).all()
    assert len(hashes) == 1
    assert browser.get_cookie("session").value != first
    assert not is_signed_in(holding(app, first))


def test_accepting_an_invitation_ends_the_sign_in_that_was_there(
    app, make_user, client_for, mailbox
):
    office = make_user("office@example.org", office=True)
    bob = make_user("bob@example.org")
    client_for(office).post(
        "/office/people/invite",
        data={
            "email": "new@example.org",
            "name": "New Person",
            "role": "trainer",
            "group_id": "0",
        },
    )
    browser = signed_in(app, "bob@example.org")

    browser.post(
        mailbox.last_link("new@example.org"),
        data={"name": "New Person", "password": PASSWORD, "confirm": PASSWORD},
    )

    assert sign_in_count(bob) == 0
    assert b"Hello, New" in browser.get("/").data


def test_the_account_page_lists_the_sign_ins(app, make_user):
    make_user("ann@example.org")
    browser = signed_in(app, "ann@example.org")
    signed_in(app, "ann@example.org", user_agent="Mozilla/5.0 (iPhone) Safari/604.1")

    page = browser.get("/account/sign-ins").data

    assert b"Firefox on Windows <strong>(this device)</strong>" in page
    assert b"Safari on iPhone" in page
    assert b"Sign out everywhere" in page


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX_ON_WINDOWS, "Firefox on Windows"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Mac",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5", "An unknown browser"),
        ("", "An unknown browser"),
    ],
)
def test_devices_are_named_in_a_few_words(user_agent, device):
    assert sign_ins.describe_device(user_agent) == device
