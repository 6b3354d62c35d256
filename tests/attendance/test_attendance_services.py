"""Recording attendance: the session and request become delivered once, under the
request's lock; people_count is the larger of headcount and roster on every
change; consent rules; refused cases change nothing; rating and report rules."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from trainers.attendance import services
from trainers.attendance.models import Attendance, Attendee
from trainers.attendance.roster_csv import InvalidPerson, RosterFileError
from trainers.audit import AuditEntry
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.requests.models import RequestEvent, RequestStatus
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import utcnow

CSV = "name,email,consent\r\n"


def events(training_session, action: str) -> list[RequestEvent]:
    return list(
        db.session.scalars(
            select(RequestEvent).where(
                RequestEvent.request_id == training_session.request_id,
                RequestEvent.action == action,
            )
        )
    )


def counts() -> tuple[int, int, int]:
    """Attendance rows, roster rows, request events: what a refusal must not change."""
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Attendance, Attendee, RequestEvent)
    )


def fresh(training_session) -> TrainingSession:
    db.session.expire_all()
    return db.session.get(TrainingSession, training_session.id)


def add(training_session, by, name="Ada Example", email=None, **flags):
    return services.add_attendee(
        training_session,
        name,
        email,
        consent=flags.get("consent", True),
        is_walk_in=flags.get("is_walk_in", False),
        by=by,
        now=flags.get("now", utcnow()),
    )


def test_first_recording_delivers_session_and_request_with_one_event(make_session, net):
    training_session = make_session()
    now = utcnow()
    attendance = services.record_attendance(training_session, 14, net.trainer, now)
    db.session.commit()

    training_session = fresh(training_session)
    assert training_session.status == SessionStatus.DELIVERED
    assert training_session.training_request.status == RequestStatus.DELIVERED
    assert training_session.training_request.status_changed_at == now
    assert (attendance.headcount, attendance.people_count) == (14, 14)
    assert (attendance.recorded_by_id, attendance.recorded_at) == (net.trainer.id, now)
    (event,) = events(training_session, "attendance recorded")
    assert event.actor_id == net.trainer.id
    assert event.detail == "Delivered; 14 people counted."


def test_the_same_headcount_sent_twice_changes_nothing_the_second_time(
    make_session, net
):
    training_session = make_session()
    first = utcnow()
    services.record_attendance(training_session, 9, net.organiser, first)
    db.session.commit()
    services.record_attendance(
        fresh(training_session), 9, net.organiser, first + timedelta(seconds=1)
    )
    db.session.commit()

    attendance = db.session.get(Attendance, training_session.id)
    assert attendance.updated_at == first
    assert len(events(training_session, "attendance recorded")) == 1
    assert events(training_session, "attendance updated") == []


def test_a_corrected_headcount_is_logged_and_recounted(make_session, net):
    training_session = make_session()
    services.record_attendance(training_session, 9, net.trainer, utcnow())
    services.record_attendance(training_session, 11, net.office, utcnow())
    db.session.commit()
    assert db.session.get(Attendance, training_session.id).people_count == 11
    (event,) = events(training_session, "attendance updated")
    assert (event.actor_id, event.detail) == (
        net.office.id,
        "Headcount 9 → 11; 11 people counted.",
    )
    assert fresh(training_session).status == SessionStatus.DELIVERED


def test_people_count_is_the_larger_of_headcount_and_roster_on_every_change(
    make_session, net
):
    training_session = make_session()
    services.record_attendance(training_session, 2, net.trainer, utcnow())

    def people() -> int:
        db.session.flush()
        return db.session.get(Attendance, training_session.id).people_count

    ada = add(training_session, net.trainer, "Ada Example")
    assert people() == 2
    add(training_session, net.trainer, "Bo Example", "bo@example.org")
    add(training_session, net.trainer, "Cy Example", "cy@example.org")
    assert people() == 3  # roster 3 > headcount 2
    services.record_attendance(training_session, 5, net.trainer, utcnow())
    assert people() == 5
    services.record_attendance(training_session, 0, net.trainer, utcnow())
    assert people() == 3
    services.remove_attendee(training_session, ada.id, net.trainer, utcnow())
    assert people() == 2
    services.upload_roster(
        training_session,
        (CSV + "Di Example,,yes\r\nEd Example,ed@example.org,YES\r\n").encode(),
        net.trainer,
        utcnow(),
    )
    assert people() == 4


def test_the_first_change_may_be_a_person_or_a_file_and_later_ones_are_walk_ins(
    make_session, net
):
    by_hand, by_file = make_session(), make_session()
    first = add(by_hand, net.organiser, "Ada Example")
    later = add(by_hand, net.organiser, "Bo Example")
    ticked = add(fresh(by_file), net.organiser, "Cy Example", is_walk_in=True)
    uploaded = services.upload_roster(
        by_file, (CSV + "Di Example,,yes\r\n").encode(), net.organiser, utcnow()
    )
    db.session.commit()

    assert (first.is_walk_in, later.is_walk_in) == (False, True)
    assert ticked.is_walk_in and uploaded[0].is_walk_in
    for training_session, people in ((by_hand, 2), (by_file, 2)):
        attendance = db.session.get(Attendance, training_session.id)
        assert (attendance.headcount, attendance.people_count) == (0, people)
        assert fresh(training_session).status == SessionStatus.DELIVERED
        (event,) = events(training_session, "attendance recorded")
        assert event.detail == "Delivered; 1 person counted."


def test_a_file_first_names_nobody_as_a_walk_in(make_session, net):
    training_session = make_session()
    added = services.upload_roster(
        training_session,
        (CSV + "Ada Example,ada@example.org,yes\r\nBo Example,,y\r\n").encode(),
        net.trainer,
        utcnow(),
    )
    assert [person.is_walk_in for person in added] == [False, False]
    assert [person.consent_given_at is not None for person in added] == [True, True]


def test_a_session_marked_attendance_unknown_can_still_be_recorded(make_session, net):
    training_session = make_session(utcnow() - timedelta(days=30))
    training_session.attendance_unknown_at = utcnow() - timedelta(days=14)
    db.session.commit()
    services.record_attendance(training_session, 7, net.trainer, utcnow())
    db.session.commit()
    assert fresh(training_session).status == SessionStatus.DELIVERED


@pytest.mark.parametrize(
    ("starts_in", "status", "message"),
    [
        (timedelta(hours=1), SessionStatus.BOOKED, "once the session has started"),
        (-timedelta(days=2), SessionStatus.CANCELLED, "This session was cancelled"),
    ],
)
def test_a_session_not_started_or_cancelled_is_refused_every_way(
    make_session, net, starts_in, status, message
):
    training_session = make_session(utcnow() + starts_in, status=status)
    before = counts()
    attempts = (
        lambda: services.record_attendance(training_session, 3, net.trainer, utcnow()),
        lambda: add(training_session, net.trainer),
        lambda: services.upload_roster(
            training_session, (CSV + "Ada,,yes").encode(), net.trainer, utcnow()
        ),
    )
    for attempt in attempts:
        with pytest.raises(DomainError, match=message):
            attempt()
        db.session.rollback()
    assert counts() == before
    assert fresh(training_session).status == status


def test_a_session_that_has_just_started_can_be_recorded(make_session, net):
    now = utcnow()
    training_session = make_session(now)
    services.record_attendance(training_session, 3, net.trainer, now)
    assert training_session.status == SessionStatus.DELIVERED


@pytest.mark.parametrize("headcount", [None, -1, 501])
def test_a_headcount_outside_0_to_500_is_refused(make_session, net, headcount):
    training_session = make_session()
    with pytest.raises(DomainError, match="from 0 to 500") as refused:
        services.record_attendance(training_session, headcount, net.trainer, utcnow())
    assert refused.value.field == "headcount"
    db.session.rollback()
    assert counts() == (0, 0, 0)


def test_500_is_allowed(make_session, net):
    training_session = make_session()
    attendance = services.record_attendance(
        training_session, 500, net.trainer, utcnow()
    )
    assert attendance.people_count == 500


# Consent: a person is named only with it; without it they are counted, not named.


def test_without_consent_nobody_is_named_and_nothing_is_recorded(make_session, net):
    training_session = make_session()
    with pytest.raises(InvalidPerson) as refused:
        add(training_session, net.trainer, "Ada Example", consent=False)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("consent", services.NO_CONSENT)
    ]
    assert "count them in the headcount instead" in services.NO_CONSENT
    db.session.rollback()
    assert counts() == (0, 0, 0)
    assert fresh(training_session).status == SessionStatus.BOOKED


def test_every_problem_with_a_person_is_reported_by_field(make_session, net):
    training_session = make_session()
    with pytest.raises(InvalidPerson) as refused:
        add(training_session, net.trainer, "  ", "bob@", consent=False)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("name", "No name given."),
        ("email", "'bob@' is not an email address."),
        ("consent", services.NO_CONSENT),
    ]


def test_a_person_already_on_the_roster_is_refused_by_email_or_by_name(
    make_session, net
):
    training_session = make_session()
    add(training_session, net.trainer, "Ada Example", "Ada@Example.org")
    add(training_session, net.trainer, "Bo Example")
    with pytest.raises(DomainError, match="already on the roster") as by_email:
        add(training_session, net.trainer, "Someone Else", "ada@example.org")
    assert by_email.value.field == "email"
    with pytest.raises(DomainError, match="already on the roster") as by_name:
        add(training_session, net.trainer, "bo  example")
    assert by_name.value.field == "name"
    # Another Bo, told apart by an email address, is welcome.
    add(training_session, net.trainer, "Bo Example", "bo2@example.org")


def test_a_name_removed_after_the_retention_period_is_no_duplicate(make_session, net):
    training_session = make_session()
    old = add(training_session, net.trainer, "Ada Example", "ada@example.org")
    old.name = old.email = None
    old.anonymised_at = utcnow()
    db.session.flush()
    again = add(training_session, net.trainer, "Ada Example", "ada@example.org")
    assert again.id != old.id


def test_a_roster_holds_at_most_500(make_session, net):
    training_session = make_session()
    services.upload_roster(
        training_session,
        (CSV + "".join(f"P{n},,yes\r\n" for n in range(500))).encode(),
        net.trainer,
        utcnow(),
    )
    with pytest.raises(DomainError, match="at most 500"):
        add(training_session, net.trainer, "One More")


def test_a_bad_file_adds_nobody_and_records_nothing(make_session, net):
    training_session = make_session()
    data = (CSV + "Ada Example,ada@example.org,yes\r\nBob,bob@,yes\r\n").encode()
    with pytest.raises(RosterFileError) as refused:
        services.upload_roster(training_session, data, net.trainer, utcnow())
    assert refused.value.errors == ["Row 3: 'bob@' is not an email address"]
    db.session.rollback()
    assert counts() == (0, 0, 0)
    assert fresh(training_session).status == SessionStatus.BOOKED


def test_the_same_file_uploaded_twice_is_refused_the_second_time(make_session, net):
    training_session = make_session()
    data = (CSV + "Ada Example,ada@example.org,yes\r\nBo Example,,yes\r\n").encode()
    services.upload_roster(training_session, data, net.trainer, utcnow())
    db.session.commit()
    with pytest.raises(RosterFileError) as refused:
        services.upload_roster(training_session, data, net.trainer, utcnow())
    assert refused.value.errors[0] == "Row 2: ada@example.org is already on the roster"
    assert refused.value.errors[1].startswith("Row 3: Bo Example is already on the")
    db.session.rollback()
    assert counts()[1] == 2


def test_removing_someone_from_another_sessions_roster_is_not_found(make_session, net):
    mine, theirs = make_session(), make_session()
    ada = add(theirs, net.trainer, "Ada Example")
    db.session.commit()
    with pytest.raises(NotFound):
        services.remove_attendee(mine, ada.id, net.trainer, utcnow())
    db.session.rollback()
    assert db.session.get(Attendee, ada.id) is not None


def test_viewing_and_changing_the_roster_is_audited_with_the_session(make_session, net):
    training_session = make_session()
    assert services.show_roster(training_session, net.office) == []
    ada = add(training_session, net.trainer, "Ada Example")
    services.upload_roster(
        training_session, (CSV + "Bo,,yes\r\n").encode(), net.organiser, utcnow()
    )
    assert [p.name for p in services.show_roster(training_session, net.office)] == [
        "Ada Example",
        "Bo",
    ]
    services.remove_attendee(training_session, ada.id, net.organiser, utcnow())
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id, e.session_id, e.detail) for e in entries] == [
        ("roster person added", net.trainer.id, training_session.id, ""),
        ("roster uploaded", net.organiser.id, training_session.id, "1 added"),
        ("roster viewed", net.office.id, training_session.id, "2 named"),
        (
            "roster person removed",
            net.organiser.id,
            training_session.id,
            f"attendee {ada.id}",
        ),
    ]
    # The audit log itself holds no names.
    assert not any("Ada" in e.detail or "Bo" in e.detail for e in entries)


# The organiser's rating and the trainer's report.


@pytest.fixture
def delivered(make_session, net):
    training_session = make_session()
    services.record_attendance(training_session, 10, net.trainer, utcnow())
    db.session.commit()
    return training_session


def test_the_groups_organiser_rates_and_can_change_the_rating(delivered, net):
    now = utcnow()
    services.rate_session(delivered, net.organiser, 4, " Lively. ", now)
    attendance = services.rate_session(delivered, net.organiser, 5, "", now)
    assert (attendance.rating, attendance.rating_comment) == (5, "")
    assert (attendance.rated_by_id, attendance.rated_at) == (net.organiser.id, now)


@pytest.mark.parametrize(
    "who", ["trainer", "office", "other_organiser", "shadow", "other_trainer"]
)
def test_only_the_groups_organisers_rate(delivered, net, who):
    with pytest.raises(NotFound):
        services.rate_session(delivered, getattr(net, who), 5, "", utcnow())


def test_a_trainer_who_also_organises_the_group_cannot_rate_their_own_session(
    delivered, net
):
    net.trainer.groups.append(net.group)
    db.session.commit()
    with pytest.raises(NotFound):
        services.rate_session(delivered, net.trainer, 5, "", utcnow())


@pytest.mark.parametrize(
    ("rating", "comment", "field"),
    [
        (0, "", "rating"),
        (6, "", "rating"),
        (None, "", "rating"),
        (3, "x" * 2001, "comment"),
        (3, "a\x00b", "comment"),
    ],
)
def test_a_bad_rating_is_refused(delivered, net, rating, comment, field):
    with pytest.raises(DomainError) as refused:
        services.rate_session(delivered, net.organiser, rating, comment, utcnow())
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.get(Attendance, delivered.id).rating is None


def test_the_trainer_reports_and_only_the_trainer(delivered, net):
    attendance = services.report_session(
        delivered, net.trainer, "Great role-play.\r\nEveryone spoke.", "", utcnow()
    )
    assert attendance.went_well == "Great role-play.\r\nEveryone spoke."
    assert attendance.reported_by_id == net.trainer.id
    for who in ("organiser", "office", "shadow", "other_trainer"):
        with pytest.raises(NotFound):
            services.report_session(delivered, getattr(net, who), "x", "y", utcnow())


def test_an_empty_report_is_refused(delivered, net):
    with pytest.raises(DomainError, match="what went well") as refused:
        services.report_session(delivered, net.trainer, "  ", "\n", utcnow())
    assert refused.value.field == "went_well"


def test_rating_and_report_wait_for_attendance(make_session, net):
    training_session = make_session()
    with pytest.raises(DomainError, match="once its attendance is recorded"):
        services.rate_session(training_session, net.organiser, 5, "", utcnow())
    with pytest.raises(DomainError, match="once its attendance is recorded"):
        services.report_session(training_session, net.trainer, "x", "", utcnow())
