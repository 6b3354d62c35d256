"""Request pages: the form, the list, a request's page, edit and cancel, and who may
open each. The app's clock stands at NOW, so the slots in 2027 lie ahead of it
whatever today's date."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from tests.statements import statements_to_show
from trainers.extensions import db
from trainers.requests import services
from trainers.requests.details import Particulars
from trainers.requests.models import RequestEvent, RequestSlot, TrainingRequest
from trainers.requests.slots import parse_slots
from trainers.timeutil import LONDON, utcnow

# More than SHORT_NOTICE_DAYS before the earliest slot here (28 March 2027).
NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def stopped_clock(clock) -> None:
    """Every test here runs with the app's clock at NOW."""
    clock.set(NOW)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def form(**overrides: str) -> dict[str, str]:
    """A complete request form: one slot on 15 June 2027 at a Hastings venue."""
    data = {
        f"slot_{n}_{part}": "" for n in range(1, 6) for part in ("date", "start", "end")
    }
    data.update(
        {
            "slot_1_date": "2027-06-15",
            "slot_1_start": "10:00",
            "slot_1_end": "12:00",
            "is_online": "venue",
            "venue_postcode": "TN34 1AA",
            "venue_address": "Hastings Library\n13 Brassey Road",
            "expected_attendance": "12",
            "accessibility_needs": "",
            "notes": "",
        }
    )
    data.update(overrides)
    return data


@pytest.fixture
def other_group(make_group):
    return make_group("Rye Rising", "TN31")


@pytest.fixture
def as_organiser(client_for, organiser):
    return client_for(organiser)


@pytest.fixture
def make_request(topic, organiser):
    """A committed request for `group`, made through the services."""

    def make(group, day: date = date(2027, 6, 15), **overrides) -> TrainingRequest:
        values = {
            "is_online": False,
            "venue_postcode": "TN34 1AA",
            "venue_address": "Hastings Library",
            "expected_attendance": 12,
            "accessibility_needs": "",
            "notes": "",
        }
        values.update(overrides)
        slots = parse_slots([(day, time(10), time(12))], utcnow())
        training_request = services.create_request(
            group, topic, slots, Particulars(**values), by=organiser, now=utcnow()
        )
        db.session.commit()
        return training_request

    return make


def page_text(response) -> str:
    return response.get_data(as_text=True)


# Making a request


def test_an_organiser_makes_a_request_and_sees_it_in_uk_time(
    as_organiser, group, topic, organiser
):
    response = as_organiser.post(
        f"/requests/new?group_id={group.id}",
        data=form(
            topic_id=str(topic.id),
            slot_1_date="2027-03-28",
            slot_2_date="2027-10-31",
            slot_2_start="10:00",
            slot_2_end="12:00",
            notes="Bring leaflets",
        ),
        follow_redirects=True,
    )

    assert response.status_code == 200
    text = page_text(response)
    assert "Your request has been sent." in text
    assert "short notice" not in text
    training_request = db.session.scalar(select(TrainingRequest))
    assert response.request.path == f"/requests/{training_request.id}"
    assert (training_request.group_id, training_request.topic_id) == (
        group.id,
        topic.id,
    )
    assert training_request.created_by_id == organiser.id
    assert training_request.notes == "Bring leaflets"
    assert [(s.starts_at, s.ends_at) for s in training_request.slots] == [
        (datetime(2027, 3, 28, 9, tzinfo=UTC), datetime(2027, 3, 28, 11, tzinfo=UTC)),
        (
            datetime(2027, 10, 31, 10, tzinfo=UTC),
            datetime(2027, 10, 31, 12, tzinfo=UTC),
        ),
    ]
    assert "Sun 28 Mar 2027" in text and "Sun 31 Oct 2027" in text
    assert text.count("10:00–12:00") == 2
    assert "Hastings Library<br>13 Brassey Road" in text
    assert [e.action for e in training_request.events] == ["submitted", "unfilled"]
    assert "Organiser" in text and "2 slots proposed" in text


