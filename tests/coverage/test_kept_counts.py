"""The monthly coverage counts the triggers keep: always what counting every
request and session afresh gives, whatever writes the rows, before and after a
fold, and on the London month either side of each clock change."""

import random
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, exists, func, select, update

from tests.coverage.coverage_world import NOW, build_world
from tests.coverage.kept import kept, recounted
from tests.coverage.test_coverage_figures import report
from trainers.attendance.models import Attendance
from trainers.coverage.models import CoverageChange
from trainers.coverage.summary import fold_changes
from trainers.extensions import db
from trainers.geo import locate
from trainers.network.models import Group
from trainers.requests.models import RequestStatus, TrainingRequest
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import to_local


def london_month(moment: datetime):
    return to_local(moment).date().replace(day=1)


@pytest.fixture
def world(make_group, make_topic, make_trainer):
    return build_world(make_group, make_topic, make_trainer)


def test_the_hand_worked_network_is_counted_in_its_london_months(world):
    cells = kept()

    # S1 at 23:30 GMT on 28 February is February; S2 at 00:30 GMT on 1 March is
    # March; S4 at 23:30 UTC on 31 March is 00:30 BST on 1 April: April.
    sessions = {
        (month.isoformat(), region, topic): counts[:2]
        for (month, region, topic), counts in cells.items()
        if counts[0]
    }
    t1, t2 = world.topics["T1"].id, world.topics["T2"].id
    assert sessions == {
        ("2025-05-01", "Yorkshire and The Humber", t1): (1, 4),
        ("2026-01-01", "South East", t1): (1, 9),
        ("2026-02-01", "South East", t1): (1, 10),
        ("2026-03-01", "South East", t2): (1, 12),
        ("2026-03-01", "North West", t1): (1, 7),
        ("2026-04-01", "London", t2): (1, 20),
        ("2026-04-01", "North West", t1): (1, 5),
        ("2026-05-01", "North West", t1): (1, 6),
    }
    assert cells == recounted()


def test_every_kind_of_change_keeps_the_counts_true(world):
    """State changes through the ORM and through bulk UPDATEs, moved sessions,
    recounted people, a group moving region, and deletions."""
    g1, g2 = world.groups["G1"], world.groups["G2"]
    session = db.session.scalars(
        select(TrainingSession)
        .where(TrainingSession.status == SessionStatus.DELIVERED)
        .order_by(TrainingSession.id)
    ).first()
    # A session moved to another month, and its people recounted.
    session.starts_at += timedelta(days=40)
    session.ends_at += timedelta(days=40)
    db.session.get(Attendance, session.id).people_count += 5
    db.session.flush()
    assert kept() != {}
    # Requests change state the way matching does: a conditional UPDATE.
    db.session.execute(
        update(TrainingRequest)
        .where(TrainingRequest.status == RequestStatus.CANCELLED)
        .values(status=RequestStatus.SUBMITTED)
    )
    # A delivered session cancelled, and a booked one delivered with people.
    second = db.session.scalars(
        select(TrainingSession)
        .where(TrainingSession.status == SessionStatus.DELIVERED)
        .order_by(TrainingSession.id.desc())
    ).first()
    second.status = SessionStatus.CANCELLED
    booked = db.session.scalars(
        select(TrainingSession).where(TrainingSession.status == SessionStatus.BOOKED)
    ).first()
    booked.status = SessionStatus.DELIVERED
    db.session.add(Attendance(session_id=booked.id, headcount=3, people_count=3))
    db.session.flush()
    # A group moves to another region: its whole history moves with it.
    place = locate("CF10")
    g1.region, g1.postcode_district = place.region, place.district
    db.session.flush()
    before = kept()
    assert any(
        region == "Wales" and counts[0] for (_, region, _), counts in before.items()
    )
    # Deletions: a delivered session (its attendance goes with it) and a request.
    third = db.session.scalars(
        select(TrainingSession)
        .where(TrainingSession.status == SessionStatus.DELIVERED)
        .order_by(TrainingSession.id)
    ).first()
    db.session.execute(delete(TrainingSession).where(TrainingSession.id == third.id))
    lonely = db.session.scalars(
        select(TrainingRequest)
        .where(~exists().where(TrainingSession.request_id == TrainingRequest.id))
        .order_by(TrainingRequest.id)
    ).first()
    db.session.delete(lonely)
    db.session.flush()
    db.session.execute(update(Group).where(Group.id == g2.id).values(is_active=False))

    logged = kept()
    assert logged == recounted()


def test_a_fold_moves_the_log_into_the_months_and_changes_no_figure(world):
    logged = kept()
    figures = [(f.key, f.value) for f in report(world.whole_range).figures]
    changes = db.session.scalar(select(func.count()).select_from(CoverageChange))

    assert fold_changes(db.session) == changes > 0
    db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(CoverageChange)) == 0
    assert kept() == logged
    assert [(f.key, f.value) for f in report(world.whole_range).figures] == figures
    assert fold_changes(db.session) == 0


def test_requests_land_in_the_london_month_either_side_of_every_clock_change(
    make_group, make_topic
):
    group, topic = make_group(), make_topic()
    instants = []
    for year in (2025, 2026, 2027):
        for month in range(1, 13):
            first = datetime(year, month, 1, tzinfo=UTC)
            instants += [
                first + timedelta(minutes=m) for m in (-90, -61, -59, -1, 0, 59)
            ]
    # The clock changes themselves (last Sundays of March and October, 01:00 UTC).
    instants += [
        datetime(2026, 3, 29, 1, tzinfo=UTC) + timedelta(minutes=m) for m in (-1, 0, 1)
    ]
    instants += [
        datetime(2026, 10, 25, 1, tzinfo=UTC) + timedelta(minutes=m) for m in (-1, 0, 1)
    ]
    for moment in instants:
        db.session.add(
            TrainingRequest(
                group=group,
                topic=topic,
                expected_attendance=5,
                created_at=moment,
                status_changed_at=moment,
            )
        )
    db.session.flush()

    expected: dict = {}
    for moment in instants:
        expected[london_month(moment)] = expected.get(london_month(moment), 0) + 1
    found = {month: counts[2] for (month, _, _), counts in kept().items()}
    assert found == expected


