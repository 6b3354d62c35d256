"""Erasing a person removes who they were from every table while the network's
figures stay right; the office is refused where erasing would do harm."""

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tests.privacy.conftest import EMAIL, FUTURE, NAME, outbox_to, training_request
from tests.stored import stored_text
from trainers.attendance.models import Attendance, Attendee
from trainers.audit import AuditEntry
from trainers.auth.models import Invitation, LoginThrottle, PasswordReset, User
from trainers.busy.models import BusyFeed, BusyInterval
from trainers.calendar.models import CalendarFeed
from trainers.coverage.dashboard.report import CoverageReport, topic_names
from trainers.coverage.filters import make_filters
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.matching.models import Offer, OfferStatus
from trainers.outbox.models import OutboxMessage, OutboxStatus
from trainers.privacy import erasure
from trainers.profiles.models import TrainerProfile, TrainerTopic
from trainers.requests.models import RequestStatus, TrainingRequest
from trainers.sessions.models import SessionPlace, SessionStatus, TrainingSession
from trainers.timeutil import utcnow


def erase(browser, person, confirmation=EMAIL):
    return browser.post(
        f"/office/privacy/people/{person.id}/erase",
        data={"confirmation": confirmation},
    )


def mentions(needles: list[str]) -> list[str]:
    """Every table.column whose value contains a needle."""
    found = []
    for place, value in stored_text():
        if isinstance(value, bytes):  # an invite, its long lines unfolded
            value = value.decode("utf-8", "replace").replace("\r\n ", "")
        text = str(value).casefold()
        if any(needle.casefold() in text for needle in needles):
            found.append(f"{place}: {value!r:.120}")
    return found


def coverage_counts() -> dict[str, object]:
    """What the coverage dashboard counts, read straight from the tables."""

    def grouped(*columns):
        query = select(*columns, func.count()).group_by(*columns)
        return {tuple(row[:-1]): row[-1] for row in db.session.execute(query)}

    return {
        "sessions": grouped(
            TrainingSession.status,
            TrainingSession.trainer_id,
            TrainingSession.group_id,
            TrainingSession.topic_id,
        ),
        "people trained": db.session.scalar(select(func.sum(Attendance.people_count))),
        "headcount": db.session.scalar(select(func.sum(Attendance.headcount))),
        "groups served": db.session.scalar(
            select(func.count(TrainingSession.group_id.distinct())).where(
                TrainingSession.status == SessionStatus.DELIVERED
            )
        ),
        "requests": grouped(TrainingRequest.status, TrainingRequest.group_id),
        "roster rows": grouped(Attendee.session_id),
        "shadow places": grouped(SessionPlace.trainer_id),
        "ratings": grouped(Attendance.rating),
        "topics taught": grouped(TrainerTopic.topic_id, TrainerTopic.level),
        "trainers by region": grouped(TrainerProfile.region),
    }


def dashboard_figures() -> dict[str, object]:
    report = CoverageReport(
        make_filters(date(2025, 1, 1), date(2025, 12, 31)), utcnow(), topic_names()
    )
    wanted = {"groups_served", "sessions_delivered", "people_trained"}
    figures = {f.key: f.value for f in report.figures if f.key in wanted}
    return {**figures, "requests": dict(report.requests_by_state)}


