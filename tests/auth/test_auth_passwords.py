from datetime import timedelta

from flask import current_app
from werkzeug.security import check_password_hash

from tests.conftest import PASSWORD
from trainers.auth import services
from trainers.extensions import db
from trainers.timeutil import utcnow

NEW = "a brand new password"


def test_outside_the_tests_a_password_is_hashed_at_full_scrypt_cost(
    app, real_password_hashing
):
    """The tests hash cheaply (tests/conftest.py); the app's own setting must not."""
    method = services.hash_password(NEW, "Ann Example", "ann@example.org").split("$")[0]
    assert method == "scrypt:32768:8:1"


def test_reset_link_is_emailed_and_sets_a_new_password(make_user, client, mailbox):
    user = make_user("ann@example.org")
    response = client.post(
        "/password/forgot", data={"email": "Ann@example.org"}, follow_redirects=True
    )
    assert b"If that address has an account" in response.data
    link = mailbox.last_link("ann@example.org")
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW, "confirm": NEW})
    assert response.status_code == 302
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, NEW)
    assert user.password_hash.startswith(
        f"{current_app.config['PASSWORD_HASH_METHOD']}$"
    )


def test_unknown_address_gets_the_same_answer_and_no_email(client, mailbox):
    response = client.post(
        "/password/forgot", data={"email": "nobody@example.org"}, follow_redirects=True
    )
    assert b"If that address has an account" in response.data
    assert mailbox.messages() == []


def test_deactivated_account_gets_no_reset_email(make_user, client, mailbox):
    make_user("ann@example.org", active=False)
    client.post("/password/forgot", data={"email": "ann@example.org"})
    assert mailbox.messages() == []


def test_reset_link_works_once_and_kills_older_links(make_user, client, mailbox):
    make_user("ann@example.org")
    client.post("/password/forgot", data={"email": "ann@example.org"})
    older = mailbox.last_link("ann@example.org")
    client.post("/password/forgot", data={"email": "ann@example.org"})
    newer = mailbox.last_link("ann@example.org")
    assert client.post(newer, data={"password": NEW, "confirm": NEW}).status_code == 302
    assert client.post(newer, data={"password": NEW, "confirm": NEW}).status_code == 404
    assert client.get(older).status_code == 404


def test_expired_reset_link_is_refused(app, make_user, client, mailbox):
    make_user("ann@example.org")
    services.request_password_reset("ann@example.org", utcnow() - timedelta(hours=3))
    db.session.commit()
    response = client.get(mailbox.last_link("ann@example.org"))
    assert response.status_code == 404
    assert b"expired" in response.data


def test_reset_with_a_short_password_changes_nothing(make_user, client, mailbox):
    user = make_user("ann@example.org")
    before = user.password_hash
    client.post("/password/forgot", data={"email": "ann@example.org"})
    link = mailbox.last_link("ann@example.org")
    response = client.post(link, data={"password": "short", "confirm": "short"})
    assert b"Use between 10 and 200 characters." in response.data
    db.session.refresh(user)
    assert user.password_hash == before
    assert client.get(link).status_code == 200  # still usable


def test_reset_lifts_a_sign_in_lock(make_user, client, mailbox):
    make_user("ann@example.org")
    for _ in range(5):
        client.post(
            "/login", data={"email": "ann@example.org", "password": "wrong password"}
        )
    client.post("/password/forgot", data={"email": "ann@example.org"})
    client.post(
        mailbox.last_link("ann@example.org"), data={"password": NEW, "confirm": NEW}
    )
    response = client.post("/login", data={"email": "ann@example.org", "password": NEW})
    assert response.status_code == 302


def test_change_password_needs_the_current_one(make_user, client_for):
    user = make_user("ann@example.org")
    browser = client_for(user)
    wrong = browser.post(
        "/account/password",
        data={"current_password": "nope", "password": NEW, "confirm": NEW},
    )
    assert b"That is not your current password." in wrong.data
    right = browser.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW, "confirm": NEW},
    )
    assert right.status_code == 302
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, NEW)
