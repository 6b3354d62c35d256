"""One scheduler leads, jobs record what they did, and a standby takes over when
the leader dies, without any email going out twice. Real processes, real database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from trainers import mail, scheduler
from trainers.extensions import db
from trainers.scheduler.leader import LeaderLock
from trainers.scheduler.models import SchedulerJob, SchedulerLeader
from trainers.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[2]


def queue(count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        mail.send_email(
            f"person{n}@example.org",
            "password_reset",
            user=type("U", (), {"name": f"Person {n}"})(),
            secret_link="http://localhost/x",
            hours=2,
        )
    db.session.commit()


def test_a_job_records_its_outcome(app, mailbox):
    queue(2)
    record = scheduler.run_job(scheduler.job_by_id("deliver-outbox"), utcnow())
    assert record.last_ok is True
    assert record.last_outcome == "sent 2, retrying 0, failed 0"
    assert len(list(Path(app.config["MAIL_FILE_DIR"]).glob("*.eml"))) == 2


def test_a_failing_job_is_recorded_and_does_not_raise(app):
    def broken(now):
        raise RuntimeError("mail server on fire")

    job = scheduler.Job("broken", "Broken", broken, "SCHEDULER_OUTBOX_SECONDS")
    record = scheduler.run_job(job, utcnow())
    assert record.last_ok is False
    assert "mail server on fire" in record.last_outcome
    assert db.session.get(SchedulerJob, "broken").last_finished_at is not None


def test_only_one_process_can_lead_at_a_time(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    engines = [create_engine(url), create_engine(url)]
    first, second = (LeaderLock(e, tmp_path / "scheduler.lock") for e in engines)
    try:
        assert first.try_acquire() is True
        assert second.try_acquire() is False
        assert first.still_held()
        first.release()
        assert second.try_acquire() is True
    finally:
        first.release()
        second.release()
        for engine in engines:
            engine.dispose()


def test_status_page_and_command_show_the_leader_and_jobs(app, client_for, make_user):
    scheduler.run_job(scheduler.job_by_id("expire-offers"), utcnow())
    db.session.add(
        SchedulerLeader(id=1, process="host:1", since=utcnow(), seen_at=utcnow())
    )
    db.session.commit()
    page = client_for(make_user("office@example.org", office=True)).get(
        "/office/scheduler/"
    )
    text = page.get_data(as_text=True)
    assert "host:1" in text and "0 offers expired" in text and "Deliver email" in text
    result = app.test_cli_runner().invoke(args=["scheduler", "status"])
    assert "Leader: host:1" in result.output
    assert (
        "expire-offers: last" in result.output
        and "deliver-outbox: never run" in result.output
    )


def start_scheduler(app, tmp_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_BACKEND": "file",
        "MAIL_FILE_DIR": app.config["MAIL_FILE_DIR"],
        "SCHEDULER_LOCK_FILE": str(tmp_path / "scheduler.lock"),
        "SCHEDULER_OUTBOX_SECONDS": "1",
        "SCHEDULER_STANDBY_SECONDS": "1",
        "SCHEDULER_HEARTBEAT_SECONDS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition, seconds: float = 45) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def leader_pid() -> int | None:
    db.session.expire_all()
    leader = db.session.get(SchedulerLeader, 1)
    db.session.commit()
    return int(leader.process.rsplit(":", 1)[1]) if leader else None


def test_two_schedulers_send_each_email_once_and_the_standby_takes_over(app, tmp_path):
    outbox = Path(app.config["MAIL_FILE_DIR"])
    queue(20)
    processes = [start_scheduler(app, tmp_path) for _ in range(2)]
    try:
        wait_for(lambda: len(list(outbox.glob("*.eml"))) == 20)
        first = leader_pid()
        assert first in {p.pid for p in processes}
        leader = next(p for p in processes if p.pid == first)
        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=10)

        queue(10, start=20)
        wait_for(lambda: len(list(outbox.glob("*.eml"))) == 30)
        wait_for(lambda: leader_pid() not in (None, first))
        time.sleep(2)  # a double send would show up in this time
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    recipients = sorted(
        line.split(":", 1)[1].strip()
        for path in outbox.glob("*.eml")
        for line in path.read_text().splitlines()
        if line.startswith("To:")
    )
    assert recipients == sorted(f"person{n}@example.org" for n in range(30))


@pytest.mark.parametrize("job_id", [job.id for job in scheduler.JOBS])
def test_every_job_can_be_run_by_hand(app, job_id):
    result = app.test_cli_runner().invoke(args=["scheduler", "run-job", job_id])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{job_id}: ok")
