"""The README's API section, end to end: tokens and a webhook endpoint made with
its commands, then docs/api_example.py (a script outside the project, the
standard library only) asks for training, accepts the offer as the trainer and
receives the signed `request.booked` webhook, with the app served on loopback
and the scheduler's delivery job running."""

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from trainers.extensions import db
from trainers.timeutil import utcnow
from trainers.webhooks.delivery import deliver_webhooks

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "api_example.py"

pytestmark = pytest.mark.slow


def command(app, *args: str) -> str:
    """Run a `flask` command; what it printed on stdout (the secret, once)."""
    ran = app.test_cli_runner().invoke(args=list(args))
    assert ran.exit_code == 0, ran.output
    return ran.stdout.strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_script_books_a_session_and_gets_the_signed_webhook(app, world, threads_app):
    organiser_token = command(
        app, "api", "token", "create", world.organiser.email, "--name", "CRM",
        "--scope", "write",
    )  # fmt: skip
    trainer_token = command(
        app, "api", "token", "create", world.priya.email, "--name", "Calendar",
        "--scope", "write",
    )  # fmt: skip
    listen = f"http://127.0.0.1:{free_port()}/"
    secret = command(app, "webhooks", "add", listen, "--event", "request.booked")
    assert organiser_token.startswith("tn_") and secret.startswith("whsec_")

    threads_app.config["CLOCK"] = app.config["CLOCK"]
    server = make_server("127.0.0.1", 0, threads_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [
                sys.executable, str(SCRIPT),
                "--base-url", f"http://127.0.0.1:{server.server_port}",
                "--organiser-token", organiser_token,
                "--trainer-token", trainer_token,
                "--webhook-secret", secret,
                "--group", str(world.group.id),
                "--topic", str(world.topic.id),
                "--postcode", "TN34 1AA",
                "--address", "Hastings Library, Brassey Road",
                "--starts", "2027-06-15T18:30:00+01:00",
                "--listen", listen,
                "--wait", "30",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as script:  # fmt: skip
            # The scheduler's job, as `flask scheduler run` runs it, until the
            # script has had its webhook (or given up).
            while script.poll() is None:
                with threads_app.app_context():
                    deliver_webhooks(utcnow())
                    db.session.commit()
                try:
                    script.wait(0.2)
                except subprocess.TimeoutExpired:
                    pass
            printed = script.stdout.read()
    finally:
        server.shutdown()
    assert script.returncode == 0, printed
    lines = printed.splitlines()
    assert lines[0].endswith(": offered")
    assert lines[1].startswith("2. Offer ") and ": session " in lines[1]
    assert lines[2].startswith("3. Signed webhook received: request.booked")
