"""Tokens and a client that calls the API with one."""

import pytest

from trainers.auth import api_tokens
from trainers.extensions import db
from trainers.timeutil import utcnow


@pytest.fixture
def token_for(app):
    """`token_for(user, scope="write", days=90)`: a committed token's text."""

    def make(user, scope: str = "write", days: int = 90) -> str:
        raw, _ = api_tokens.create_token(
            user, "Test script", scope, days, by=user, now=utcnow()
        )
        db.session.commit()
        return raw

    return make


class Caller:
    """Calls the API as a token: `caller.get("/topics")`, paths under /api/v1."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def open(self, path: str, method: str = "GET", headers=None, **kwargs):
        sent = dict(headers or {})
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        return self.client.open("/api/v1" + path, method=method, headers=sent, **kwargs)

    def get(self, path: str, **kwargs):
        return self.open(path, "GET", **kwargs)

    def post(self, path: str, **kwargs):
        return self.open(path, "POST", **kwargs)

    def put(self, path: str, **kwargs):
        return self.open(path, "PUT", **kwargs)

    def delete(self, path: str, **kwargs):
        return self.open(path, "DELETE", **kwargs)


@pytest.fixture
def api_as(client, token_for):
    """`api_as(user, scope="write")`: a Caller with a fresh token of the user's."""
    return lambda user, scope="write": Caller(client, token_for(user, scope))


@pytest.fixture
def api_with(client):
    """`api_with(token_text)`: a Caller sending exactly that token (or none)."""
    return lambda token: Caller(client, token)


# The booking tests' world (a group, its organiser, two trainers free on
# Tuesday evenings, the office; the clock six weeks before FIRST), and the
# page access matrix's world, which the API's matrix meets too.
from tests.booking.conftest import world  # noqa: E402, F401
from tests.test_access_matrix import new_world  # noqa: E402, F401
