"""The open board lists the open requests a trainer could take, as matching
judges them and with its reasons, and shows nothing private before booking;
taking a time books it through the path accepting an offer takes."""

from datetime import date, time

import pytest
from sqlalchemy import select

from tests.board.conftest import FIRST, NOW, PRIVATE, SECOND, TWO_HOURS
from trainers.board.services import ONLINE, open_requests
from trainers.extensions import db
from trainers.matching.models import Offer
from trainers.matching.offers import WITHDRAWN_BY_OFFICE
from trainers.outbox.models import OutboxMessage
from trainers.profiles.models import DayOff, TrainerTopic
from trainers.sessions.models import TrainingSession
from trainers.sessions.services import book_session


def ids(board) -> list[int]:
    return [line.request_id for line in board]


def test_an_open_request_shows_its_free_times_and_the_matchers_reasons(world):
    training_request = world.ask()

    (line,) = open_requests(world.priya, NOW)

    assert line.request_id == training_request.id
    assert [t.starts_at for t in line.times] == [FIRST, SECOND]
    assert (line.district, line.region, line.expected_attendance) == (
        "TN34",
        "South East",
        24,
    )
    assert line.km == pytest.approx(0, abs=1)
    assert "0 km away" in line.reasons
    assert "has never trained this group" in line.reasons
    assert "0 sessions in the last 90 days" in line.reasons


def test_the_reasons_count_the_trainers_sessions_with_the_group(world):
    earlier = world.ask(NOW + TWO_HOURS)
    earlier.status = "booked"
    slot = earlier.slots[0]
    book_session(earlier, world.priya.id, slot.starts_at, slot.ends_at, NOW)
    db.session.commit()
    world.ask()

    (line,) = open_requests(world.priya, NOW + TWO_HOURS * 2)

    assert "has trained this group once" in line.reasons
    assert "1 session in the last 90 days" in line.reasons


def test_an_online_request_reaches_a_trainer_beyond_any_radius(world):
    online = world.ask(online=True)
    world.ask()

    assert ids(open_requests(world.kim, NOW)) == [online.id]


def qualified_only_to_shadow(world):
    db.session.execute(
        TrainerTopic.__table__.update()
        .where(TrainerTopic.trainer_id == world.priya.id)
        .values(level="shadowing")
    )


def beyond_reach(world):
    world.priya.trainer_profile.travel_radius_km = 10
    home, far = world.priya.trainer_profile, world.kim.trainer_profile
    home.latitude, home.longitude = far.latitude, far.longitude


def outside_the_window(world):
    window = world.priya.trainer_profile.availability[0]
    window.start_time, window.end_time = time(9), time(17)


def on_days_off(world):
    world.priya.trainer_profile.days_off.append(
        DayOff(first_on=date(2027, 6, 1), last_on=date(2027, 6, 30))
    )


def busy_nearby(world):
    # Her own sessions end 20 minutes before each time starts: no room to travel.
    for start in (FIRST, SECOND):
        other = world.ask(start - TWO_HOURS - TWO_HOURS / 6)
        other.status = "booked"
        slot = other.slots[0]
        book_session(other, world.priya.id, slot.starts_at, slot.ends_at, NOW)


def at_the_cap(world):
    world.priya.trainer_profile.monthly_cap = 0


@pytest.mark.parametrize(
    "breaks",
    [
        qualified_only_to_shadow,
        beyond_reach,
        outside_the_window,
        on_days_off,
        busy_nearby,
        at_the_cap,
    ],
)
def test_each_hard_rule_keeps_a_request_off_the_board(world, breaks):
    training_request = world.ask()
    assert ids(open_requests(world.priya, NOW)) == [training_request.id]

    breaks(world)
    db.session.commit()

    assert training_request.id not in ids(open_requests(world.priya, NOW))


def test_only_the_times_the_trainer_is_free_for_are_offered(world):
    world.priya.trainer_profile.days_off.append(
        DayOff(first_on=date(2027, 6, 15), last_on=date(2027, 6, 15))
    )
    db.session.commit()
    world.ask()

    (line,) = open_requests(world.priya, NOW)

    assert [t.starts_at for t in line.times] == [SECOND]


def test_booked_and_past_requests_are_not_on_the_board(world):
    booked = world.ask()
    booked.status = "booked"
    world.ask(NOW - TWO_HOURS)
    db.session.commit()

    assert open_requests(world.priya, NOW) == []


def offer(world, training_request, status, note=None, trainer=None):
    db.session.add(
        Offer(
            request_id=training_request.id,
            slot_id=training_request.slots[0].id,
            trainer_id=(trainer or world.priya).id,
            status=status,
            response_note=note,
            created_at=NOW,
        )
    )
    db.session.commit()


def test_declined_and_withdrawn_by_the_office_stay_off_lapsed_and_waiting_show(world):
    declined, withdrawn, lapsed, waiting = (world.ask() for _ in range(4))
    offer(world, declined, "declined")
    offer(world, withdrawn, "withdrawn", WITHDRAWN_BY_OFFICE)
    offer(world, lapsed, "expired")
    offer(world, waiting, "pending")

    board = {line.request_id: line for line in open_requests(world.priya, NOW)}

    assert set(board) == {lapsed.id, waiting.id}
    assert board[lapsed.id].offer_status == "expired"
    assert board[waiting.id].offer_status == "pending"


