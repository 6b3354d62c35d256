"""Attendance pages: recording, the roster by hand and by file, who may see names
(and who gets 404), names never in emails or calendars, rating and report pages,
the session page's outcome and the trainer's tallies."""

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from trainers.attendance import services
from trainers.attendance.models import Attendance, Attendee
from trainers.audit import AuditEntry
from trainers.calendar.feed_links import start_feed
from trainers.extensions import db
from trainers.home.services import trainer_standing
from trainers.requests.models import RequestStatus, TrainingRequest
from trainers.sessions import jobs
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import utcnow

ROSTER = (
    "\ufeffName,Email,Consent\r\n"
    "Ada Rosterperson,ada.roster@example.net,yes\r\n"
    "Bo Rosterperson,,yes\r\n"
).encode()
NAMES = ("Rosterperson", "ada.roster@example.net")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def upload(browser, training_session, data: bytes, filename="roster.csv"):
    import io

    return browser.post(
        f"/sessions/{training_session.id}/attendance/upload",
        data={"roster_file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def session(make_session):
    return make_session()


def test_the_trainer_records_attendance_and_the_session_is_delivered(
    client_for, net, session
):
    browser = client_for(net.trainer)
    assert "Record attendance" in page(browser.get(f"/sessions/{session.id}"))
    form = browser.get(f"/sessions/{session.id}/attendance")
    assert form.status_code == 200
    assert "Name only people who ticked" in page(form)

    sent = browser.post(f"/sessions/{session.id}/attendance", data={"headcount": "17"})
    assert sent.status_code == 302
    assert sent.headers["Location"] == f"/sessions/{session.id}/attendance"
    training_session = db.session.get(TrainingSession, session.id)
    assert training_session.status == SessionStatus.DELIVERED
    assert training_session.training_request.status == RequestStatus.DELIVERED
    shown = page(browser.get(f"/sessions/{session.id}/attendance"))
    assert "Attendance recorded: 17 people." in shown
    assert "17 people counted" in shown
    request_page = page(
        client_for(net.organiser).get(f"/requests/{session.request_id}")
    )
    assert "Delivered:" in request_page
    assert f'href="/sessions/{session.id}"' in request_page


@pytest.mark.parametrize("headcount", ["", "many", "-1", "501", "2.5"])
def test_a_bad_headcount_says_why_with_400_and_changes_nothing(
    client_for, net, session, headcount
):
    response = client_for(net.organiser).post(
        f"/sessions/{session.id}/attendance", data={"headcount": headcount}
    )
    assert response.status_code == 400
    assert "Enter how many people came, from 0 to 500." in page(response)
    assert count(Attendance) == 0
    assert db.session.get(TrainingSession, session.id).status == SessionStatus.BOOKED


def test_a_session_not_yet_started_says_when_and_refuses(client_for, net, make_session):
    later = make_session(utcnow() + timedelta(days=2))
    browser = client_for(net.trainer)
    shown = page(browser.get(f"/sessions/{later.id}/attendance"))
    assert "once the session has started" in shown
    assert 'name="headcount"' not in shown
    assert "Record attendance" not in page(browser.get(f"/sessions/{later.id}"))
    refused = browser.post(f"/sessions/{later.id}/attendance", data={"headcount": "3"})
    assert refused.status_code == 400
    assert "once the session has started" in page(refused)
    assert count(Attendance) == 0


def test_a_cancelled_session_refuses_attendance(client_for, net, make_session):
    cancelled = make_session(status=SessionStatus.CANCELLED)
    refused = client_for(net.office).post(
        f"/sessions/{cancelled.id}/attendance", data={"headcount": "3"}
    )
    assert refused.status_code == 400
    assert "This session was cancelled" in page(refused)
    assert count(Attendance) == 0


def test_a_person_is_named_only_with_consent(client_for, net, session):
    browser = client_for(net.trainer)
    refused = browser.post(
        f"/sessions/{session.id}/attendance/people",
        data={"name": "Ada Rosterperson", "email": "ada@"},
    )
    assert refused.status_code == 400
    shown = page(refused)
    assert "&#39;ada@&#39; is not an email address." in shown
    assert "count them in the headcount instead" in shown
    assert count(Attendee) == count(Attendance) == 0

    added = browser.post(
        f"/sessions/{session.id}/attendance/people",
        data={"name": "Ada Rosterperson", "email": "", "consent": "y"},
    )
    assert added.status_code == 302
    (person,) = db.session.scalars(select(Attendee)).all()
    assert (person.name, person.email, person.is_walk_in) == (
        "Ada Rosterperson",
        None,
        False,
    )
    assert person.consent_given_at is not None
    # The name is never put in a flashed message (it would travel in the cookie).
    assert "Ada" not in browser.get_cookie("session").value


def test_a_bad_file_is_reported_row_by_row_and_nothing_is_saved(
    client_for, net, session
):
    browser = client_for(net.organiser)
    bad = ROSTER + b"Cy Rosterperson,,no\r\nDi,di@,yes\r\n"
    response = upload(browser, session, bad)
    assert response.status_code == 400
    shown = page(response)
    assert "Nothing was saved: the file has 2 problems" in shown
    assert (
        "Row 4: consent is not &#39;yes&#39;: count this person in the headcount "
        "instead" in shown
    )
    assert "Row 5: &#39;di@&#39; is not an email address" in shown
    assert count(Attendee) == count(Attendance) == 0

    assert "Choose a CSV file" in page(
        browser.post(
            f"/sessions/{session.id}/attendance/upload",
            data={},
            content_type="multipart/form-data",
        )
    )

    assert upload(browser, session, ROSTER).status_code == 302
    shown = page(browser.get(f"/sessions/{session.id}/attendance"))
    assert "Ada Rosterperson" in shown and "Bo Rosterperson" in shown
    attendance = db.session.get(Attendance, session.id)
    assert (attendance.headcount, attendance.people_count) == (0, 2)

    again = upload(browser, session, ROSTER)
    assert again.status_code == 400
    assert "Row 2: ada.roster@example.net is already on the roster" in page(again)
    assert count(Attendee) == 2


def test_removing_a_person_and_the_retention_placeholder(client_for, net, session):
    browser = client_for(net.office)
    upload(browser, session, ROSTER)
    ada, bo = db.session.scalars(select(Attendee).order_by(Attendee.id)).all()
    ada_id, bo_id = ada.id, bo.id
    bo.name = bo.email = None
    bo.anonymised_at = utcnow()
    db.session.commit()
    shown = page(browser.get(f"/sessions/{session.id}/attendance"))
    assert "Name removed after the retention period" in shown

    remove = f"/sessions/{session.id}/attendance/people/{ada_id}/remove"
    assert browser.post(remove).status_code == 302
    assert [a.id for a in db.session.scalars(select(Attendee))] == [bo_id]
    assert db.session.get(Attendance, session.id).people_count == 1
    gone = browser.post(remove)
    assert gone.status_code == 404


def test_reading_the_roster_is_audited(client_for, net, session):
    browser = client_for(net.office)
    browser.get(f"/sessions/{session.id}/attendance")
    assert count(AuditEntry) == 0  # no names yet, nothing read
    upload(browser, session, ROSTER)
    browser.get(f"/sessions/{session.id}/attendance")
    actions = db.session.execute(
        select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.session_id).order_by(
            AuditEntry.id
        )
    ).all()
    assert actions == [
        ("roster uploaded", net.office.id, session.id),
        ("roster viewed", net.office.id, session.id),
    ]


ROSTER_PAGES = (
    ("GET", "/attendance"),
    ("POST", "/attendance"),
    ("POST", "/attendance/people"),
    ("POST", "/attendance/upload"),
)


@pytest.mark.parametrize("who", ["other_organiser", "other_trainer", "shadow"])
def test_people_outside_the_session_get_404_and_never_the_roster(
    client_for, net, session, who
):
    upload(client_for(net.trainer), session, ROSTER)
    (ada, _) = db.session.scalars(select(Attendee)).all()
    browser = client_for(getattr(net, who))
    for method, path in (
        *ROSTER_PAGES,
        ("POST", f"/attendance/people/{ada.id}/remove"),
        ("GET", ""),
        ("GET", "/rating"),
        ("GET", "/report"),
    ):
        response = browser.open(
            f"/sessions/{session.id}{path}", method=method, data={"headcount": "1"}
        )
        # A trainer holding a place beside the lead sees the session's page
        # (who trains, what is open), never its roster.
        sees_page = who == "shadow" and path == ""
        assert response.status_code == (200 if sees_page else 404), (method, path)
        assert "Rosterperson" not in page(response)
    assert count(Attendee) == 2
    assert db.session.get(Attendance, session.id).headcount == 0


def test_signed_out_visitors_are_sent_to_sign_in(client, session):
    response = client.get(f"/sessions/{session.id}/attendance")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_names_never_reach_emails_or_calendars(
    client_for, net, make_session, mailbox, client
):
    training_session = make_session(utcnow() - timedelta(hours=6))
    jobs.follow_up(utcnow())  # asks trainer and organiser, not the shadow
    browser = client_for(net.trainer)
    asked = mailbox.last_link(net.trainer.email)
    assert asked == f"/sessions/{training_session.id}/attendance"
    assert not any(
        "how did" in message["Subject"] for message in mailbox.to(net.shadow.email)
    )

    upload(browser, training_session, ROSTER)
    browser.post(
        f"/sessions/{training_session.id}/attendance", data={"headcount": "20"}
    )
    browser.post(
        f"/sessions/{training_session.id}/rating", data={"rating": "5"}
    )  # refused: the trainer does not rate
    client_for(net.organiser).post(
        f"/sessions/{training_session.id}/rating",
        data={"rating": "5", "comment": "Great"},
    )
    jobs.follow_up(utcnow() + timedelta(days=20))  # delivered: nothing more asked

    messages = mailbox.messages()
    assert messages, "the follow-up asks were sent"
    for message in messages:
        raw = message.as_string()
        assert not any(name in raw for name in NAMES), message["Subject"]

    calendars = [browser.get(f"/sessions/{training_session.id}/calendar.ics").data]
    for person in (net.trainer, net.organiser, net.office):
        token = start_feed(person, utcnow())
        db.session.commit()
        feed = client.get(f"/calendar/{token}.ics")
        assert feed.status_code == 200
        assert training_session.ical_uid.encode() in feed.data
        calendars.append(feed.data)
    for ics in calendars:
        assert b"BEGIN:VCALENDAR" in ics
        assert not any(name.encode() in ics for name in NAMES)


def test_the_session_page_shows_counts_rating_and_report_but_no_names(
    client_for, net, session
):
    trainer = client_for(net.trainer)
    upload(trainer, session, ROSTER)
    trainer.post(f"/sessions/{session.id}/attendance", data={"headcount": "12"})
    trainer.post(
        f"/sessions/{session.id}/report",
        data={"went_well": "Role-play", "follow_up_requested": "Phone banking"},
    )
    client_for(net.organiser).post(
        f"/sessions/{session.id}/rating", data={"rating": "4", "comment": "Lively"}
    )
    for person in (net.trainer, net.organiser, net.office):
        shown = page(client_for(person).get(f"/sessions/{session.id}"))
        assert "12 (headcount 12, 2 named)" in shown
        assert "4 out of 5" in shown and "Lively" in shown
        assert "Role-play" in shown and "Phone banking" in shown
        assert "Rosterperson" not in shown
    organiser_view = page(client_for(net.organiser).get(f"/sessions/{session.id}"))
    assert "Change your rating" in organiser_view
    assert "Write your report" not in organiser_view
    trainer_view = page(trainer.get(f"/sessions/{session.id}"))
    assert (
        "Change your report" in trainer_view and "Rate this session" not in trainer_view
    )


def test_rating_is_for_the_groups_organisers_only(client_for, net, session):
    services.record_attendance(session, 8, net.trainer, utcnow())
    db.session.commit()
    for who in ("trainer", "office"):
        browser = client_for(getattr(net, who))
        assert browser.get(f"/sessions/{session.id}/rating").status_code == 404
        assert (
            browser.post(
                f"/sessions/{session.id}/rating", data={"rating": "1"}
            ).status_code
            == 404
        )
    organiser = client_for(net.organiser)
    assert organiser.get(f"/sessions/{session.id}/rating").status_code == 200
    for bad in ({}, {"rating": "6"}, {"rating": "x"}):
        response = organiser.post(f"/sessions/{session.id}/rating", data=bad)
        assert response.status_code == 400
        assert "Choose a rating from 1 to 5." in page(response)
    too_long = organiser.post(
        f"/sessions/{session.id}/rating", data={"rating": "3", "comment": "x" * 2001}
    )
    assert too_long.status_code == 400
    assert "Keep it to 2000 characters" in page(too_long)
    assert db.session.get(Attendance, session.id).rating is None

    saved = organiser.post(
        f"/sessions/{session.id}/rating", data={"rating": "3", "comment": "Good"}
    )
    assert saved.status_code == 302
    again = page(organiser.get(f"/sessions/{session.id}/rating"))
    assert (
        '<input checked id="rating-2" name="rating"' in again
        and "Good</textarea>" in again
    )


def test_the_report_is_the_trainers_only_and_waits_for_attendance(
    client_for, net, session
):
    trainer = client_for(net.trainer)
    early = trainer.get(f"/sessions/{session.id}/report")
    assert "once its attendance is recorded" in page(early)
    refused = trainer.post(f"/sessions/{session.id}/report", data={"went_well": "x"})
    assert refused.status_code == 400
    for who in ("organiser", "office"):
        browser = client_for(getattr(net, who))
        assert browser.get(f"/sessions/{session.id}/report").status_code == 404
    services.record_attendance(session, 8, net.trainer, utcnow())
    db.session.commit()
    empty = trainer.post(f"/sessions/{session.id}/report", data={"went_well": " "})
    assert empty.status_code == 400
    assert "Write what went well" in page(empty)
    saved = trainer.post(
        f"/sessions/{session.id}/report",
        data={"went_well": "Everyone spoke", "follow_up_requested": ""},
    )
    assert saved.status_code == 302
    assert db.session.get(Attendance, session.id).went_well == "Everyone spoke"


# The trainer's tallies, against a hand-built history.


def test_tallies_count_only_the_trainers_delivered_sessions(
    client_for, net, make_session, make_group
):
    rye = make_group("Rye Rising", "TN31")
    # A day apart: the trainer's sessions may not overlap.
    long_ago = (utcnow() - timedelta(days=200 + n) for n in itertools.count())

    def delivered(headcount, named=0, **where):
        training_session = make_session(next(long_ago), **where)
        services.record_attendance(training_session, headcount, net.trainer, utcnow())
        for n in range(named):
            services.add_attendee(
                training_session,
                f"P{n}",
                None,
                consent=True,
                is_walk_in=False,
                by=net.trainer,
                now=utcnow(),
            )
        db.session.commit()

    delivered(12)  # Hastings, door-knocking: 12
    delivered(5, named=7, topic=net.other_topic)  # Hastings, phone banking: 7
    delivered(0, named=2, group=rye)  # Rye, door-knocking: 2
    # Delivered before attendance was kept: counted as a session, no people.
    make_session(next(long_ago), status=SessionStatus.DELIVERED, group=rye)
    # None of these count.
    make_session(utcnow() + timedelta(days=3))
    make_session(next(long_ago), status=SessionStatus.CANCELLED)
    other = make_session(next(long_ago), trainer=net.other_trainer)
    services.record_attendance(other, 30, net.other_trainer, utcnow())
    db.session.commit()

    tallies = trainer_standing(net.trainer).tallies
    assert (tallies.sessions, tallies.people, tallies.groups) == (4, 21, 2)
    assert tallies.topics == [
        ("Door-knocking and canvassing", 3),
        ("Phone banking", 1),
    ]
    home = page(client_for(net.trainer).get("/"))
    for figure in (
        "<strong>4</strong> sessions delivered",
        "<strong>21</strong> people trained",
        "<strong>2</strong> groups reached",
        "<strong>2</strong> topics taught",
        "Door-knocking and canvassing (3), Phone banking (1)",
    ):
        assert figure in home
    assert trainer_standing(net.shadow).tallies == type(tallies)(0, 0, 0, [])
    assert (
        db.session.scalar(
            select(func.count()).where(
                TrainingRequest.status == RequestStatus.DELIVERED
            )
        )
        == 5
    )