def test_random_histories_are_counted_as_a_rebuild_counts_them(
    make_group, make_topic, make_trainer
):
    rng = random.Random(7)
    groups = [make_group(f"Group {n}", d) for n, d in enumerate(("TN34", "SK1", "E8"))]
    topics = [make_topic(f"Topic {n}") for n in range(2)]
    trainer = make_trainer("t@example.org", district="TN34", topics=topics)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(60):
        made = start + timedelta(hours=rng.randrange(0, 24 * 300))
        request = TrainingRequest(
            group=rng.choice(groups),
            topic=rng.choice(topics),
            status=rng.choice(list(RequestStatus)),
            expected_attendance=5,
            created_at=made,
            status_changed_at=made,
        )
        db.session.add(request)
        starts = made + timedelta(hours=rng.randrange(1, 24 * 60))
        if rng.random() < 0.7:
            held = TrainingSession(
                training_request=request,
                group=request.group,
                topic=request.topic,
                trainer=trainer,
                status=rng.choice(list(SessionStatus)),
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                ical_uid=f"random-{n}@test",
            )
            db.session.add(held)
            db.session.flush()
            if rng.random() < 0.8:
                people = rng.randrange(0, 30)
                db.session.add(
                    Attendance(
                        session_id=held.id, headcount=people, people_count=people
                    )
                )
        if rng.random() < 0.3:
            db.session.flush()
            fold_changes(db.session)
    db.session.flush()
    for held in db.session.scalars(select(TrainingSession)).all():
        if rng.random() < 0.5:
            held.status = rng.choice(list(SessionStatus))
            moved = timedelta(hours=rng.randrange(-48, 48))
            held.starts_at, held.ends_at = held.starts_at + moved, held.ends_at + moved
    db.session.flush()

    assert kept() == recounted()


@pytest.mark.postgres_only
def test_changes_committed_while_folding_are_never_lost(app, make_group, make_topic):
    """Writers append changes in their own transactions while folds run in
    another thread: at the end the counts are exactly a rebuild's."""
    group_id, topic_id = make_group().id, make_topic().id
    db.session.commit()
    stop, errors = threading.Event(), []

    def write(seed: int) -> None:
        rng = random.Random(seed)
        with app.app_context():
            try:
                for _ in range(60):
                    moment = NOW - timedelta(days=rng.randrange(0, 400))
                    db.session.add(
                        TrainingRequest(
                            group_id=group_id,
                            topic_id=topic_id,
                            status=rng.choice(list(RequestStatus)),
                            expected_attendance=5,
                            created_at=moment,
                            status_changed_at=moment,
                        )
                    )
                    db.session.commit()
                    db.session.execute(
                        update(TrainingRequest)
                        .where(TrainingRequest.id % 3 == seed)
                        .values(status=rng.choice(list(RequestStatus)))
                    )
                    db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

    def fold() -> None:
        with app.app_context():
            try:
                while not stop.is_set():
                    fold_changes(db.session)
                    db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

    writers = [threading.Thread(target=write, args=(seed,)) for seed in range(3)]
    folder = threading.Thread(target=fold)
    folder.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(60)
    stop.set()
    folder.join(60)

    assert errors == []
    requests = sum(sum(counts[2:]) for counts in kept().values())
    assert requests == db.session.scalar(
        select(func.count()).select_from(TrainingRequest)
    )
    assert kept() == recounted()


@pytest.mark.postgres_only
@pytest.mark.parametrize("first", ["move", "request"])
def test_a_request_made_while_its_group_moves_is_counted_where_the_group_ends_up(
    app, make_group, make_topic, first
):
    """Whichever of the two transactions writes first, the other waits for it,
    so the new request lands in the group's new region."""
    group, topic_id = make_group("Movers", "TN34"), make_topic().id
    group_id, wales = group.id, locate("CF10")
    db.session.commit()
    written, errors = threading.Event(), []

    def move() -> None:
        with app.app_context():
            try:
                if first == "request":
                    written.wait(10)
                db.session.execute(
                    update(Group)
                    .where(Group.id == group_id)
                    .values(region=wales.region, postcode_district=wales.district)
                )
                if first == "move":
                    written.set()
                    time.sleep(0.5)  # the request's trigger waits for this commit
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

    def request() -> None:
        with app.app_context():
            try:
                if first == "move":
                    written.wait(10)
                db.session.add(
                    TrainingRequest(
                        group_id=group_id,
                        topic_id=topic_id,
                        expected_attendance=5,
                        created_at=NOW,
                        status_changed_at=NOW,
                    )
                )
                db.session.flush()
                if first == "request":
                    written.set()
                    time.sleep(0.5)  # the move waits for this commit
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

    threads = [threading.Thread(target=move), threading.Thread(target=request)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert {region for (_, region, _) in kept()} == {"Wales"}
    assert kept() == recounted()


def test_the_rebuild_command_recounts_counts_edited_by_hand(app, world):
    logged = kept()
    db.session.execute(delete(CoverageChange))
    db.session.commit()
    assert kept() == {}

    result = app.test_cli_runner().invoke(args=["coverage", "rebuild"])

    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output
    db.session.expire_all()
    assert kept() == logged
