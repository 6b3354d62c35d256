"""Behind a reverse proxy (PROXY_FIX_HOPS), the app sees the client's address and
scheme; without it, forwarded headers a client sends are ignored."""

import pytest
from flask import request

from trainers import create_app

FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def seen_by(hops: int, headers: dict[str, str], database_url: str) -> str:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PROXY_FIX_HOPS": hops,
        }
    )
    app.add_url_rule(
        "/_seen", "seen", lambda: f"{request.remote_addr} {request.scheme}"
    )
    return app.test_client().get("/_seen", headers=headers).get_data(as_text=True)


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'unused.db'}"


def test_without_a_proxy_forwarded_headers_are_ignored(url):
    assert seen_by(0, FORWARDED, url) == "127.0.0.1 http"


def test_one_proxy_gives_the_clients_address_and_scheme(url):
    assert seen_by(1, FORWARDED, url) == "203.0.113.9 https"


def test_a_client_cannot_forge_an_address_past_the_proxy(url):
    # The client sent "X-Forwarded-For: 10.9.9.9"; the proxy appended the real one.
    headers = {**FORWARDED, "X-Forwarded-For": "10.9.9.9, 203.0.113.9"}
    assert seen_by(1, headers, url) == "203.0.113.9 https"
