"""Sign-in and forgotten-password answers never tell whether an address has an
account: the same status, page and cost for a known address, an unknown one and
a deactivated one; and the lock after five failures treats them all alike.

What tests/auth already shows (same message, lock for known and unknown, the
lock lifting, no email for an unknown address) is not repeated here."""

import re
import statistics
import time
from datetime import timedelta

import pytest
from werkzeug import security

from tests.conftest import PASSWORD
from trainers.auth import services
from trainers.extensions import db
from trainers.timeutil import utcnow

KNOWN, UNKNOWN, DEACTIVATED = (
    "ann@example.org",
    "nobody@example.org",
    "gone@example.org",
)
WRONG = "not the password"
CLIENT = "203.0.113.7"  # a documentation address, as a client


@pytest.fixture
def people(make_user):
    make_user(KNOWN)
    make_user(DEACTIVATED, active=False)


def page(response, address: str) -> str:
    """The answer as its visitor sees it, without what differs by right: the
    form's token and the address they typed."""
    text = response.get_data(as_text=True).replace(address, "ADDRESS")
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "TOKEN", text)


def sign_in(app, address: str, password: str = WRONG):
    return app.test_client().post(
        "/login", data={"email": address, "password": password}
    )


def test_a_refused_sign_in_is_the_same_page_whoever_the_address_belongs_to(app, people):
    wrong = sign_in(app, KNOWN)
    unknown = sign_in(app, UNKNOWN)
    deactivated = sign_in(app, DEACTIVATED, PASSWORD)  # the right password, even
    assert wrong.status_code == unknown.status_code == deactivated.status_code == 200
    assert page(wrong, KNOWN) == page(unknown, UNKNOWN)
    assert page(wrong, KNOWN) == page(deactivated, DEACTIVATED)
    names = [{name for name, _ in r.headers} for r in (wrong, unknown, deactivated)]
    assert names[0] == names[1] == names[2]


def test_the_lock_comes_at_the_fifth_failure_alike_for_every_address(app, people):
    for address in (KNOWN, UNKNOWN, DEACTIVATED):
        answers = [page(sign_in(app, address), address) for _ in range(6)]
        assert ["Too many failed attempts" in a for a in answers] == [
            False,
            False,
            False,
            False,
            True,
            True,
        ], address
    locked = {
        address: page(sign_in(app, address, PASSWORD), address)
        for address in (KNOWN, UNKNOWN, DEACTIVATED)
    }
    assert len(set(locked.values())) == 1, "a locked answer names no account"


def test_a_locked_known_address_cannot_sign_in_from_another_browser(app, people):
    for _ in range(5):
        sign_in(app, KNOWN)
    fresh = app.test_client()
    response = fresh.post("/login", data={"email": KNOWN, "password": PASSWORD})
    assert response.status_code == 200
    assert fresh.get("/").status_code == 302, "the lock is per address, not browser"


@pytest.fixture
def hash_checks(monkeypatch):
    """Counts the password-hash checks sign-in makes: the part that costs time."""
    made = []
    real = security.check_password_hash

    def counting(stored, password):
        made.append(stored)
        return real(stored, password)

    monkeypatch.setattr(services, "check_password_hash", counting)
    return made


@pytest.mark.parametrize(
    ("address", "password"),
    [(KNOWN, WRONG), (UNKNOWN, WRONG), (DEACTIVATED, PASSWORD)],
)
def test_every_refusal_checks_one_password_hash(
    app, people, hash_checks, address, password
):
    """Regression: an unknown or deactivated address was refused without
    hashing anything, so it answered many times faster than a known one."""
    with pytest.raises(services.SignInRefused):
        services.authenticate(address, password, CLIENT, utcnow())
    assert len(hash_checks) == 1
    method = app.config["PASSWORD_HASH_METHOD"]
    assert hash_checks[0].startswith(f"{method}$"), "as costly as a real password's"


def test_an_unknown_address_takes_about_as_long_as_a_wrong_password(
    app, real_password_hashing, people
):
    # At production cost, where checking the hash is what takes the time.
    known = services.find_user_by_email(KNOWN)
    known.password_hash = security.generate_password_hash(
        PASSWORD, app.config["PASSWORD_HASH_METHOD"]
    )
    db.session.commit()
    with pytest.raises(services.SignInRefused):  # the first one builds a hash
        services.authenticate("warm-up@example.org", "x", CLIENT, utcnow())
    took = {KNOWN: [], UNKNOWN: []}
    now = utcnow()
    for round_ in range(5):
        for address in (KNOWN, UNKNOWN):  # interleaved, so load hits both alike
            start = time.perf_counter()
            with pytest.raises(services.SignInRefused):
                # A fresh minute each round keeps the lock out of the timing.
                services.authenticate(
                    address, "wrong", CLIENT, now + timedelta(hours=round_)
                )
            took[address].append(time.perf_counter() - start)
    known, unknown = (statistics.median(took[a]) for a in (KNOWN, UNKNOWN))
    assert 0.5 < unknown / known < 2, f"known {known:.3f}s, unknown {unknown:.3f}s"


def forgot(app, address: str):
    return app.test_client().post(
        "/password/forgot", data={"email": address}, follow_redirects=True
    )


def test_forgotten_password_answers_alike_for_every_address(app, people, mailbox):
    answers = {
        address: forgot(app, address) for address in (KNOWN, UNKNOWN, DEACTIVATED)
    }
    assert {a.status_code for a in answers.values()} == {200}
    assert {a.request.path for a in answers.values()} == {"/login"}
    assert len({page(a, address) for address, a in answers.items()}) == 1
    assert [m["To"] for m in mailbox.messages()] == [KNOWN], "only the real account"


def test_forgotten_password_takes_as_long_for_an_unknown_address(app, people):
    """Regression: a known address (a reset written, an email composed) answered
    many times slower than an unknown one."""
    took = {KNOWN: [], UNKNOWN: []}
    for _ in range(4):
        for address in took:  # interleaved, so load hits both alike
            start = time.perf_counter()
            forgot(app, address)
            took[address].append(time.perf_counter() - start)
    known, unknown = (statistics.median(took[a]) for a in (KNOWN, UNKNOWN))
    assert 0.5 < unknown / known < 2, f"known {known:.3f}s, unknown {unknown:.3f}s"
    assert unknown >= app.config["PASSWORD_RESET_ANSWER_SECONDS"]
