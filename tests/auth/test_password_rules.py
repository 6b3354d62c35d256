"""Common passwords, one's own name or address, and repeats or runs are refused
with a clear message next to the password field, wherever a password is
chosen: accepting an invitation, resetting it, changing it (ASVS 2.1.7)."""

import re

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from tests.conftest import PASSWORD
from trainers.auth.models import User
from trainers.auth.passwords import check_password, common_passwords
from trainers.errors import DomainError
from trainers.extensions import db

COMMON = "That is one of the most common passwords"
OWN = "Do not use your own name or email address as your password"
RUN = "That password is one character repeated or a simple run"
# Each refused password, for Sam Smith <sam.smith@example.org>, with why.
REFUSED = [
    ("1234567890", COMMON),
    ("password12", COMMON),
    ("aaaaaaaaaa", COMMON),
    ("PassWord12", COMMON),  # compared whatever the case
    ("Sam Smith 1990", OWN),
    ("samsmith!!", OWN),
    ("Sam.Smith@Example.org", OWN),
    ("sam.smith2024", OWN),
    ("zzzzzzzzzzzz", RUN),
    ("xyxyxyxyxyxy", RUN),
    ("lmnopqrstuvw", RUN),
    ("3456789012", RUN),
]


def password_error(response) -> str:
    """The message shown beside the password field, or "" if none."""
    found = re.search(
        r'<p class="error-message" id="password-error">(.*?)</p>',
        response.get_data(as_text=True),
        re.S,
    )
    return re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip() if found else ""


@pytest.mark.parametrize(("password", "reason"), REFUSED)
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    with pytest.raises(DomainError, match=reason) as refused:
        check_password(password, "Sam Smith", "sam.smith@example.org")
    assert refused.value.field == "password"


@pytest.mark.parametrize(
    "password",
    [PASSWORD, "sam smith's garden shed", "tulips in march", "s4m-likes-chess"],
)
def test_ordinary_passwords_are_accepted(password):
    check_password(password, "Sam Smith", "sam.smith@example.org")


def test_the_list_is_read_once_and_is_large():
    assert common_passwords() is common_passwords()
    assert len(common_passwords()) > 10_000
    assert all(word == word.lower() for word in common_passwords())


def test_accepting_an_invitation_refuses_weak_passwords(
    make_user, client_for, client, mailbox
):
    office = make_user("office@example.org", office=True)
    client_for(office).post(
        "/office/people/invite",
        data={
            "name": "Sam",
            "email": "sam@example.org",
            "role": "trainer",
            "group_id": "0",
        },
    )
    link = mailbox.last_link("sam@example.org")
    for password, reason in [
        ("1234567890", COMMON),
        ("password12", COMMON),
        ("aaaaaaaaaa", COMMON),
        ("Sam Smith 1990", OWN),  # the name they type now
        ("sam@example.org", OWN),
    ]:
        form = {"name": "Sam Smith", "password": password, "confirm": password}
        response = client.post(link, data=form)
        assert response.status_code == 200
        assert reason in password_error(response), password
    assert db.session.scalar(select(User).filter_by(email="sam@example.org")) is None
    form = {"name": "Sam Smith", "password": PASSWORD, "confirm": PASSWORD}
    assert client.post(link, data=form).status_code == 302


def test_a_reset_refuses_weak_passwords(make_user, client, mailbox):
    user = make_user("ann.jones@example.org", "Ann Jones")
    before = user.password_hash
    client.post("/password/forgot", data={"email": "ann.jones@example.org"})
    link = mailbox.last_link("ann.jones@example.org")
    for password, reason in [
        ("1234567890", COMMON),
        ("password12", COMMON),
        ("aaaaaaaaaa", COMMON),
        ("AnnJones01", OWN),
        ("ann.jones@example.org", OWN),
    ]:
        response = client.post(link, data={"password": password, "confirm": password})
        assert response.status_code == 200
        assert reason in password_error(response), password
    db.session.refresh(user)
    assert user.password_hash == before
    assert client.get(link).status_code == 200  # still usable


def test_changing_a_password_refuses_weak_ones(make_user, client_for):
    user = make_user("ann.jones@example.org", "Ann Jones")
    browser = client_for(user)
    for password, reason in [
        ("1234567890", COMMON),
        ("password12", COMMON),
        ("aaaaaaaaaa", COMMON),
        ("ann jones!!", OWN),
        ("ann.jones2026", OWN),
    ]:
        response = browser.post(
            "/account/password",
            data={
                "current_password": PASSWORD,
                "password": password,
                "confirm": password,
            },
        )
        assert response.status_code == 200
        assert reason in password_error(response), password
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, PASSWORD)
