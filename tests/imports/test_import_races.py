"""An import that meets a change made while it saves is undone whole, proven
with real threads on PostgreSQL: another office member's new group, not yet
committed when the file was checked, stops the import at that row."""

import threading
import time

import pytest
from sqlalchemy import func, select, text

from trainers.auth.models import User
from trainers.extensions import db
from trainers.geo import locate
from trainers.imports.rows import Problem
from trainers.imports.services import GROUPS, ImportRefused, apply
from trainers.network.models import Group
from trainers.timeutil import utcnow

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

WAIT_SECONDS = 20


def _group(name: str, district: str) -> Group:
    place = locate(district)
    return Group(
        name=name,
        region=place.region,
        postcode_district=place.district,
        latitude=place.latitude,
        longitude=place.longitude,
    )


def _until_a_statement_waits_on_a_lock() -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    with db.engine.connect() as watching:
        while time.monotonic() < deadline:
            waiting = watching.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                    "'Lock' AND datname = current_database()"
                )
            )
            if waiting:
                return
            time.sleep(0.05)
            watching.rollback()
    pytest.fail("the import never waited for the other group's row")


def test_a_group_committed_while_the_import_saves_undoes_the_whole_import(
    threads_app, office
):
    rows = ["Group 0,TN34,,", "Group 1,BN1,,", "Group 2,LS6,,", "Group 3,AB10,,"]
    file = "name,postcode,region,organiser_emails\n" + "\n".join(rows) + "\n"
    office_id, added, outcome = office.id, threading.Event(), {}

    def adding() -> None:
        with threads_app.app_context():
            db.session.add(_group("Group 3", "EH1"))
            db.session.flush()
            added.set()
            # Committed only once the import, which checked the file without
            # seeing this row, is saving and waits on it.
            _until_a_statement_waits_on_a_lock()
            db.session.commit()

    def importing() -> None:
        added.wait(WAIT_SECONDS)
        with threads_app.app_context():
            try:
                apply(GROUPS, file, db.session.get(User, office_id), utcnow())
                db.session.commit()
                outcome["saved"] = True
            except ImportRefused as refused:
                db.session.rollback()
                outcome["refused"] = refused

    threads = [threading.Thread(target=job) for job in (adding, importing)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS * 2)
    refused = outcome["refused"]
    assert refused.preview.problems == [
        Problem(5, "name", "A group called “Group 3” already exists.")
    ]
    assert db.session.scalars(select(Group.name)).all() == ["Group 3"]
    assert db.session.scalar(select(func.count()).select_from(Group)) == 1
