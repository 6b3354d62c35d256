"""No private link's token reaches a log: the web unit's gunicorn writes access
lines without them, the app's own error lines too, and every route that takes a
token is known to the redaction."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from flask import url_for

from tests.deploy.test_deploy_files import ROOT, web_unit_command
from trainers.auth.tokens import new_token
from trainers.calendar.feed_links import start_feed
from trainers.extensions import db
from trainers.logredact import REDACTED, redact
from trainers.timeutil import utcnow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, path: str, headers: dict | None = None) -> int:
    """GET path from the server (waiting for it to start); the status."""
    deadline = time.monotonic() + 60
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path, headers=headers or {})
            status = connection.getresponse().status
            connection.close()
            return status
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.slow
def test_the_web_units_access_log_holds_no_feed_or_reset_token(
    app, database_url, make_user, tmp_path
):
    feed_token = start_feed(make_user("ann@example.org"), utcnow())
    db.session.commit()
    reset_token, _ = new_token()
    port = free_port()
    log = tmp_path / "web.log"
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "development"}
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 - the unit's own command
            web_unit_command(port, workers=1),
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        assert get(port, f"/calendar/{feed_token}.ics") == 200
        referer = f"https://trainers.example.org/password/reset/{reset_token}"
        assert get(port, "/login", {"Referer": referer}) == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    written = log.read_text()
    assert f'"GET /calendar/{REDACTED}.ics HTTP/1.1" 200' in written
    assert f"/password/reset/{REDACTED}" in written
    assert feed_token not in written and reset_token not in written


def test_the_apps_error_log_names_no_token(empty_database_url):
    token, _ = new_token()
    # A fresh process logs as deployed; the feed fails on a database without tables.
    script = (
        "from trainers import create_app\n"
        "app = create_app()\n"
        f"print(app.test_client().get('/calendar/{token}.ics').status_code)\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and app
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": empty_database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "500"
    assert f"Exception on /calendar/{REDACTED}.ics [GET]" in result.stderr
    assert token not in result.stderr


def test_every_route_that_takes_a_token_is_redacted(app):
    token, _ = new_token()
    with app.test_request_context():
        urls = [
            url_for(rule.endpoint, token=token, _external=True)
            for rule in app.url_map.iter_rules()
            if "token" in rule.arguments
        ]
    assert len(urls) == 4
    for url in urls:
        line = f'10.0.0.1 - - [x] "GET {url} HTTP/1.1" 200 5 "{url}" "agent"'
        assert token not in redact(line), url
        assert token not in redact(f"/login?next={url.replace('/', '%2F')}")


@pytest.mark.parametrize(
    "path",
    [
        "/office/invitations/12/resend",
        "/sessions/5/calendar.ics",
        "/account/calendar",
        "/password/forgot",
    ],
)
def test_paths_without_a_token_are_left_alone(path):
    line = f'"POST {path} HTTP/1.1" 302 "https://trainers.example.org{path}"'
    assert redact(line) == line
