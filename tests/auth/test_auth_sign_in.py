from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from trainers import create_app
from trainers.auth import services
from trainers.auth.models import LoginThrottle
from trainers.extensions import db
from trainers.timeutil import utcnow

CLIENT = "203.0.113.7"  # a documentation address, as a client


def sign_in(client, email, password=PASSWORD, next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password})


def test_sign_in_with_the_right_password_lands_on_home(make_user, client):
    make_user("ann@example.org", trainer=True)
    response = sign_in(client, "ANN@example.org ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert b"Hello, Ann" in client.get("/").data


def test_wrong_password_and_unknown_address_get_the_same_answer(make_user, client):
    make_user("ann@example.org")
    wrong = sign_in(client, "ann@example.org", "not the password")
    unknown = sign_in(client, "nobody@example.org", "not the password")
    message = b"That email address and password do not match an active account."
    assert message in wrong.data and message in unknown.data
    assert wrong.status_code == unknown.status_code == 200


def test_missing_fields_are_explained(client):
    response = client.post("/login", data={})
    assert b"Enter your email address." in response.data
    assert b"Enter your password." in response.data


def test_sign_in_is_locked_after_five_failures_even_with_the_right_password(
    make_user, client
):
    make_user("ann@example.org")
    for _ in range(5):
        sign_in(client, "ann@example.org", "wrong password")
    response = sign_in(client, "ann@example.org")
    assert response.status_code == 200
    assert b"Too many failed attempts" in response.data
    assert client.get("/").status_code == 302  # still signed out


def test_unknown_addresses_are_locked_the_same_way(client):
    for _ in range(5):
        sign_in(client, "ghost@example.org", "wrong password")
    assert b"Too many failed attempts" in sign_in(client, "ghost@example.org", "x").data


def test_lock_lifts_after_the_lockout_period(app, make_user):
    user = make_user("ann@example.org")
    start = utcnow()
    for _ in range(5):
        with pytest.raises(services.SignInRefused):
            services.authenticate("ann@example.org", "wrong", CLIENT, start)
    with pytest.raises(services.SignInRefused, match="Too many"):
        services.authenticate(
            "ann@example.org", PASSWORD, CLIENT, start + timedelta(minutes=14)
        )
    later = start + timedelta(minutes=16)
    assert services.authenticate("ann@example.org", PASSWORD, CLIENT, later) == user
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 0


def test_deactivated_account_cannot_sign_in_and_is_signed_out(
    make_user, client_for, client
):
    office = make_user("office@example.org", office=True)
    ann = make_user("ann@example.org", trainer=True)
    ann_browser = client_for(ann)
    assert ann_browser.get("/").status_code == 200
    client_for(office).post(f"/office/people/{ann.id}/deactivate")
    assert ann_browser.get("/").status_code == 302  # their session no longer counts
    assert b"do not match an active account" in sign_in(client, "ann@example.org").data


def test_reactivated_account_can_sign_in_again(make_user, client_for, client):
    office = make_user("office@example.org", office=True)
    ann = make_user("ann@example.org", active=False)
    client_for(office).post(f"/office/people/{ann.id}/reactivate")
    assert sign_in(client, "ann@example.org").status_code == 302


def test_office_cannot_deactivate_itself(make_user, client_for):
    office = make_user("office@example.org", office=True)
    response = client_for(office).post(
        f"/office/people/{office.id}/deactivate", follow_redirects=True
    )
    assert b"You cannot deactivate your own account." in response.data
    db.session.refresh(office)
    assert office.is_active


def test_sign_out_needs_a_post(make_user, client_for):
    browser = client_for(make_user("ann@example.org"))
    assert browser.get("/logout").status_code == 405
    assert browser.post("/logout").status_code == 302
    assert browser.get("/").status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_never_redirects_off_site(make_user, client, target):
    make_user("ann@example.org")
    response = sign_in(client, "ann@example.org", next_url=target)
    assert response.headers["Location"] == "/"


def test_next_on_site_is_followed(make_user, client):
    make_user("ann@example.org", office=True)
    response = sign_in(client, "ann@example.org", next_url="/office/groups")
    assert response.headers["Location"] == "/office/groups"


def test_production_refuses_to_start_without_a_real_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"APP_ENV": "production", "SECRET_KEY": "dev-only-not-secret"})
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"APP_ENV": "production", "SECRET_KEY": "short"})


def test_production_with_a_real_key_sets_secure_cookies_and_hsts(tmp_path):
    app: Flask = create_app(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "x" * 64,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/login")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_pages_carry_security_headers(client):
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # development has no TLS


def test_a_stranger_failing_cannot_lock_the_owner_out(app, make_user):
    """Regression: five wrong passwords from anywhere locked the address for
    everyone, so a stranger could keep the real owner out for good."""
    make_user("ann@example.org")
    stranger, owner = app.test_client(), app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    owner.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    for _ in range(5):
        sign_in(stranger, "ann@example.org", "wrong password")
    assert b"Too many failed attempts" in sign_in(stranger, "ann@example.org").data
    assert sign_in(owner, "ann@example.org").status_code == 302


def test_failures_that_no_longer_count_are_forgotten(app, make_user):
    make_user("ann@example.org")
    start = utcnow()
    for address, failures in (("ann@example.org", 5), ("ghost@example.org", 1)):
        for _ in range(failures):
            with pytest.raises(services.SignInRefused):
                services.authenticate(address, "wrong", CLIENT, start)
    db.session.commit()
    window = timedelta(minutes=app.config["LOGIN_LOCKOUT_MINUTES"])
    assert services.forget_old_sign_in_failures(start + window) == 0
    assert services.forget_old_sign_in_failures(start + window * 1.01) == 2
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 0