def test_filters_by_topic_and_distance(world, make_group):
    near = world.ask()
    online = world.ask(online=True)
    far_group = make_group("Eastbourne", "BN21")
    far = world.ask()
    far.group, far.venue_district = far_group, "BN21"
    far.venue_latitude, far.venue_longitude = far_group.latitude, far_group.longitude
    db.session.commit()

    def board(**filters):
        return ids(open_requests(world.priya, NOW, **filters))

    assert set(board()) == {near.id, online.id, far.id}
    assert set(board(topic_id=world.topic.id)) == {near.id, far.id}
    assert board(within="5") == [near.id]
    assert set(board(within="50")) == {near.id, far.id}
    assert board(within=ONLINE) == [online.id]


def test_the_page_shows_nothing_private_and_filters_from_the_address(world, client_for):
    world.ask()
    world.ask(online=True)
    browser = client_for(world.priya)

    page = browser.get("/board").get_data(as_text=True)

    assert page.count("I can do this") == 4
    assert "Near TN34, South East" in page
    for secret in (*PRIVATE, "Hastings Action", "org@example.org", "TN34 1AA"):
        assert secret not in page
    filtered = browser.get(f"/board?within={ONLINE}").get_data(as_text=True)
    assert filtered.count("I can do this") == 2
    refused = browser.get("/board?within=7&topic=%20").get_data(as_text=True)
    assert "Choose a distance from the list." in refused
    assert "Choose a topic from the list." in refused


def take(browser, training_request, start):
    slot = next(s for s in training_request.slots if s.starts_at == start)
    return browser.post(
        f"/board/requests/{training_request.id}/take", data={"slot_id": slot.id}
    )


def test_taking_a_time_books_it_from_the_board_and_withdraws_others_offers(
    world, client_for, mailbox
):
    training_request = world.ask()
    offer(world, training_request, "pending", trainer=world.sam)

    response = take(client_for(world.priya), training_request, SECOND)

    assert response.status_code == 302
    booked = db.session.scalar(select(TrainingSession))
    assert (booked.trainer_id, booked.starts_at, booked.booked_via) == (
        world.priya.id,
        SECOND,
        "board",
    )
    db.session.refresh(training_request)
    assert training_request.status == "booked"
    statuses = {
        o.trainer_id: o.status
        for o in db.session.scalars(
            select(Offer).where(Offer.request_id == booked.request_id)
        )
    }
    assert statuses == {world.sam.id: "withdrawn", world.priya.id: "accepted"}
    kinds = {(m.to_address, m.kind) for m in db.session.scalars(select(OutboxMessage))}
    assert ("sam@example.org", "offer_withdrawn") in kinds
    assert ("org@example.org", "session_booked") in kinds
    assert "took it from the open board" in training_request.events[-1].detail
    office_page = client_for(world.office).get(f"/sessions/{booked.id}")
    assert "The trainer took it from the open board" in office_page.get_data(
        as_text=True
    )


def test_someone_else_took_it_says_so_and_changes_nothing(world, client_for):
    training_request = world.ask()
    assert take(client_for(world.sam), training_request, FIRST).status_code == 302
    before = db.session.scalars(select(OutboxMessage.id)).all()

    response = take(client_for(world.priya), training_request, SECOND)

    assert response.status_code == 409
    assert "Someone else took this one" in response.get_data(as_text=True)
    (booked,) = db.session.scalars(select(TrainingSession)).all()
    assert booked.trainer_id == world.sam.id
    assert db.session.scalars(select(OutboxMessage.id)).all() == before


def test_a_trainer_who_is_not_free_is_told_why_and_nothing_is_booked(world, client_for):
    training_request = world.ask()
    world.priya.trainer_profile.availability[0].start_time = time(19)
    db.session.commit()

    browser = client_for(world.priya)
    response = take(browser, training_request, FIRST)

    assert response.headers["Location"] == "/board"
    page = browser.get("/board").get_data(as_text=True)
    assert (
        "You can no longer take this session: outside their weekly availability" in page
    )
    assert db.session.scalar(select(TrainingSession)) is None
    # Not a time of this request: refused in words too.
    other = world.ask()
    response = browser.post(
        f"/board/requests/{training_request.id}/take",
        data={"slot_id": other.slots[0].id},
    )
    assert response.headers["Location"] == "/board"
    assert db.session.scalar(select(TrainingSession)) is None


def test_a_request_kept_off_the_board_cannot_be_taken(world, client_for):
    training_request = world.ask()
    offer(world, training_request, "declined")

    response = take(client_for(world.priya), training_request, FIRST)

    assert response.status_code == 404
    assert db.session.scalar(select(TrainingSession)) is None


def test_taking_a_waiting_offer_from_the_board_accepts_it(world, client_for):
    training_request = world.ask()
    offer(world, training_request, "pending")

    assert take(client_for(world.priya), training_request, SECOND).status_code == 302

    (own,) = db.session.scalars(select(Offer)).all()
    assert (own.status, own.slot.starts_at) == ("accepted", SECOND)