def test_erasure_removes_identity_from_every_table(everything, client_for):
    alice = everything.alice
    assert len(mentions([NAME, EMAIL, "alice"])) > 20  # the search does find her

    response = erase(client_for(everything.office), alice, " Alice.Example@EXAMPLE.org")
    assert response.status_code == 302
    assert mentions([NAME, EMAIL, "alice"]) == []

    alice = db.session.get(User, alice.id)
    assert alice.name == "Erased person"
    assert alice.email == f"erased-{alice.id}@erased.invalid"
    assert (alice.is_active, alice.is_office, alice.erased_at is not None) == (
        False,
        False,
        True,
    )
    assert alice.last_login_at is None
    # Sign-in links, failures, feed and invitations are gone.
    for model in (
        Invitation,
        PasswordReset,
        LoginThrottle,
        CalendarFeed,
        BusyFeed,
        BusyInterval,
    ):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
    # Her unsent email is gone; the sent one keeps its subject, not its body.
    (sent,) = outbox_to(alice.email)
    assert (sent.status, sent.body, sent.calendar) == (OutboxStatus.SENT, "", None)
    assert sent.subject.startswith("Booked: Door-knocking")
    (organisers_copy,) = outbox_to(everything.organiser.email)
    assert (organisers_copy.body, organisers_copy.calendar) == ("", None)
    # Where she lived and when she is free go; what she teaches stays.
    profile = alice.trainer_profile
    assert (profile.home_district, profile.latitude, profile.region) == (
        None,
        None,
        "South East",
    )
    assert (profile.availability, profile.days_off) == ([], [])
    assert {t.level for t in profile.topics} == {"qualified", "shadowing"}
    assert alice.groups == []
    # Her roster entry still counts, nameless; other people's free text says who
    # without naming her.
    entry = db.session.scalars(
        select(Attendee)
        .where(Attendee.session_id == everything.shadowed.id)
        .order_by(Attendee.id)
    ).first()
    assert (entry.name, entry.email, entry.anonymised_at is not None) == (
        None,
        None,
        True,
    )
    assert (
        db.session.get(Attendance, everything.trained.id).rating_comment
        == "Erased person was brilliant"
    )
    assert db.session.get(TrainingRequest, everything.asked.id).notes == (
        "Ring Erased person or write to [erased address] before the day."
    )
    offer = db.session.scalar(select(Offer).where(Offer.trainer_id == alice.id))
    assert offer.response_note is None


def test_the_audit_log_keeps_its_entries_and_names_her_only_by_number(
    everything, client_for
):
    alice, office = everything.alice, everything.office
    erase(client_for(office), alice)
    about = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_user_id == alice.id)
        .order_by(AuditEntry.id)
    ).all()
    assert [entry.action for entry in about] == [
        "viewed personal data",
        erasure.ERASED,
    ]
    erased = about[-1]
    assert erased.actor_id == office.id
    assert "roster entries anonymised: 1" in erased.detail
    assert "unsent emails deleted: 2" in erased.detail
    assert db.session.scalar(
        select(func.count()).where(AuditEntry.actor_id == alice.id)
    )
    page = client_for(office).get(f"/office/privacy/people/{alice.id}")
    assert "Erased on" in page.get_data(as_text=True)
    assert "Erase this person" not in page.get_data(as_text=True)


def test_coverage_figures_stay_the_same(everything, client_for):
    counts, figures = coverage_counts(), dashboard_figures()
    assert figures["sessions_delivered"] == 2 and figures["people_trained"] == 20
    erase(client_for(everything.office), everything.alice)
    db.session.expire_all()
    assert coverage_counts() == counts
    assert dashboard_figures() == figures


def test_she_is_signed_out_and_cannot_sign_in_again(everything, client, client_for):
    alice = everything.alice
    her_browser = client_for(alice)
    assert her_browser.get("/").status_code == 200
    erase(client_for(everything.office), alice)
    assert her_browser.get("/").status_code == 302
    for address in (EMAIL, f"erased-{alice.id}@erased.invalid"):
        answer = client.post("/login", data={"email": address, "password": PASSWORD})
        assert answer.status_code == 200, address  # the form again, refused


def test_offers_waiting_for_her_are_withdrawn(everything, client_for, mailbox):
    waiting = training_request(
        everything.group, everything.topic, FUTURE, RequestStatus.OFFERED
    )
    db.session.add(waiting)
    db.session.flush()
    db.session.add(
        Offer(training_request=waiting, slot=waiting.slots[0], trainer=everything.alice)
    )
    db.session.commit()
    erase(client_for(everything.office), everything.alice)
    offer = db.session.scalar(select(Offer).where(Offer.request_id == waiting.id))
    assert offer.status == OfferStatus.WITHDRAWN
    assert db.session.get(TrainingRequest, waiting.id).status == RequestStatus.SUBMITTED
    # The "withdrawn" email to her was never sent: nothing goes to her address.
    assert outbox_to(EMAIL) == []
    assert all(m.status == OutboxStatus.SENT for m in outbox_to(everything.alice.email))


