"""Training request services: slots on the UK clock, venue rules, edits, cancels."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.matching import lifecycle
from trainers.matching.models import Offer
from trainers.requests import services
from trainers.requests.details import Particulars
from trainers.requests.forms import PARTICULARS
from trainers.requests.models import RequestEvent, RequestSlot, TrainingRequest
from trainers.requests.queries import (
    RequestFilters,
    RequestListPage,
    get_request_for,
    group_for,
    groups_for,
    list_page,
    request_as_shown,
    visible_requests,
)
from trainers.requests.slots import InvalidSlots, parse_slots
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.sessions.services import book_session

pytestmark = pytest.mark.usefixtures("app")

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
SPRING_FORWARD = date(2027, 3, 28)
FALL_BACK = date(2027, 10, 31)
JUNE = date(2027, 6, 15)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def online_topic(make_topic):
    return make_topic("Writing a press release", online=True)


@pytest.fixture
def submit(group, topic, organiser):
    """Create a request through the services, with sensible defaults."""

    def submit(rows=((JUNE, time(10), time(12)),), **overrides):
        values = {
            "is_online": False,
            "venue_postcode": "tn341aa",
            "venue_address": "  Hastings Library\r\n13 Brassey Road  ",
            "expected_attendance": 12,
            "accessibility_needs": "Step-free access",
            "notes": "",
            "by": organiser,
            "now": NOW,
        }
        values.update(overrides)
        slots = parse_slots(list(rows), values["now"])
        written = Particulars(
            **{name: values.pop(name) for name in PARTICULARS if name in values}
        )
        return services.create_request(
            values.pop("group", group),
            values.pop("topic", topic),
            slots,
            written,
            **values,
        )

    return submit


def slot_error(rows, now=NOW) -> InvalidSlots:
    with pytest.raises(InvalidSlots) as caught:
        parse_slots(rows, now)
    return caught.value


# Creating


def test_create_request_stores_the_request_utc_slots_and_history(
    submit, group, topic, organiser
):
    training_request = submit(
        [
            (JUNE, time(18), time(20)),
            (None, None, None),
            (date(2027, 2, 1), time(10), time(12)),
        ]
    )
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(TrainingRequest, training_request.id)
    assert stored.group_id == group.id and stored.topic_id == topic.id
    assert stored.status == "submitted"
    assert stored.created_by_id == organiser.id
    assert stored.created_at == NOW and stored.status_changed_at == NOW
    assert stored.venue_postcode == "TN34 1AA"
    assert stored.venue_district == "TN34"
    assert stored.venue_latitude == pytest.approx(50.86, abs=0.1)
    assert stored.venue_address == "Hastings Library\n13 Brassey Road"
    assert stored.expected_attendance == 12
    assert stored.accessibility_needs == "Step-free access"
    # GMT in February, BST in June; earliest first.
    assert [(s.starts_at, s.ends_at) for s in stored.slots] == [
        (utc(2027, 2, 1, 10), utc(2027, 2, 1, 12)),
        (utc(2027, 6, 15, 17), utc(2027, 6, 15, 19)),
    ]
    assert [(e.action, e.actor_id, e.at, e.detail) for e in stored.events] == [
        ("submitted", organiser.id, NOW, "2 slots proposed")
    ]


def test_an_online_request_keeps_no_venue(submit, online_topic):
    training_request = submit(topic=online_topic, is_online=True)
    assert training_request.is_online
    assert training_request.venue_postcode is None
    assert training_request.venue_address == ""


def test_a_district_alone_locates_the_venue(submit):
    training_request = submit(venue_postcode=" tn35 ")
    assert training_request.venue_postcode == "TN35"
    assert training_request.venue_district == "TN35"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"is_online": True}, "is_online", "cannot be run online"),
        ({"venue_postcode": "ZZ99 1AA"}, "venue_postcode", "district ZZ99"),
        ({"venue_postcode": "not a postcode"}, "venue_postcode", "not a UK postcode"),
        ({"venue_postcode": "  "}, "venue_postcode", "Enter the venue's postcode"),
        ({"venue_address": " \n "}, "venue_address", "Enter the venue's address"),
        ({"expected_attendance": 0}, "expected_attendance", "between 1 and 500"),
        ({"expected_attendance": 501}, "expected_attendance", "between 1 and 500"),
    ],
)
def test_bad_request_details_are_refused_and_nothing_is_saved(
    submit, overrides, field, message
):
    with pytest.raises(DomainError) as caught:
        submit(**overrides)
    assert caught.value.field == field
    assert message in caught.value.message
    assert count(TrainingRequest) == count(RequestSlot) == count(RequestEvent) == 0


def test_an_inactive_topic_or_group_is_refused(submit, make_topic, group):
    retired = make_topic("Leafleting")
    retired.is_active = False
    with pytest.raises(DomainError, match="no longer offered"):
        submit(topic=retired)
    group.is_active = False
    with pytest.raises(DomainError, match="no longer active"):
        submit()
    assert count(TrainingRequest) == 0


# Slots


def test_empty_slot_rows_are_ignored_and_slots_come_back_earliest_first():
    slots = parse_slots(
        [
            (None, None, None),
            (JUNE, time(18), time(20)),
            (JUNE, time(9), time(11)),
        ],
        NOW,
    )
    assert slots == [
        (utc(2027, 6, 15, 8), utc(2027, 6, 15, 10)),
        (utc(2027, 6, 15, 17), utc(2027, 6, 15, 19)),
    ]


def test_no_slot_at_all_is_refused():
    error = slot_error([(None, None, None)] * 5)
    assert error.errors[0].field == "slot_1_date"
    assert "at least one time slot" in error.message


def test_more_than_five_slots_are_refused():
    rows = [(JUNE + timedelta(days=n), time(10), time(12)) for n in range(6)]
    with pytest.raises(DomainError, match="at most 5"):
        parse_slots(rows, NOW)


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ((JUNE, None, time(12)), "slot_2_start", "needs a start time"),
        ((None, time(10), time(12)), "slot_2_date", "needs a date"),
        ((JUNE, time(10), None), "slot_2_end", "needs an end time"),
        ((JUNE, time(12), time(10)), "slot_2_end", "ends at or before its start"),
        ((JUNE, time(10), time(10)), "slot_2_end", "ends at or before its start"),
        ((date(2027, 1, 9), time(10), time(12)), "slot_2_date", "in the past"),
        ((date(2027, 1, 10), time(11), time(13)), "slot_2_date", "in the past"),
        ((JUNE, time(8), time(20, 1)), "slot_2_end", "longer than 12 hours"),
        ((JUNE, time(10), time(12)), "slot_2_date", "same as slot 1"),
    ],
)
def test_a_bad_slot_is_refused_with_a_message_on_its_row(row, field, message):
    error = slot_error([(JUNE, time(10), time(12)), row])
    assert [(e.row, e.field) for e in error.errors] == [(1, field)]
    assert message in error.errors[0].message


def test_every_bad_row_is_reported_at_once():
    error = slot_error(
        [
            (JUNE, time(12), time(10)),
            (JUNE, time(10), time(12)),
            (JUNE, None, None),
        ]
    )
    assert [e.field for e in error.errors] == ["slot_1_end", "slot_3_start"]


def test_a_twelve_hour_slot_is_allowed():
    assert parse_slots([(JUNE, time(8), time(20))], NOW) == [
        (utc(2027, 6, 15, 7), utc(2027, 6, 15, 19))
    ]


def test_the_longest_slot_comes_from_the_config(app):
    app.config["MAX_SLOT_HOURS"] = 3
    error = slot_error([(JUNE, time(8), time(12))])
    assert "longer than 3 hours" in error.message


# Clock changes


def test_a_slot_on_the_spring_forward_day_is_stored_in_utc():
    assert parse_slots([(SPRING_FORWARD, time(10), time(12))], NOW) == [
        (utc(2027, 3, 28, 9), utc(2027, 3, 28, 11))
    ]


def test_a_slot_on_the_fall_back_day_is_stored_in_utc():
    assert parse_slots([(FALL_BACK, time(10), time(12))], NOW) == [
        (utc(2027, 10, 31, 10), utc(2027, 10, 31, 12))
    ]


def test_a_time_the_clocks_skip_is_refused_with_a_message():
    error = slot_error([(SPRING_FORWARD, time(1, 30), time(3))])
    assert error.errors[0].field == "slot_1_start"
    assert "01:30 does not exist on 28 March 2027" in error.message


def test_a_slot_across_the_clock_change_has_its_real_length():
    [(starts_at, ends_at)] = parse_slots(
        [(SPRING_FORWARD, time(0, 30), time(3, 30))], NOW
    )
    assert ends_at - starts_at == timedelta(hours=2)
    [(starts_at, ends_at)] = parse_slots([(FALL_BACK, time(0, 30), time(3, 30))], NOW)
    assert ends_at - starts_at == timedelta(hours=4)


def test_the_longest_slot_is_measured_in_real_hours():
    # 00:00 to 12:30 on the clock is 11.5 hours when the clocks go forward,
    # and 13.5 hours when they go back.
    assert parse_slots([(SPRING_FORWARD, time(0), time(12, 30))], NOW)
    error = slot_error([(FALL_BACK, time(0), time(12, 30))])
    assert "longer than 12 hours" in error.message


# Short notice


def test_a_request_whose_first_slot_is_within_14_days_is_short_notice(submit):
    soon = submit([(date(2027, 1, 20), time(18), time(20))])
    later = submit([(date(2027, 1, 25), time(18), time(20))])
    assert services.is_short_notice(soon, NOW)
    assert not services.is_short_notice(later, NOW)
    assert services.is_short_notice(later, NOW + timedelta(days=2))


def test_a_cancelled_request_is_no_longer_short_notice(submit, organiser):
    soon = submit([(date(2027, 1, 12), time(18), time(20))])
    services.cancel_request(soon, "Venue closed", organiser, NOW)
    assert not services.is_short_notice(soon, NOW)


# Editing


def edit(training_request, by, rows=None, now=NOW, **overrides):
    values = {
        "is_online": training_request.is_online,
        "venue_postcode": training_request.venue_postcode,
        "venue_address": training_request.venue_address,
        "expected_attendance": training_request.expected_attendance,
        "accessibility_needs": training_request.accessibility_needs,
        "notes": training_request.notes,
    }
    values.update(overrides)
    slots = (
        parse_slots(rows, now)
        if rows is not None
        else [(s.starts_at, s.ends_at) for s in training_request.slots]
    )
    topic = values.pop("topic", training_request.topic)
    return services.update_request(
        training_request, topic, slots, Particulars(**values), by=by, now=now
    )


def test_an_edit_records_what_changed(submit, make_user, group):
    training_request = submit([(JUNE, time(10), time(12)), (JUNE, time(18), time(20))])
    kept_slot_id = training_request.slots[0].id
    office = make_user("office@example.org", office=True)
    later = NOW + timedelta(hours=1)

    changes = edit(
        training_request,
        office,
        rows=[(JUNE, time(10), time(12)), (JUNE, time(19), time(21))],
        now=later,
        expected_attendance=20,
        venue_postcode="TN35 5AA",
    )
    db.session.commit()
    db.session.expire_all()

    assert changes == [
        "slots changed",
        "venue from TN34 1AA to TN35 5AA",
        "expected attendance from 12 to 20",
    ]
    stored = db.session.get(TrainingRequest, training_request.id)
    assert stored.expected_attendance == 20
    assert stored.venue_district == "TN35"
    assert [(s.starts_at, s.ends_at) for s in stored.slots] == [
        (utc(2027, 6, 15, 9), utc(2027, 6, 15, 11)),
        (utc(2027, 6, 15, 18), utc(2027, 6, 15, 20)),
    ]
    assert stored.slots[0].id == kept_slot_id
    assert count(RequestSlot) == 2
    assert [(e.action, e.actor_id, e.at, e.detail) for e in stored.events][-1] == (
        "edited",
        office.id,
        later,
        "slots changed; venue from TN34 1AA to TN35 5AA; expected attendance from 12 "
        "to 20",
    )


def test_an_edit_to_online_names_the_venue_change(submit, online_topic, organiser):
    training_request = submit(topic=online_topic)
    changes = edit(training_request, organiser, is_online=True, notes="Bring a laptop")
    assert changes == ["venue from TN34 1AA to online", "notes changed"]
    assert training_request.venue_postcode is None


def test_an_edit_that_changes_nothing_records_nothing(submit, organiser):
    training_request = submit()
    assert edit(training_request, organiser) == []
    assert count(RequestEvent) == 1


def test_a_bad_edit_changes_nothing(submit, organiser):
    training_request = submit()
    with pytest.raises(DomainError):
        edit(training_request, organiser, expected_attendance=12, is_online=True)
    db.session.expire_all()
    assert training_request.venue_postcode == "TN34 1AA"
    assert count(RequestEvent) == 1


@pytest.mark.parametrize("status", ["booked", "delivered", "cancelled"])
def test_a_request_that_is_no_longer_open_cannot_be_edited(submit, organiser, status):
    training_request = submit()
    training_request.status = status
    with pytest.raises(
        DomainError, match=f"is {status}, so it can no longer be changed"
    ):
        edit(training_request, organiser, expected_attendance=30)
    assert training_request.expected_attendance == 12
    assert count(RequestEvent) == 1


# Cancelling


def test_cancelling_sets_status_reason_and_history(submit, organiser):
    training_request = submit()
    later = NOW + timedelta(days=1)
    services.cancel_request(training_request, "  Venue flooded ", organiser, later)
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(TrainingRequest, training_request.id)
    assert stored.status == "cancelled"
    assert stored.cancel_reason == "Venue flooded"
    assert stored.status_changed_at == later
    assert (stored.events[-1].action, stored.events[-1].detail) == (
        "cancelled",
        "Venue flooded",
    )


def test_cancelling_without_a_reason_is_refused(submit, organiser):
    training_request = submit()
    with pytest.raises(DomainError, match="Say why") as caught:
        services.cancel_request(training_request, " \n ", organiser, NOW)
    assert caught.value.field == "reason"
    assert training_request.status == "submitted"
    assert count(RequestEvent) == 1


def test_cancelling_twice_is_refused(submit, organiser):
    training_request = submit()
    services.cancel_request(training_request, "Venue closed", organiser, NOW)
    with pytest.raises(DomainError, match="already cancelled"):
        services.cancel_request(training_request, "Again", organiser, NOW)
    assert training_request.cancel_reason == "Venue closed"
    assert count(RequestEvent) == 2


def test_a_delivered_request_cannot_be_cancelled(submit, organiser):
    training_request = submit()
    training_request.status = "delivered"
    with pytest.raises(DomainError, match="can no longer be cancelled"):
        services.cancel_request(training_request, "Too late", organiser, NOW)
    assert training_request.status == "delivered"


def test_cancelling_a_booked_request_cancels_its_session_and_pending_offers(
    submit, organiser, make_trainer, group, topic
):
    training_request = submit()
    trainer = make_trainer()
    other = make_trainer("other@example.org")
    slot = training_request.slots[0]
    training_request.status = "booked"
    db.session.add_all(
        [
            TrainingSession(
                training_request=training_request,
                trainer=trainer,
                group=group,
                topic=topic,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                ical_uid="session-1@trainers.test",
            ),
            Offer(
                training_request=training_request,
                slot=slot,
                trainer=trainer,
                status="accepted",
            ),
            Offer(training_request=training_request, slot=slot, trainer=other),
        ]
    )
    db.session.flush()

    lifecycle.cancel_training_request(
        training_request, "Group disbanded", organiser, NOW
    )
    db.session.commit()
    db.session.expire_all()

    training_session = db.session.scalar(select(TrainingSession))
    assert training_session.status == "cancelled"
    assert training_session.cancelled_at == NOW
    assert training_session.cancel_reason == "Group disbanded"
    assert sorted(db.session.scalars(select(Offer.status))) == ["accepted", "withdrawn"]


# Who sees what


def test_organisers_see_their_groups_requests_and_the_office_sees_all(
    submit, make_group, make_user, organiser
):
    other_group = make_group("Rye Rising", "TN31")
    ours = submit()
    theirs = submit(group=other_group)
    office = make_user("office@example.org", office=True)

    def ids(user, **filters):
        return list(db.session.scalars(visible_requests(user, **filters)))

    assert ids(organiser) == [ours]
    assert ids(office) == [theirs, ours]  # same created_at: newest id first
    assert ids(office, group_id=other_group.id) == [theirs]
    assert ids(organiser, group_id=other_group.id) == []
    services.cancel_request(ours, "Venue closed", organiser, NOW)
    assert ids(office, status="cancelled") == [ours]
    assert ids(office, status="submitted") == [theirs]
    assert get_request_for(office, theirs.id) is theirs
    with pytest.raises(NotFound):
        get_request_for(organiser, theirs.id)


def test_the_list_page_reads_what_each_person_may_see_as_rows(
    submit, make_group, make_user, organiser
):
    other_group = make_group("Rye Rising", "TN31")
    ours = submit([(date(2027, 1, 20), time(18), time(20)), (JUNE, time(10), time(12))])
    theirs = submit(group=other_group)
    office = make_user("office@example.org", office=True)

    def listed(user, page=1, per_page=50, **filters):
        return list_page(
            user, RequestFilters(**filters), page=page, per_page=per_page, now=NOW
        )

    page = listed(organiser)
    assert [row.id for row in page.items] == [ours.id] and page.total == 1
    (row,) = page.items
    assert (row.topic_name, row.group_name) == (ours.topic.name, "Hastings Action")
    assert row.starts_at == utc(2027, 1, 20, 18)
    assert row.is_short_notice and not row.is_urgent
    assert listed(organiser, group_id=other_group.id).items == []
    assert [row.id for row in listed(office).items] == [theirs.id, ours.id]
    assert [row.id for row in listed(office, group_id=other_group.id).items] == [
        theirs.id
    ]
    services.cancel_request(ours, "Venue closed", organiser, NOW)
    assert [row.id for row in listed(office, status="cancelled").items] == [ours.id]
    assert not listed(office, status="cancelled").items[0].is_short_notice


def test_the_list_page_counts_every_request_whatever_the_page(submit, make_user):
    for _ in range(5):
        submit()
    office = make_user("office@example.org", office=True)

    def page(number: int) -> RequestListPage:
        return list_page(office, RequestFilters(), page=number, per_page=2, now=NOW)

    assert [(len(page(n).items), page(n).total) for n in (1, 2, 3, 4)] == [
        (2, 5),
        (2, 5),
        (1, 5),
        (0, 5),
    ]
    first = page(0)
    assert (first.page, first.pages, first.has_prev, first.has_next) == (
        1,
        3,
        False,
        True,
    )
    assert page(3).has_prev and not page(3).has_next


def test_the_list_page_searches_groups_and_filters_by_topic_and_region(
    submit, make_group, make_topic, make_user, organiser
):
    rye = make_group("Rye_Rising 100%", "TN31")
    leeds = make_group("Leeds Tenants", "LS6")
    first_aid = make_topic("First aid")
    ours = submit()
    at_rye = submit(group=rye)
    at_leeds = submit(group=leeds, topic=first_aid)
    office = make_user("office@example.org", office=True)

    def ids(user, **filters) -> list[int]:
        page = list_page(user, RequestFilters(**filters), page=1, per_page=50, now=NOW)
        return [row.id for row in page.items]

    assert ids(office, group_name="  RISING ") == [at_rye.id]
    assert ids(office, group_name="s") == [at_leeds.id, at_rye.id, ours.id]
    # What was typed is taken literally, wildcards and all.
    assert ids(office, group_name="_") == [at_rye.id]
    assert ids(office, group_name="100%") == [at_rye.id]
    assert ids(office, group_name="%") == [at_rye.id]
    assert ids(office, group_name="nowhere") == []
    assert ids(office, topic_id=first_aid.id) == [at_leeds.id]
    assert ids(office, region="Yorkshire and The Humber") == [at_leeds.id]
    assert ids(office, region="South East", group_name="hastings") == [ours.id]
    assert ids(office, region="South East", topic_id=first_aid.id) == []
    # The scope still holds whatever the filters say.
    assert ids(organiser, group_name="s") == [ours.id]
    assert ids(organiser, region="Yorkshire and The Humber") == []


def test_a_request_is_shown_with_its_slots_and_history(
    submit, make_group, make_user, organiser
):
    shown_request = submit(
        [(JUNE, time(10), time(12)), (date(2027, 1, 15), time(18), time(20))]
    )
    services.cancel_request(shown_request, "Venue closed", organiser, NOW)
    shown_request.events.append(
        RequestEvent(at=NOW + timedelta(hours=1), action="noted", detail="By itself")
    )
    theirs = submit(group=make_group("Rye Rising", "TN31"))
    office = make_user("office@example.org", office=True)

    shown = request_as_shown(organiser, shown_request.id, NOW)

    assert shown.request.id == shown_request.id
    assert shown.request.group_name == "Hastings Action"
    assert shown.request.created_by_name == organiser.name
    assert shown.request.venue_address == "Hastings Library\n13 Brassey Road"
    assert shown.slots == [
        (utc(2027, 1, 15, 18), utc(2027, 1, 15, 20), False),
        (utc(2027, 6, 15, 9), utc(2027, 6, 15, 11), False),
    ]
    assert [(e.action, e.actor_name) for e in shown.events] == [
        ("submitted", organiser.name),
        ("cancelled", organiser.name),
        ("noted", None),
    ]
    assert not (shown.is_open or shown.can_cancel or shown.is_short_notice)
    assert request_as_shown(office, theirs.id, NOW).is_open
    with pytest.raises(NotFound):
        request_as_shown(organiser, theirs.id, NOW)


def test_a_request_is_shown_with_the_session_that_took_it(
    submit, make_trainer, organiser, topic
):
    training_request = submit()
    shown = request_as_shown(organiser, training_request.id, NOW)
    assert shown.booked is None and shown.delivered is None
    trainer = make_trainer(topics=[topic])
    (slot,) = training_request.slots
    cancelled = book_session(
        training_request, trainer.id, slot.starts_at, slot.ends_at, NOW
    )
    cancelled.status = SessionStatus.CANCELLED
    taken = book_session(
        training_request, trainer.id, slot.starts_at, slot.ends_at, NOW
    )
    db.session.flush()

    shown = request_as_shown(organiser, training_request.id, NOW)
    assert shown.booked == (
        taken.id,
        SessionStatus.BOOKED,
        slot.starts_at,
        slot.ends_at,
        trainer.name,
    )
    assert shown.delivered is None
    assert len(shown.slots) == 1  # one row a slot still, the session beside it

    taken.status = SessionStatus.DELIVERED
    db.session.flush()
    shown = request_as_shown(organiser, training_request.id, NOW)
    assert shown.booked is None
    assert shown.delivered.id == taken.id


def test_an_open_request_close_to_its_first_slot_is_shown_urgent(submit, organiser):
    soon = submit([(date(2027, 1, 15), time(18), time(20))])
    shown = request_as_shown(organiser, soon.id, NOW)
    assert shown.is_open and shown.can_cancel
    assert shown.is_short_notice and shown.is_urgent


def test_an_organiser_may_ask_only_for_their_own_active_groups(
    make_group, make_user, organiser, group
):
    other_group = make_group("Rye Rising", "TN31")
    office = make_user("office@example.org", office=True)
    assert group_for(organiser, group.id) is group
    assert group_for(office, other_group.id) is other_group
    with pytest.raises(NotFound):
        group_for(organiser, other_group.id)
    group.is_active = False
    with pytest.raises(NotFound):
        group_for(organiser, group.id)
    db.session.flush()
    assert groups_for(office) == [(other_group.id, "Rye Rising")]
    assert groups_for(organiser, active_only=False) == [(group.id, group.name)]
    assert groups_for(organiser) == []
