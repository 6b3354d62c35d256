"""Calendar feed and outbox speed: prints `name: value` lines.

    .venv/bin/python bench/feeds.py [--database-url postgresql+psycopg://...]

Builds one trainer with 500 sessions (a year's worth for a busy organiser's
groups), all inside a personal feed's window, with what real sessions carry (an
address, access needs and notes on some, phone numbers), then times building
their feed, and delivers 500 queued emails to a real SMTP server on loopback.
"""

import argparse
import logging
import socket
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainers import create_app, mail  # noqa: E402
from trainers.auth.models import User  # noqa: E402
from trainers.calendar import feed, feed_links  # noqa: E402
from trainers.extensions import db  # noqa: E402
from trainers.geo import locate  # noqa: E402
from trainers.network.models import Group, Topic  # noqa: E402
from trainers.outbox.services import deliver_outbox  # noqa: E402
from trainers.requests.models import TrainingRequest  # noqa: E402
from trainers.sessions.models import TrainingSession  # noqa: E402
from trainers.timeutil import utcnow  # noqa: E402

SESSIONS = 500
ACCESS_NEEDS = "Step-free access, please: one of us uses a wheelchair."
NOTES = "Please bring printed handouts; the hall opens 15 minutes before."
EMAILS = 500


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a database to use (default SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-feeds-") as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_BACKEND": "smtp"})
        logging.getLogger("trainers").setLevel(logging.WARNING)
        with app.app_context(), app.test_request_context():
            try:
                db.drop_all()
                db.create_all()
                _time_feed()
                _time_outbox(app)
            finally:
                db.session.remove()
                db.drop_all()
                db.engine.dispose()
    return 0


def _time_feed() -> None:
    now = utcnow()
    place = locate("TN34")
    trainer = User(
        email="t@example.org",
        name="Trainer",
        password_hash="-",  # noqa: S106
        phone="07700 900123",
    )
    organiser = User(
        email="o@example.org",
        name="Organiser",
        password_hash="-",  # noqa: S106
        phone="07700 900456",
    )
    group = Group(
        name="Hastings",
        region=place.region,
        postcode_district="TN34",
        latitude=place.latitude,
        longitude=place.longitude,
    )
    topic = Topic(name="Door-knocking", summary="")
    group.organisers.append(organiser)
    db.session.add_all([trainer, organiser, group, topic])
    db.session.flush()
    request_ids = db.session.scalars(
        insert(TrainingRequest).returning(TrainingRequest.id),
        [
            {
                "group_id": group.id,
                "topic_id": topic.id,
                "status": "booked",
                "expected_attendance": 10,
                "accessibility_needs": ACCESS_NEEDS if n % 3 == 0 else "",
                "notes": NOTES if n % 2 == 0 else "",
            }
            for n in range(SESSIONS)
        ],
    ).all()
    # Two a day from 80 days ago: every one inside the feed's window.
    start = now - timedelta(days=80)
    rows = [
        {
            "request_id": request_ids[n],
            "trainer_id": trainer.id,
            "group_id": group.id,
            "topic_id": topic.id,
            "status": "booked",
            "starts_at": start + timedelta(days=n // 2, hours=9 + 4 * (n % 2)),
            "ends_at": start + timedelta(days=n // 2, hours=11 + 4 * (n % 2)),
            "is_online": False,
            "venue_postcode": "TN34 1AA",
            "venue_address": "Hastings Library\n13 Brassey Road",
            "ical_uid": f"{uuid.uuid4()}@trainers-network",
            "ical_sequence": n % 3,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(SESSIONS)
    ]
    db.session.execute(insert(TrainingSession), rows)
    token = feed_links.start_feed(trainer, now)
    db.session.commit()
    # As autovacuum would soon after such a load (bench/matching.py does the
    # same): without statistics the query planner guesses the tables' sizes.
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    timings = []
    for _ in range(25):
        started = time.perf_counter()
        body, _ = feed.feed_for_token(token, now)
        timings.append((time.perf_counter() - started) * 1000)
        db.session.expire_all()
    print(f"feed_events: {body.count(b'BEGIN:VEVENT')}")
    print(f"feed_bytes: {len(body)}")
    # The first build draws every event; later polls reuse drawn events.
    print(f"feed_500_events_first_ms: {timings[0]:.1f}")
    print(f"feed_500_events_ms: {statistics.median(timings[5:]):.1f}")


def _time_outbox(app) -> None:
    sink = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        for n in range(EMAILS):
            mail.send_email(
                f"person{n}@example.org",
                "password_reset",
                user=type("U", (), {"name": f"Person {n}"})(),
                link="http://x/y",
                hours=2,
            )
        db.session.commit()
        started = time.perf_counter()
        while deliver_outbox(utcnow(), limit=100).sent:
            pass
        elapsed = time.perf_counter() - started
    finally:
        controller.stop()
    print(f"outbox_delivered: {sink.count}")
    print(f"outbox_deliver_per_s: {sink.count / elapsed:.0f}")


if __name__ == "__main__":
    raise SystemExit(main())