def test_a_short_notice_request_is_warned_about_and_badged(as_organiser, group, topic):
    soon = utcnow().astimezone(LONDON).date() + timedelta(days=3)
    response = as_organiser.post(
        f"/requests/new?group_id={group.id}",
        data=form(topic_id=str(topic.id), slot_1_date=soon.isoformat()),
        follow_redirects=True,
    )
    text = page_text(response)
    assert 'class="flash flash-warning"' in text
    assert "at short notice" in text
    assert '<span class="badge badge-short-notice">short notice</span>' in text
    assert count(TrainingRequest) == 1


def test_the_form_offers_five_slot_rows_and_active_topics_only(
    as_organiser, group, topic, make_topic
):
    retired = make_topic("Leafleting")
    retired.is_active = False
    db.session.commit()
    text = page_text(as_organiser.get(f"/requests/new?group_id={group.id}"))
    for n in range(1, 6):
        assert f'name="slot_{n}_date" type="date"' in text
        assert f'name="slot_{n}_start" type="time"' in text
    assert 'name="slot_6_date"' not in text
    assert topic.name in text and "Leafleting" not in text
    assert "Hastings Action" in text and 'name="group_id"' not in text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"slot_1_start": ""}, "slot_1_start", "This slot needs a start time too"),
        ({"slot_1_end": "09:00"}, "slot_1_end", "ends at or before its start"),
        ({"slot_1_date": "2025-06-15"}, "slot_1_date", "This slot is in the past"),
        (
            {"slot_1_start": "07:00", "slot_1_end": "19:30"},
            "slot_1_end",
            "longer than 12 hours",
        ),
        (
            {
                "slot_1_date": "2027-03-28",
                "slot_1_start": "01:30",
                "slot_1_end": "03:00",
            },
            "slot_1_start",
            "01:30 does not exist on 28 March 2027 in the UK",
        ),
        (
            {
                "slot_3_date": "2027-06-15",
                "slot_3_start": "10:00",
                "slot_3_end": "12:00",
            },
            "slot_3_date",
            "This slot is the same as slot 1.",
        ),
        (
            {"slot_1_date": "", "slot_1_start": "", "slot_1_end": ""},
            "slot_1_date",
            "Propose at least one time slot",
        ),
        ({"slot_2_date": "31/02/2027"}, "slot_2_date", "Enter a real date"),
        (
            {"slot_1_start": "25:00"},
            "slot_1_start",
            "Enter a time on the 24-hour clock",
        ),
        ({"is_online": "online"}, "is_online", "cannot be run online"),
        (
            {"venue_postcode": "ZZ99 9ZZ"},
            "venue_postcode",
            "the postcode district ZZ99",
        ),
        ({"venue_postcode": ""}, "venue_postcode", "Enter the venue&#39;s postcode"),
        ({"venue_address": ""}, "venue_address", "Enter the venue&#39;s address"),
        ({"venue_address": "x" * 501}, "venue_address", "under 500 characters"),
        ({"expected_attendance": "0"}, "expected_attendance", "between 1 and 500"),
        ({"expected_attendance": "501"}, "expected_attendance", "between 1 and 500"),
        ({"expected_attendance": "a dozen"}, "expected_attendance", "whole number"),
        ({"accessibility_needs": "x" * 1001}, "accessibility_needs", "under 1000"),
        ({"notes": "x" * 2001}, "notes", "under 2000 characters"),
        ({"topic_id": ""}, "topic_id", "Choose a topic."),
        ({"topic_id": "999"}, "topic_id", "Choose a topic from the list."),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(
    as_organiser, group, topic, overrides, field, message
):
    data = form(topic_id=str(topic.id))
    data.update(overrides)
    response = as_organiser.post(f"/requests/new?group_id={group.id}", data=data)

    assert response.status_code == 200
    text = page_text(response)
    assert "Please correct the following" in text
    error = text.split(f'id="{field}-error"', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert count(TrainingRequest) == count(RequestSlot) == count(RequestEvent) == 0


def test_every_error_shows_at_once(as_organiser, group, topic):
    response = as_organiser.post(
        f"/requests/new?group_id={group.id}",
        data=form(
            topic_id=str(topic.id),
            slot_1_end="09:00",
            slot_4_date="2027-06-20",
            expected_attendance="a dozen",
        ),
    )
    text = page_text(response)
    assert 'id="slot_1_end-error"' in text and 'id="slot_4_start-error"' in text
    assert "Slot 4 start time: This slot needs a start time too" in text
    assert "Expected attendance: Enter the number of people" in text
    assert count(TrainingRequest) == 0


def test_a_badly_typed_date_gets_one_message(as_organiser, group, topic):
    response = as_organiser.post(
        f"/requests/new?group_id={group.id}",
        data=form(topic_id=str(topic.id), slot_1_date="next tuesday"),
    )
    text = page_text(response)
    assert "Enter a real date" in text and "needs a date" not in text
    assert count(TrainingRequest) == 0


def test_a_sent_form_keeps_what_was_typed(as_organiser, group, topic):
    response = as_organiser.post(
        f"/requests/new?group_id={group.id}",
        data=form(topic_id=str(topic.id), slot_1_end="09:00", notes="Back room"),
    )
    text = page_text(response)
    assert 'value="2027-06-15"' in text and 'value="09:00"' in text
    assert "Back room" in text


def test_an_online_topic_can_be_asked_for_online(as_organiser, group, make_topic):
    online = make_topic("Writing a press release", online=True)
    response = as_organiser.post(
        f"/requests/new?group_id={group.id}",
        data=form(topic_id=str(online.id), is_online="online", venue_postcode=""),
        follow_redirects=True,
    )
    assert "Your request has been sent." in page_text(response)
    training_request = db.session.scalar(select(TrainingRequest))
    assert training_request.is_online and training_request.venue_postcode is None


def test_an_organiser_of_one_group_goes_straight_to_its_form(as_organiser, group):
    response = as_organiser.get("/requests/new")
    assert response.status_code == 302
    assert response.location == f"/requests/new?group_id={group.id}"


def test_an_organiser_of_several_groups_chooses_one(
    client_for, make_user, group, other_group, make_group, topic
):
    closed = make_group("Closed Group", "TN33")
    closed.is_active = False
    db.session.commit()
    organiser = make_user("busy@example.org", groups=[group, other_group, closed])
    browser = client_for(organiser)

    text = page_text(browser.get("/requests/new"))
    assert 'name="group_id"' in text
    assert "Hastings Action" in text and "Rye Rising" in text
    assert "Closed Group" not in text

    response = browser.post(
        "/requests/new", data=form(topic_id=str(topic.id), group_id=str(closed.id))
    )
    assert "Choose a group from the list." in page_text(response)
    browser.post(
        "/requests/new", data=form(topic_id=str(topic.id), group_id=str(other_group.id))
    )
    assert db.session.scalar(select(TrainingRequest.group_id)) == other_group.id


def test_the_office_asks_for_any_active_group(client_for, office, other_group, topic):
    browser = client_for(office)
    assert "Rye Rising" in page_text(browser.get("/requests/new"))
    response = browser.post(
        "/requests/new",
        data=form(topic_id=str(topic.id), group_id=str(other_group.id)),
        follow_redirects=True,
    )
    assert "Your request has been sent." in page_text(response)
    training_request = db.session.scalar(select(TrainingRequest))
    assert training_request.group_id == other_group.id
    assert training_request.created_by_id == office.id


def test_an_inactive_or_unknown_group_is_not_found(
    as_organiser, client_for, office, group
):
    group.is_active = False
    db.session.commit()
    assert as_organiser.get(f"/requests/new?group_id={group.id}").status_code == 404
    assert (
        client_for(office).get(f"/requests/new?group_id={group.id}").status_code == 404
    )
    assert client_for(office).get("/requests/new?group_id=999").status_code == 404


# Editing


def test_the_edit_form_is_prefilled_in_uk_time(as_organiser, group, make_request):
    training_request = make_request(group, day=date(2027, 3, 28))
    text = page_text(as_organiser.get(f"/requests/{training_request.id}/edit"))
    assert 'name="slot_1_date" type="date" value="2027-03-28"' in text
    assert 'name="slot_1_start" type="time" value="10:00"' in text
    assert 'name="slot_1_end" type="time" value="12:00"' in text
    assert 'name="slot_2_date" type="date" value=""' in text
    assert 'value="12"' in text


def test_an_edit_is_saved_and_recorded(as_organiser, group, topic, make_request):
    training_request = make_request(group)
    response = as_organiser.post(
        f"/requests/{training_request.id}/edit",
        data=form(
            topic_id=str(topic.id),
            venue_address="Hastings Library",
            slot_1_start="11:00",
            slot_1_end="13:00",
            expected_attendance="20",
        ),
        follow_redirects=True,
    )
    text = page_text(response)
    assert "Request updated: slots changed; expected attendance from 12 to 20." in text
    db.session.expire_all()
    stored = db.session.get(TrainingRequest, training_request.id)
    assert stored.expected_attendance == 20
    assert stored.slots[0].starts_at == datetime(2027, 6, 15, 10, tzinfo=UTC)
    assert [e.action for e in stored.events][-2:] == ["edited", "unfilled"]
    assert "slots changed; expected attendance from 12 to 20" in text


def test_a_bad_edit_changes_nothing(as_organiser, group, topic, make_request):
    training_request = make_request(group)
    response = as_organiser.post(
        f"/requests/{training_request.id}/edit",
        data=form(topic_id=str(topic.id), expected_attendance="20", slot_1_end="09:00"),
    )
    assert "ends at or before its start" in page_text(response)
    db.session.expire_all()
    assert (
        db.session.get(TrainingRequest, training_request.id).expected_attendance == 12
    )
    assert count(RequestEvent) == 1


def test_a_cancelled_request_cannot_be_edited(
    as_organiser, group, topic, organiser, make_request
):
    training_request = make_request(group)
    services.cancel_request(training_request, "Venue closed", organiser, utcnow())
    db.session.commit()

    page = page_text(as_organiser.get(f"/requests/{training_request.id}"))
    assert "Change this request" not in page and "Cancel this request" not in page
    response = as_organiser.get(
        f"/requests/{training_request.id}/edit", follow_redirects=True
    )
    assert "This request is cancelled, so it can no longer be changed." in page_text(
        response
    )
    response = as_organiser.post(
        f"/requests/{training_request.id}/edit",
        data=form(topic_id=str(topic.id), expected_attendance="20"),
        follow_redirects=True,
    )
    assert "can no longer be changed" in page_text(response)
    db.session.expire_all()
    assert (
        db.session.get(TrainingRequest, training_request.id).expected_attendance == 12
    )
    assert count(RequestEvent) == 2


# Cancelling


def test_cancelling_needs_a_reason(as_organiser, group, make_request):
    training_request = make_request(group)
    response = as_organiser.post(
        f"/requests/{training_request.id}/cancel", data={"reason": "  "}
    )
    assert "Say why the request is being cancelled." in page_text(response)
    db.session.expire_all()
    assert db.session.get(TrainingRequest, training_request.id).status == "submitted"
    assert count(RequestEvent) == 1


def test_a_request_is_cancelled_with_its_reason(as_organiser, group, make_request):
    training_request = make_request(group)
    text = page_text(as_organiser.get(f"/requests/{training_request.id}/cancel"))
    assert 'name="reason"' in text
    response = as_organiser.post(
        f"/requests/{training_request.id}/cancel",
        data={"reason": "The hall is closed for repairs"},
        follow_redirects=True,
    )
    text = page_text(response)
    assert "The request has been cancelled." in text
    assert "The hall is closed for repairs" in text
    db.session.expire_all()
    stored = db.session.get(TrainingRequest, training_request.id)
    assert stored.status == "cancelled"
    assert stored.cancel_reason == "The hall is closed for repairs"


def test_cancelling_twice_is_refused(as_organiser, group, organiser, make_request):
    training_request = make_request(group)
    services.cancel_request(training_request, "First", organiser, utcnow())
    db.session.commit()
    response = as_organiser.post(
        f"/requests/{training_request.id}/cancel",
        data={"reason": "Second"},
        follow_redirects=True,
    )
    assert "This request is already cancelled." in page_text(response)
    db.session.expire_all()
    assert db.session.get(TrainingRequest, training_request.id).cancel_reason == "First"
    assert count(RequestEvent) == 2


# The list


def test_the_list_shows_only_the_organisers_groups(
    as_organiser, client_for, office, group, other_group, make_request
):
    make_request(group, notes="ours")
    make_request(other_group, venue_postcode="TN31")
    text = page_text(as_organiser.get("/requests/"))
    assert "Hastings Action" in text and "Rye Rising" not in text
    assert "1 request." in text
    assert "Tue 15 Jun 2027, 10:00" in text
    office_text = page_text(client_for(office).get("/requests/"))
    assert "Hastings Action" in office_text and "Rye Rising" in office_text


def test_the_list_filters_by_status_and_group(
    client_for, office, organiser, group, other_group, make_request
):
    ours = make_request(group)
    make_request(other_group)
    services.cancel_request(ours, "Venue closed", organiser, utcnow())
    db.session.commit()
    browser = client_for(office)

    text = page_text(browser.get("/requests/?status=cancelled"))
    assert "1 request matching." in text and "Hastings Action</td>" in text
    text = page_text(browser.get(f"/requests/?group_id={other_group.id}"))
    assert "1 request matching." in text and "Rye Rising</td>" in text
    text = page_text(browser.get(f"/requests/?status=submitted&group_id={group.id}"))
    assert "No requests match." in text
    text = page_text(browser.get("/requests/?group=rye"))
    assert "1 request matching." in text and "Rye Rising</td>" in text
    assert 'name="group" type="search" value="rye"' in text
    # A wrong filter is marked and left out; the others still narrow the list.
    text = page_text(browser.get("/requests/?status=lost&group=rye"))
    assert "Choose a status from the list." in text
    assert "1 request matching." in text and "Rye Rising</td>" in text
    text = page_text(browser.get("/requests/?group_id=99999999999999999999"))
    assert "2 requests." in text


def test_the_office_filters_by_topic_and_region_and_pages_keep_the_filters(
    client_for, office, group, other_group, make_group, make_topic, make_request
):
    leeds = make_group("Leeds Tenants", "LS6")
    first_aid = make_topic("First aid")
    for _ in range(51):
        make_request(group)
    make_request(leeds, venue_postcode="LS6 1AA")
    browser = client_for(office)

    text = page_text(browser.get("/requests/?region=Yorkshire+and+The+Humber"))
    assert "1 request matching." in text and "Leeds Tenants</td>" in text
    text = page_text(browser.get(f"/requests/?topic_id={first_aid.id}"))
    assert "No requests match." in text
    text = page_text(browser.get("/requests/?region=South+East&group=hastings"))
    assert "51 requests matching." in text and "Page 1 of 2" in text
    assert (
        'href="/requests/?page=2&amp;group=hastings&amp;region=South+East"' in text
        or 'href="/requests/?page=2&amp;region=South+East&amp;group=hastings"' in text
    )
    text = page_text(browser.get("/requests/?page=2&region=South+East&group=hastings"))
    assert text.count('data-label="Topic"') == 1
    text = page_text(browser.get("/requests/?region=Atlantis"))
    assert "Choose a region from the list." in text and "52 requests." in text


def test_only_an_organiser_of_several_groups_is_offered_the_group_search(
    client_for, make_user, organiser, group, other_group, make_request
):
    make_request(group)
    make_request(other_group)
    text = page_text(client_for(organiser).get("/requests/"))
    assert 'name="group"' not in text and "1 request." in text
    assert 'name="topic_id"' not in text and 'name="region"' not in text
    # Another group's id in the address shows nothing of theirs.
    text = page_text(client_for(organiser).get(f"/requests/?group_id={other_group.id}"))
    assert "No requests match." in text and "Rye Rising" not in text

    both = make_user("both@example.org", groups=[group, other_group])
    browser = client_for(both)
    text = page_text(browser.get("/requests/"))
    assert 'name="group"' in text and "2 requests." in text
    text = page_text(browser.get("/requests/?group=rye"))
    assert "1 request matching." in text and "Rye Rising</td>" in text


def test_the_list_is_paginated_fifty_a_page_newest_first(
    client_for, office, group, make_request
):
    first = make_request(group)
    for _ in range(50):
        make_request(group)
    browser = client_for(office)

    text = page_text(browser.get("/requests/"))
    assert "51 requests." in text and "Page 1 of 2" in text
    assert text.count('data-label="Topic"') == 50
    assert f'href="/requests/{first.id}"' not in text
    text = page_text(browser.get("/requests/?page=2"))
    assert text.count('data-label="Topic"') == 1
    assert f'href="/requests/{first.id}"' in text


def test_a_page_number_past_the_end_shows_an_empty_page(
    client_for, office, group, make_request
):
    make_request(group)
    response = client_for(office).get("/requests/?page=2147483647")
    assert response.status_code == 200
    text = page_text(response)
    assert 'data-label="Topic"' not in text
    assert "1 request." in text


@pytest.mark.parametrize("page", ["99999999999999999999", "9223372036854775807"])
def test_a_page_number_no_column_could_hold_is_no_number_the_first_page(
    client_for, office, group, make_request, page
):
    make_request(group)
    response = client_for(office).get(f"/requests/?page={page}")
    assert response.status_code == 200
    text = page_text(response)
    assert text.count('data-label="Topic"') == 1
    assert "1 request." in text


@pytest.mark.parametrize(
    "filters", ["", "?status=submitted&group=a&region=South+East&topic_id=1"]
)
def test_the_list_loads_in_a_fixed_number_of_queries(
    client_for, office, group, other_group, make_request, filters
):
    browser = client_for(office)
    make_request(group)
    few = statements_to_show(browser, f"/requests/{filters}")
    for target in (group, other_group) * 3:
        make_request(target)
    assert statements_to_show(browser, f"/requests/{filters}") == few


def test_the_filters_keep_what_was_chosen_and_mark_what_was_wrong(
    client_for, office, group, other_group, topic
):
    text = page_text(
        client_for(office).get(f"/requests/?status=lost&group=Rye&topic_id={topic.id}")
    )
    assert '<label for="status">Status</label>' in text
    assert '<select aria-invalid="true" id="status" name="status">' in text
    assert '<option value="">Any status</option><option value="submitted">' in text
    assert '<label for="group">Group name</label>' in text
    assert '<input id="group" name="group" type="search" value="Rye">' in text
    assert f'<option selected value="{topic.id}">{topic.name}</option>' in text


def test_a_request_page_loads_in_a_fixed_number_of_queries(
    as_organiser, organiser, group, make_request
):
    training_request = make_request(group)
    page = f"/requests/{training_request.id}"
    few = statements_to_show(as_organiser, page)
    services.update_request(
        training_request,
        training_request.topic,
        parse_slots(
            [(date(2027, 6, day), time(10), time(12)) for day in (15, 16, 17)],
            utcnow(),
        ),
        Particulars(
            is_online=False,
            venue_postcode="TN34 1AA",
            venue_address="Hastings Library",
            expected_attendance=20,
        ),
        by=organiser,
        now=utcnow(),
    )
    db.session.commit()
    assert statements_to_show(as_organiser, page) == few


# Who may open what


ROUTES = [
    "/requests/",
    "/requests/new?group_id={group}",
    "/requests/{id}",
    "/requests/{id}/edit",
    "/requests/{id}/cancel",
]


@pytest.fixture
def people(make_user, make_trainer, organiser, office, other_group):
    return {
        "organiser": organiser,
        "other organiser": make_user("rye@example.org", groups=[other_group]),
        "trainer": make_trainer(),
        "office": office,
    }


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("organiser", 200),
        ("other organiser", 404),
        ("trainer", 403),
        ("office", 200),
    ],
)
def test_who_may_open_each_page(
    client, client_for, people, group, make_request, route, who, status
):
    training_request = make_request(group)
    browser = client if who == "anonymous" else client_for(people[who])
    url = route.format(group=group.id, id=training_request.id)

    response = browser.get(url)

    if route == "/requests/" and who == "other organiser":
        assert response.status_code == 200
        assert "No requests yet." in page_text(response)
    else:
        assert response.status_code == status
    if who == "anonymous":
        assert response.location.startswith("/login")


@pytest.mark.parametrize(
    "route",
    ["/requests/new?group_id={group}", "/requests/{id}/edit", "/requests/{id}/cancel"],
)
@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("other organiser", 404), ("trainer", 403)],
)
def test_nobody_else_may_change_a_request(
    client, client_for, people, group, topic, make_request, route, who, status
):
    training_request = make_request(group)
    browser = client if who == "anonymous" else client_for(people[who])
    url = route.format(group=group.id, id=training_request.id)

    data = form(topic_id=str(topic.id), expected_attendance="40", reason="Because")
    response = browser.post(url, data=data)

    assert response.status_code == status
    db.session.expire_all()
    stored = db.session.get(TrainingRequest, training_request.id)
    assert (stored.status, stored.expected_attendance) == ("submitted", 12)
    assert count(TrainingRequest) == 1 and count(RequestEvent) == 1
