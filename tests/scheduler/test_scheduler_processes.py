"""Real `flask --app wsgi scheduler run` processes on the test database: two at
once write every due email exactly once, a standby takes over from a killed
leader, and a scheduler killed in the middle of a job loses and repeats nothing.

Times here are the real clock: the processes read it, so the world is built
relative to it (an offer made 25 hours ago, a session starting in an hour). Under
faketime (`make test-a-year-ahead`) the processes still read the real clock, and
the test's app reads it with them (`processes_clock`).
"""

import email
import email.policy
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from trainers import mail
from trainers.auth.models import User
from trainers.extensions import db
from trainers.geo import locate
from trainers.matching.models import Offer
from trainers.network.models import Group, Topic
from trainers.outbox.models import OutboxMessage, OutboxStatus
from trainers.requests.models import RequestSlot, TrainingRequest
from trainers.retries import LEASE
from trainers.scheduler.models import SchedulerLeader
from trainers.sessions.models import TrainingSession
from trainers.timeutil import format_datetime, utcnow

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
NEVER = "3600"  # an interval the test never reaches: that job stays idle

Sent = Counter[tuple[str, str]]


# Running scheduler processes.


def process_env(app) -> dict[str, str]:
    """The environment of a process started here: the test database, and the real
    clock even under faketime. libfaketime 0.9.10 fakes the monotonic clock but not
    glibc's sem_clockwait, so a Python 3.11 thread's timed wait (APScheduler's, until
    its next job) would last a year; not faking it breaks time.sleep instead."""
    preload = re.split(r"[:\s]+", os.environ.get("LD_PRELOAD", ""))
    return {
        **os.environ,
        "LD_PRELOAD": " ".join(p for p in preload if p and "libfaketime" not in p),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
    }


@pytest.fixture(autouse=True)
def processes_clock(app) -> None:
    """Sets the test app's clock to the one the processes read, ticking: the real
    clock, however far faketime moved this process's."""
    before = time.time()
    probe = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-c", "import time; print(time.time())"],
        env=process_env(app),
        capture_output=True,
        text=True,
        check=True,
    )
    offset = timedelta(seconds=round(float(probe.stdout) - (before + time.time()) / 2))
    app.config["CLOCK"] = lambda: datetime.now(UTC) + offset