def refused(browser, person, message: str, confirmation=EMAIL) -> None:
    before = mentions([NAME])
    response = erase(browser, person, confirmation)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert mentions([NAME]) == before


def test_a_wrong_confirmation_changes_nothing(everything, client_for):
    refused(
        client_for(everything.office),
        everything.alice,
        "Type their email address exactly as shown to confirm.",
        confirmation="alice@example.org",
    )


def test_nobody_erases_themselves(everything, client_for):
    refused(
        client_for(everything.alice),
        everything.alice,
        "You cannot erase your own account.",
    )


def test_a_trainer_with_sessions_to_come_is_not_erased(
    everything, client_for, make_session
):
    make_session(
        everything.trainer,
        everything.group,
        everything.topic,
        FUTURE,
        SessionStatus.BOOKED,
        places=[
            SessionPlace(
                place=2,
                trainer=everything.alice,
                is_shadowing=True,
                is_needed=False,
                filled_at=everything.alice.created_at,
            )
        ],
    )
    refused(
        client_for(everything.office),
        everything.alice,
        "is booked to train or shadow 1 session still to come.",
    )


def test_an_erased_person_is_not_erased_twice(everything, client_for):
    browser = client_for(everything.office)
    erase(browser, everything.alice)
    placeholder = db.session.get(User, everything.alice.id).email
    response = erase(browser, everything.alice, placeholder)
    assert response.status_code == 400
    assert "already been erased" in response.get_data(as_text=True)


def test_the_last_active_office_account_is_not_erased(people):
    office, alice = people.office, people.alice
    # Otto is deactivated while his erase form is open: Alice is then the last.
    office.is_active = False
    db.session.commit()
    with pytest.raises(DomainError, match="last active national office account"):
        erasure.erase_person(alice.id, office, EMAIL, utcnow())


def test_an_unknown_person_is_not_found(people, client_for):
    browser = client_for(people.office)
    assert browser.get("/office/privacy/people/999999").status_code == 404
    assert erase(browser, type("Nobody", (), {"id": 999999})).status_code == 404


@pytest.mark.postgres_only
def test_two_office_members_erasing_each_other_at_once_leave_one(app, people):
    """Each checks for another active office account; the lock makes the second
    see the first's erasure, so the office is never left empty."""
    pairs = [(people.alice.id, people.office.id), (people.office.id, people.alice.id)]
    people.alice.is_active = True
    db.session.commit()
    start, outcomes = threading.Barrier(2), []

    def erase_other(actor_id: int, target_id: int) -> None:
        with app.app_context():
            try:
                actor, target = (
                    db.session.get(User, actor_id),
                    db.session.get(User, target_id),
                )
                start.wait(10)
                erasure.erase_person(target_id, actor, target.email, utcnow())
                db.session.commit()
                outcomes.append("erased")
            except DomainError as error:
                db.session.rollback()
                outcomes.append(error.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=erase_other, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == 2 and outcomes.count("erased") == 1
    (refusal,) = (outcome for outcome in outcomes if outcome != "erased")
    assert "last active national office account" in refusal
    db.session.expire_all()
    still = db.session.scalar(
        select(func.count()).where(User.is_office, User.is_active)
    )
    assert still == 1


def test_sent_mail_about_her_sessions_to_others_loses_its_body_only(
    everything, client_for
):
    others = outbox_to(everything.organiser.email)
    assert others and "Alice Example" in others[0].body
    unrelated = OutboxMessage(
        to_address="someone@example.org",
        subject="Booked: Phone banking for Somewhere Else, Tue 1 Jan",
        kind="session_booked",
        body="hello",
        message_id="<unrelated@example.org>",
        status=OutboxStatus.SENT,
        created_at=utcnow() + timedelta(minutes=1),
    )
    db.session.add(unrelated)
    db.session.commit()
    assert erase(client_for(everything.office), everything.alice).status_code == 302
    assert outbox_to(everything.organiser.email)[0].body == ""
    assert db.session.get(OutboxMessage, unrelated.id).body == "hello"
