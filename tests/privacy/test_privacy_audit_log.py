"""The office reads the audit log by person, action and date, a page at a time;
reading it is logged too."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from trainers import audit
from trainers.audit import AuditEntry
from trainers.extensions import db
from trainers.privacy import audit_log, services

DAY = datetime(2026, 6, 10, 12, tzinfo=UTC)


@pytest.fixture
def log(people):
    """Entries about Alice, by Alice, about an address, and by the scheduler."""

    def entry(at, actor, action, subject=None, detail=""):
        audit.record(
            actor.id if actor else None,
            action,
            subject_user_id=subject.id if subject else None,
            detail=detail,
        ).at = at

    entry(DAY, people.office, services.VIEWED, people.alice)
    entry(DAY + timedelta(days=1), people.alice, services.VIEWED, people.organiser)
    entry(
        DAY + timedelta(days=2),
        people.office,
        services.LOOKED_UP,
        detail=f"address {audit_log.address_ref('bob@example.org')}; items held: 1",
    )
    entry(DAY + timedelta(days=3), None, "anonymised attendees", detail="anonymised 4")
    db.session.commit()
    return people


def shown(page) -> list[str]:
    """The 'What' cell of each row."""
    return re.findall(
        r'<td data-label="What">([^<]*)</td>', page.get_data(as_text=True)
    )


def test_entries_are_listed_newest_first_with_who_and_whose(log, client_for):
    page = client_for(log.office).get("/office/privacy/audit")
    text = page.get_data(as_text=True)
    assert shown(page) == [
        "anonymised attendees",
        services.LOOKED_UP,
        services.VIEWED,
        services.VIEWED,
    ]
    assert "the scheduler" in text
    assert f"Otto Office (#{log.office.id})" in text
    assert f'href="/office/privacy/people/{log.alice.id}"' in text


FILTERS = [
    # About her, or by her: by account number, address or name.
    ({"person": "{alice}"}, [services.VIEWED, services.VIEWED]),
    ({"person": "ALICE.example@example.org"}, [services.VIEWED, services.VIEWED]),
    ({"person": "alice exam"}, [services.VIEWED, services.VIEWED]),
    # An address without an account, by its fingerprint.
    ({"person": "Bob@example.org"}, [services.LOOKED_UP]),
    ({"person": "nobody@example.org"}, []),
    ({"action": services.LOOKED_UP}, [services.LOOKED_UP]),
    # London days, both ends included.
    ({"from": "2026-06-11", "to": "2026-06-12"}, [services.LOOKED_UP, services.VIEWED]),
    ({"person": "{alice}", "to": "2026-06-10"}, [services.VIEWED]),
]


def test_filters(log, client_for):
    browser = client_for(log.office)
    for query, wanted in FILTERS:
        query = {k: v.format(alice=log.alice.id) for k, v in query.items()}
        page = browser.get("/office/privacy/audit", query_string=query)
        assert page.status_code == 200
        assert shown(page) == wanted, query


def test_looking_at_the_log_is_logged_without_naming_anyone(log, client_for):
    browser = client_for(log.office)
    browser.get("/office/privacy/audit", query_string={"person": "bob@example.org"})
    browser.get(
        "/office/privacy/audit",
        query_string={"person": "Alice Example", "action": services.VIEWED},
    )
    looks = db.session.execute(
        select(AuditEntry.actor_id, AuditEntry.detail)
        .where(AuditEntry.action == audit_log.VIEWED_AUDIT)
        .order_by(AuditEntry.id)
    ).all()
    assert looks == [
        (log.office.id, f"person {audit_log.address_ref('bob@example.org')}"),
        (log.office.id, f"action {services.VIEWED}, person a name"),
    ]
    # The page drawn does not start with the look that drew it.
    assert shown(browser.get("/office/privacy/audit"))[0] == audit_log.VIEWED_AUDIT


def test_the_log_is_paged(log, client_for):
    for _ in range(60):
        audit.record(log.office.id, services.VIEWED, subject_user_id=log.trainer.id)
    db.session.commit()
    browser = client_for(log.office)
    first = browser.get(
        "/office/privacy/audit", query_string={"person": log.trainer.id}
    )
    assert len(shown(first)) == 50
    assert "Page 1 of 2" in first.get_data(as_text=True)
    second = browser.get(
        "/office/privacy/audit", query_string={"person": log.trainer.id, "page": 2}
    )
    assert len(shown(second)) == 10
    assert "Previous page" in second.get_data(as_text=True)


def test_odd_filters_are_answered_not_crashed_on(log, client_for):
    browser = client_for(log.office)
    for query in (
        {"from": "0001-01-01"},
        {"to": "9999-12-31"},
        {"from": "yesterday"},
        {"action": "made up"},
        {"person": "x" * 300},
    ):
        page = browser.get("/office/privacy/audit", query_string=query)
        assert page.status_code == 200, query
        assert 'class="error-message"' in page.get_data(as_text=True), query
    assert browser.get("/office/privacy/audit?page=-3").status_code == 200