@pytest.fixture
def schedulers(app, tmp_path) -> Iterator[Callable[..., subprocess.Popen]]:
    """`start(**SCHEDULER_SETTINGS)` starts one more scheduler process on the test
    database; every process is stopped after the test, however it ends."""
    started: list[subprocess.Popen] = []

    def start(**settings: str) -> subprocess.Popen:
        env = {
            **process_env(app),
            "BASE_URL": app.config["BASE_URL"],
            "MAIL_BACKEND": "file",
            "MAIL_FILE_DIR": app.config["MAIL_FILE_DIR"],
            "SCHEDULER_LOCK_FILE": str(tmp_path / "scheduler.lock"),
            "SCHEDULER_STANDBY_SECONDS": "1",
            "SCHEDULER_HEARTBEAT_SECONDS": "1",
            "SCHEDULER_OUTBOX_SECONDS": "1",
            "SCHEDULER_OFFERS_SECONDS": "1",
            "SCHEDULER_SESSIONS_SECONDS": "1",
            **settings,
        }
        log = (tmp_path / f"scheduler-{len(started)}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def kill(process: subprocess.Popen) -> None:
    """kill -9: no cleanup of any kind."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def fresh(query):
    """A scalar read as the database has it now, not as this session saw it."""
    db.session.expire_all()
    value = db.session.scalar(query)
    db.session.commit()
    return value


def leader_pid() -> int | None:
    process = fresh(select(SchedulerLeader.process).where(SchedulerLeader.id == 1))
    return int(process.rsplit(":", 1)[1]) if process else None


# What arrived: the .eml files the processes wrote.


def delivered(app) -> list[email.message.EmailMessage]:
    folder = Path(app.config["MAIL_FILE_DIR"])
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in folder.glob("*.eml")
    ]


def file_count(app) -> int:
    folder = Path(app.config["MAIL_FILE_DIR"])
    return len(list(folder.glob("*.eml"))) if folder.exists() else 0


def sent(app) -> Sent:
    """How many files went to each recipient with each subject."""
    return Counter(
        (str(message["To"]), str(message["Subject"]).strip())
        for message in delivered(app)
    )


# A world with work due now.


def person(email_address: str, name: str) -> User:
    user = User(email=email_address, name=name, password_hash="-")
    db.session.add(user)
    return user


def group_with_organiser(name: str) -> tuple[Group, User]:
    place = locate("TN34")
    group = Group(
        name=name,
        region=place.region,
        postcode_district=place.district,
        latitude=place.latitude,
        longitude=place.longitude,
    )
    organiser = person(f"org-{name.lower().replace(' ', '-')}@example.org", name)
    organiser.groups.append(group)
    db.session.add(group)
    return group, organiser


def add_request(group: Group, topic: Topic, status: str = "booked"):
    training_request = TrainingRequest(
        group=group,
        topic=topic,
        status=status,
        expected_attendance=10,
        venue_postcode="TN34 1AA",
        venue_address="Hastings Library",
    )
    db.session.add(training_request)
    return training_request


def add_session(group, topic, trainer, starts_at, **done) -> TrainingSession:
    training_request = add_request(group, topic)
    db.session.flush()
    training_session = TrainingSession(
        request_id=training_request.id,
        trainer_id=trainer.id,
        group_id=group.id,
        topic_id=topic.id,
        starts_at=starts_at,
        ends_at=starts_at + 2 * HOUR,
        venue_postcode="TN34 1AA",
        venue_address="Hastings Library",
        ical_uid=f"{group.name}-{starts_at.isoformat()}@test",
        **done,
    )
    db.session.add(training_session)
    return training_session


def reminder(training_session) -> str:
    return (
        f"Reminder: {training_session.topic.name} for {training_session.group.name}, "
        f"{format_datetime(training_session.starts_at)}"
    )


def build_world(tag: str, groups: int) -> Sent:
    """Per group: an offer waiting 25 h (nudge), sessions in 1 h and 30 h
    (reminders), ended 3 h and 4 days ago (first and second ask), and one ended
    15 days ago (marked unknown, no email). Each group has its own trainer, as
    one trainer is never in two sessions at once. Returns the emails due, once each."""
    now = utcnow().replace(microsecond=0)
    topic = Topic(name=f"Canvassing {tag}", summary="How to canvass.")
    db.session.add(topic)
    db.session.flush()
    due: Sent = Counter()
    for n in range(groups):
        group, organiser = group_with_organiser(f"Group {tag}{n}")
        trainer = person(f"trainer-{tag}{n}@example.org", f"Trainer {tag}{n}")
        training_request = add_request(group, topic, status="offered")
        slot = RequestSlot(starts_at=now + 20 * DAY, ends_at=now + 20 * DAY + 2 * HOUR)
        training_request.slots.append(slot)
        db.session.flush()
        db.session.add(
            Offer(
                request_id=training_request.id,
                slot_id=slot.id,
                trainer_id=trainer.id,
                created_at=now - 25 * HOUR,
            )
        )
        due[trainer.email, f"Still waiting: {topic.name} for {group.name}"] += 1
        soon = add_session(group, topic, trainer, now + HOUR)
        tomorrow = add_session(group, topic, trainer, now + 30 * HOUR)
        add_session(group, topic, trainer, now - 5 * HOUR)
        ended = now - 4 * DAY
        add_session(
            group, topic, trainer, ended - 2 * HOUR, first_follow_up_at=ended + 2 * HOUR
        )
        add_session(
            group,
            topic,
            trainer,
            now - 15 * DAY,
            first_follow_up_at=now - 15 * DAY + 4 * HOUR,
            second_follow_up_at=now - 12 * DAY,
        )
        db.session.flush()
        asked = f"how did {topic.name} for {group.name} go?"
        for address in (trainer.email, organiser.email):
            for subject in (
                reminder(soon),
                reminder(tomorrow),
                asked,
                f"Still needed: {asked}",
            ):
                due[address, subject] += 1
    db.session.commit()
    return due


def assert_world_done() -> None:
    """Every due thing recorded as done in the database, and nothing else."""
    db.session.expire_all()
    sessions = db.session.scalars(select(TrainingSession)).all()
    offers = db.session.scalars(select(Offer)).all()
    db.session.commit()
    assert all(offer.nudged_at is not None for offer in offers)
    assert all(offer.status == "pending" for offer in offers)
    for training_session in sessions:
        starts_in = training_session.starts_at - utcnow()
        reminded = (training_session.first_reminder_at is not None) + (
            training_session.second_reminder_at is not None
        )
        if starts_in > timedelta(0):
            # Starting within 2 h: both marked done, one email (the files show it).
            assert reminded == (2 if starts_in < 2 * HOUR else 1)
        else:
            assert reminded == 0
        ended_ago = utcnow() - training_session.ends_at
        asked = (training_session.first_follow_up_at is not None) + (
            training_session.second_follow_up_at is not None
        )
        assert asked == (0 if ended_ago < 2 * HOUR else 1 if ended_ago < 3 * DAY else 2)
        unknown = ended_ago > 14 * DAY
        assert (training_session.attendance_unknown_at is not None) is unknown


def all_sent() -> bool:
    return not fresh(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status != OutboxStatus.SENT)
    )


# (a) Two schedulers, then the leader killed.


def test_two_schedulers_write_each_due_email_once_and_the_standby_takes_over(
    app, schedulers
):
    due = build_world("a", groups=6)
    processes = [schedulers(), schedulers()]

    wait_for(lambda: file_count(app) >= due.total(), 45, "the first world's email")
    wait_for(all_sent, 10, "the outbox to empty")
    time.sleep(2)  # a second copy would be written in this time
    assert sent(app) == due
    assert_world_done()

    first = leader_pid()
    assert first in {process.pid for process in processes}
    (standby,) = [process for process in processes if process.pid != first]
    kill(next(process for process in processes if process.pid == first))
    wait_for(lambda: leader_pid() == standby.pid, 20, "the standby to lead")
    assert standby.poll() is None

    due += build_world("b", groups=4)
    wait_for(lambda: file_count(app) >= due.total(), 30, "the second world's email")
    wait_for(all_sent, 10, "the outbox to empty")
    time.sleep(2)
    assert sent(app) == due
    assert_world_done()


# (b) A scheduler killed in the middle of a job, and a new one started.


def sessions_starting_soon(count: int) -> Sent:
    """`count` sessions starting within the hour after next, each with its own
    group, organiser and trainer: every one due for its 2-hour reminder now."""
    now = utcnow().replace(microsecond=0)
    topic = Topic(name="Phone banking", summary="How to phone bank.")
    db.session.add(topic)
    db.session.flush()
    due: Sent = Counter()
    for n in range(count):
        group, organiser = group_with_organiser(f"Branch {n}")
        trainer = person(f"trainer{n}@example.org", f"Trainer {n}")
        soon = add_session(group, topic, trainer, now + HOUR + n * timedelta(seconds=5))
        db.session.flush()
        for address in (trainer.email, organiser.email):
            due[address, reminder(soon)] += 1
    db.session.commit()
    return due


def test_a_scheduler_killed_while_sending_reminders_leaves_nothing_lost_or_repeated(
    app, schedulers
):
    # Enough that the kill lands mid-job: each reminder is two emails with
    # their calendar files, many milliseconds of work.
    count = 150
    due = sessions_starting_soon(count)
    reminded = (
        select(func.count())
        .select_from(TrainingSession)
        .where(TrainingSession.second_reminder_at.is_not(None))
    )
    queued = select(func.count()).select_from(OutboxMessage)

    # The first scheduler only reminds (it never delivers), and dies mid-job.
    first = schedulers(SCHEDULER_OUTBOX_SECONDS=NEVER, SCHEDULER_OFFERS_SECONDS=NEVER)
    at = random.randint(1, count // 2)  # noqa: S311 - a moment, not a secret
    wait_for(lambda: fresh(reminded) >= at, 45, f"{at} reminders")
    kill(first)
    done_before = fresh(reminded)
    assert 0 < done_before < count, f"killed at {done_before} of {count}"
    # Each session's claim and its two emails were committed together or not at all.
    assert fresh(queued) == 2 * done_before

    schedulers()
    wait_for(lambda: fresh(reminded) == count, 45, "every reminder")
    wait_for(lambda: file_count(app) >= due.total(), 45, "every email")
    wait_for(all_sent, 10, "the outbox to empty")
    time.sleep(2)
    assert fresh(queued) == 2 * count
    assert sent(app) == due


def test_killed_mid_delivery_no_email_is_lost_and_only_the_one_in_flight_can_repeat(
    app, schedulers
):
    count = 500
    for n in range(count):
        mail.send_email(
            f"person{n}@example.org",
            "password_reset",
            user=type("U", (), {"name": f"Person {n}"})(),
            secret_link=f"http://localhost/reset/{n}",
            hours=2,
        )
    db.session.commit()
    queued = set(db.session.scalars(select(OutboxMessage.message_id)))
    assert len(queued) == count

    first = schedulers(SCHEDULER_OFFERS_SECONDS=NEVER, SCHEDULER_SESSIONS_SECONDS=NEVER)
    # Somewhere inside a batch of 100 (claimed at once, sent one by one).
    at = random.randrange(0, 300, 100) + random.randint(10, 60)  # noqa: S311
    wait_for(lambda: file_count(app) >= at, 45, f"{at} emails")
    kill(first)
    in_flight = set(
        fresh_all(
            select(OutboxMessage.message_id).where(
                OutboxMessage.status == OutboxStatus.SENDING
            )
        )
    )
    assert 0 < file_count(app) < count
    assert in_flight, "killed between batches, not inside one"
    # The dead process's claims are taken again once their lease runs out; the
    # test moves them into the past rather than waiting five minutes.
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING)
        .values(claimed_at=utcnow() - LEASE - timedelta(minutes=1))
    )
    db.session.commit()

    schedulers(SCHEDULER_OFFERS_SECONDS=NEVER, SCHEDULER_SESSIONS_SECONDS=NEVER)
    wait_for(all_sent, 45, "every email sent")
    time.sleep(2)
    files = Counter(
        email.message_from_bytes(path.read_bytes())["Message-ID"]
        for path in Path(app.config["MAIL_FILE_DIR"]).glob("*.eml")
    )
    assert queued <= set(files)  # nothing lost: every message
    repeated = {sent: n for sent, n in files.items() if sent in queued and n > 1}
    torn = [sent for sent in files if sent not in queued]
    # The one message being written when the process died may show again: whole
    # (written, not yet marked sent: resent with the same Message-ID, which mail
    # clients show once) or as a torn file cut before its Message-ID.
    assert len(repeated) + len(torn) <= 1, (len(repeated), len(torn))
    assert set(repeated.values()) <= {2}
    assert set(repeated) <= in_flight
    assert torn in ([], [None])


def fresh_all(query) -> list:
    db.session.expire_all()
    rows = list(db.session.scalars(query))
    db.session.commit()
    return rows


def test_two_manual_runs_of_a_job_at_once_send_each_reminder_once(app, tmp_path):
    """`scheduler run-job` is safe beside the scheduler: the claims, not the
    leader lock, keep two runs of one job from doing anything twice."""
    count = 400
    sessions_starting_soon(count)
    env = process_env(app)
    command = [sys.executable, "-m", "flask", "--app", "wsgi"]
    # Files, not pipes: a full pipe would stall a run in the middle of a write.
    logs = [tmp_path / f"run-{n}.log" for n in range(2)]
    runs = []
    try:
        for log in logs:
            with log.open("wb") as output:
                runs.append(
                    subprocess.Popen(  # noqa: S603 - our own command
                        [*command, "scheduler", "run-job", "remind-sessions"],
                        cwd=ROOT,
                        env=env,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
        for run in runs:
            run.wait(timeout=50)
    finally:
        for run in runs:
            stop(run)
    outputs = [log.read_text() for log in logs]
    assert all(o.rstrip().endswith(" reminders sent") for o in outputs), [
        output[-3000:] for output in outputs
    ]
    # Each run's own outcome, as it logged it (the command's last line reads the
    # shared job record back, which the other run may have overwritten).
    sent_by_each = [
        int(re.search(r"Job remind-sessions: (\d+) reminders sent", output)[1])
        for output in outputs
    ]
    assert sum(sent_by_each) == count, sent_by_each
    queued = db.session.scalars(
        select(OutboxMessage.to_address).where(OutboxMessage.kind == "session_reminder")
    ).all()
    assert len(queued) == 2 * count
    per_session = fresh(
        select(func.count())
        .select_from(TrainingSession)
        .where(TrainingSession.second_reminder_at.is_not(None))
    )
    assert per_session == count
