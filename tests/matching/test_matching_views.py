"""Offers, the office's matching page, session pages, reschedule and hand-back, through
the web as each person uses them."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from trainers.extensions import db
from trainers.matching.models import Offer
from trainers.profiles.models import AvailabilityWindow, TrainerTopic
from trainers.requests.models import RequestSlot, TrainingRequest
from trainers.sessions.models import SessionPlace, TrainingSession
from trainers.timeutil import utcnow

TUESDAY = 1
# Tuesdays in June 2027, 18:30-20:30 UK time (BST): 17:30-19:30 UTC.
FIRST = datetime(2027, 6, 15, 17, 30, tzinfo=UTC)
SECOND = datetime(2027, 6, 22, 17, 30, tzinfo=UTC)
# The app's clock in every test here: six weeks before FIRST, whatever today's date.
NOW = datetime(2027, 5, 3, 9, tzinfo=UTC)


def free_on_tuesday_evenings(trainer):
    trainer.trainer_profile.monthly_cap = 3
    trainer.trainer_profile.availability.append(
        AvailabilityWindow(weekday=TUESDAY, start_time=time(18), end_time=time(21))
    )
    db.session.commit()
    return trainer


@pytest.fixture
def world(clock, make_group, make_topic, make_user, make_trainer):
    clock.set(NOW)
    group = make_group("Hastings Action", "TN34")
    other_group = make_group("Stockport Stands", "SK1")
    topic = make_topic("Door-knocking and canvassing")
    trainers = [
        free_on_tuesday_evenings(
            make_trainer(f"t{n}@example.org", district="TN34", topics=[topic])
        )
        for n in range(2)
    ]
    return {
        "group": group,
        "topic": topic,
        "organiser": make_user("org@example.org", groups=[group]),
        "other_organiser": make_user("other@example.org", groups=[other_group]),
        "office": make_user("office@example.org", office=True),
        "trainers": trainers,
        "outsider": make_trainer("far@example.org", district="SK1", topics=[topic]),
    }


def request_form(world, **overrides):
    data = {
        "topic_id": str(world["topic"].id),
        "slot_1_date": "2027-06-15",
        "slot_1_start": "18:30",
        "slot_1_end": "20:30",
        "slot_2_date": "2027-06-22",
        "slot_2_start": "18:30",
        "slot_2_end": "20:30",
        "is_online": "venue",
        "venue_postcode": "TN34 1AA",
        "venue_address": "Hastings Library",
        "expected_attendance": "12",
    }
    data.update(overrides)
    return data


def submit(world, client_for):
    response = client_for(world["organiser"]).post(
        f"/requests/new?group_id={world['group'].id}", data=request_form(world)
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(select(TrainingRequest))


def test_a_submitted_request_is_offered_and_the_trainers_emailed(
    world, client_for, mailbox
):
    training_request = submit(world, client_for)
    assert training_request.status == "offered"
    offers = db.session.scalars(select(Offer)).all()
    assert {o.trainer_id for o in offers} == {t.id for t in world["trainers"]}
    assert {o.slot.starts_at for o in offers} == {FIRST}
    for trainer in world["trainers"]:
        (message,) = mailbox.to(trainer.email)
        assert (
            "Can you run Door-knocking and canvassing for Hastings Action?"
            in message["Subject"]
        )
        assert (
            "Tue 15 Jun 2027, 18:30 to 20:30"
            in message.get_body(("plain",)).get_content()
        )
        assert mailbox.last_link(trainer.email).startswith("/offers/")
    home = client_for(world["trainers"][0]).get("/").get_data(as_text=True)
    assert "Accept or decline" in home and "km away" in home


def test_the_first_acceptance_books_and_the_second_is_thanked(
    world, client_for, mailbox
):
    submit(world, client_for)
    first, second = world["trainers"]
    offer_of = {o.trainer_id: o.id for o in db.session.scalars(select(Offer))}

    page = client_for(first).get(f"/offers/{offer_of[first.id]}").get_data(as_text=True)
    assert (
        "Accept: I'll run it" in page and "Hastings Library" not in page
    )  # address only once booked
    response = client_for(first).post(f"/offers/{offer_of[first.id]}/accept")
    assert response.status_code == 302 and response.headers["Location"].startswith(
        "/sessions/"
    )
    session_page = (
        client_for(first).get(response.headers["Location"]).get_data(as_text=True)
    )
    assert "Hastings Library" in session_page and "(you)" in session_page

    late = client_for(second).post(f"/offers/{offer_of[second.id]}/accept")
    assert late.status_code == 200
    assert "Already taken: thank you" in late.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TrainingSession)) == 1
    assert "is taken, thank you" in mailbox.to(second.email)[-1]["Subject"]
    booked = [m["Subject"] for m in mailbox.to(world["organiser"].email)]
    assert any(s.startswith("Booked: Door-knocking") for s in booked)


def test_decline_with_a_reason(world, client_for):
    submit(world, client_for)
    trainer = world["trainers"][0]
    offer = db.session.scalar(select(Offer).where(Offer.trainer_id == trainer.id))
    response = client_for(trainer).post(
        f"/offers/{offer.id}/decline", data={"reason": "Away"}
    )
    assert response.status_code == 302
    db.session.refresh(offer)
    assert (offer.status, offer.response_note) == ("declined", "Away")
    again = client_for(trainer).post(
        f"/offers/{offer.id}/accept", follow_redirects=True
    )
    assert "You declined this offer" in again.get_data(as_text=True)


@pytest.mark.parametrize("who", ["organiser", "other_organiser", "outsider", "office"])
def test_only_the_offered_trainer_and_the_office_see_an_offer(world, client_for, who):
    submit(world, client_for)
    offer = db.session.scalar(select(Offer))
    status = client_for(world[who]).get(f"/offers/{offer.id}").status_code
    assert status == (200 if who == "office" else 404)
    assert client_for(world[who]).post(f"/offers/{offer.id}/accept").status_code in (
        404,
        302,
    )
    db.session.refresh(offer)
    assert offer.status == "pending"


def main(page: str) -> str:
    return page.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_offer_page_shows_what_the_trainer_needs_to_answer(world, client_for):
    training_request = submit(world, client_for)
    training_request.accessibility_needs = "Step-free\nHearing loop"
    training_request.notes = "Bring <leaflets> & badges"
    db.session.commit()
    trainer = world["trainers"][0]
    offer = db.session.scalar(select(Offer).where(Offer.trainer_id == trainer.id))
    page = client_for(trainer).get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "<h1>Door-knocking and canvassing for Hastings Action</h1>" in page
    assert "Tue 15 Jun 2027, 18:30–20:30 (UK time)" in page
    assert "<dd>TN34 1AA</dd>" in page and "About 12 people" in page
    assert "; ".join(offer.reasons) in page
    assert "Step-free<br>Hearing loop" in page
    assert "Bring &lt;leaflets&gt; &amp; badges" in page
    assert f'action="/offers/{offer.id}/accept"' in page
    assert f'action="/offers/{offer.id}/decline"' in page

    too_long = client_for(trainer).post(
        f"/offers/{offer.id}/decline", data={"reason": "x" * 501}
    )
    assert too_long.status_code == 200
    shown = too_long.get_data(as_text=True)
    assert "Keep it under 500 characters." in shown and 'aria-invalid="true"' in shown
    db.session.refresh(offer)
    assert offer.status == "pending"
    client_for(trainer).post(f"/offers/{offer.id}/decline", data={"reason": "Away"})
    answered = client_for(trainer).get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "This offer is declined" in answered and "<form" not in main(answered)


def test_the_offer_pages_forms_carry_a_working_token(app, world, client_for):
    submit(world, client_for)
    first, second = world["trainers"]
    offers = {o.trainer_id: o.id for o in db.session.scalars(select(Offer))}
    app.config["WTF_CSRF_ENABLED"] = True
    for trainer, action in ((second, "decline"), (first, "accept")):
        browser = client_for(trainer)
        page = browser.get(f"/offers/{offers[trainer.id]}").get_data(as_text=True)
        form = page.split(f'action="/offers/{offers[trainer.id]}/{action}"', 1)[1]
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        response = browser.post(
            f"/offers/{offers[trainer.id]}/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 302, action
    assert db.session.scalar(select(func.count()).select_from(TrainingSession)) == 1


def test_anonymous_is_sent_to_sign_in_for_offers(world, client_for, client):
    submit(world, client_for)
    offer = db.session.scalar(select(Offer))
    assert client.get(f"/offers/{offer.id}").headers["Location"].startswith("/login")


def test_office_sees_candidates_with_reasons_and_the_rest_with_what_they_break(
    world, client_for, make_trainer
):
    busy = make_trainer("busy@example.org", district="TN34", topics=[world["topic"]])
    training_request = submit(world, client_for)
    page = client_for(world["office"]).get(f"/requests/{training_request.id}/matching")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "has never trained this group" in text and "new trainer" in text
    assert f"{busy.name}: outside their weekly availability" in text
    assert world["outsider"].name not in text  # beyond reach: not listed at all


@pytest.mark.parametrize("who", ["organiser", "other_organiser", "outsider"])
def test_matching_page_is_the_offices_alone(world, client_for, who):
    training_request = submit(world, client_for)
    assert (
        client_for(world[who])
        .get(f"/requests/{training_request.id}/matching")
        .status_code
        == 403
    )


def test_office_assigns_directly_and_needs_a_reason_to_pass_the_cap(world, client_for):
    training_request = submit(world, client_for)
    trainer = world["trainers"][0]
    trainer.trainer_profile.monthly_cap = 0
    db.session.commit()
    office = client_for(world["office"])
    slot = training_request.slots[0]
    refused = office.post(
        f"/requests/{training_request.id}/matching/assign",
        data={"trainer_id": trainer.id, "slot_id": slot.id},
    )
    assert refused.status_code == 400
    assert "give a reason for going over their cap" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TrainingSession)) == 0

    booked = office.post(
        f"/requests/{training_request.id}/matching/assign",
        data={
            "trainer_id": trainer.id,
            "slot_id": slot.id,
            "cap_override_reason": "Only one free",
        },
    )
    assert booked.status_code == 302
    db.session.refresh(training_request)
    assert training_request.status == "booked"
    assert training_request.events[-1].is_flagged
    assert "Only one free" in training_request.events[-1].detail


def test_office_cannot_assign_someone_beyond_reach(world, client_for):
    training_request = submit(world, client_for)
    response = client_for(world["office"]).post(
        f"/requests/{training_request.id}/matching/assign",
        data={
            "trainer_id": world["outsider"].id,
            "slot_id": training_request.slots[0].id,
            "cap_override_reason": "please",
        },
    )
    assert response.status_code == 400
    assert "beyond their 30 km radius" in response.get_data(as_text=True)


def test_office_withdraws_an_offer_and_reopens_matching(
    world, client_for, mailbox, make_trainer
):
    training_request = submit(world, client_for)
    office = client_for(world["office"])
    offers = db.session.scalars(select(Offer).order_by(Offer.id)).all()
    for offer in offers:
        office.post(f"/offers/{offer.id}/withdraw")
    db.session.refresh(training_request)
    assert training_request.status == "submitted"
    assert all(
        "is taken, thank you" in mailbox.to(t.email)[-1]["Subject"]
        for t in world["trainers"]
    )
    # Trainers the office withdrew on purpose are not asked again; a new one is.
    newcomer = free_on_tuesday_evenings(
        make_trainer("new@example.org", district="TN34", topics=[world["topic"]])
    )
    response = office.post(
        f"/requests/{training_request.id}/matching/reopen", follow_redirects=True
    )
    assert "1 new offer" in response.get_data(as_text=True)
    pending = db.session.scalars(select(Offer).where(Offer.status == "pending")).all()
    assert [offer.trainer_id for offer in pending] == [newcomer.id]


def test_office_cannot_assign_a_request_that_is_already_booked(world, client_for):
    training_request, training_session = book(world, client_for)
    response = client_for(world["office"]).post(
        f"/requests/{training_request.id}/matching/assign",
        data={
            "trainer_id": world["trainers"][1].id,
            "slot_id": training_request.slots[0].id,
        },
    )
    assert response.status_code == 400
    assert "This request is already booked" in response.get_data(as_text=True)
    db.session.refresh(training_session)
    assert training_session.trainer_id == world["trainers"][0].id


def book(world, client_for):
    training_request = submit(world, client_for)
    offer = db.session.scalar(
        select(Offer).where(Offer.trainer_id == world["trainers"][0].id)
    )
    client_for(world["trainers"][0]).post(f"/offers/{offer.id}/accept")
    return training_request, db.session.scalar(select(TrainingSession))


@pytest.mark.parametrize(
    ("who", "status"),
    [("organiser", 200), ("other_organiser", 404), ("outsider", 404), ("office", 200)],
)
def test_session_page_is_for_its_people(world, client_for, who, status):
    _, training_session = book(world, client_for)
    assert (
        client_for(world[who]).get(f"/sessions/{training_session.id}").status_code
        == status
    )


def test_session_page_shows_its_people_and_what_each_may_do(world, client_for):
    _, training_session = book(world, client_for)
    world["organiser"].name = "Olive <Organiser>"
    shadow = world["trainers"][1]
    db.session.add(
        SessionPlace(
            session_id=training_session.id,
            place=2,
            trainer=shadow,
            is_shadowing=True,
            is_needed=False,
            filled_at=training_session.created_at,
        )
    )
    db.session.commit()
    path = f"/sessions/{training_session.id}"
    request_link = f'href="/requests/{training_session.request_id}"'
    pages = {
        who: client_for(world[who]).get(path).get_data(as_text=True)
        for who in ("organiser", "office")
    }
    pages["trainer"] = client_for(world["trainers"][0]).get(path).get_data(as_text=True)
    for who, page in pages.items():
        # Everyone on the session page reaches the shadowing trainer too.
        shadowing = f"Place 2: {shadow.name} (shadowing)"
        assert f'{shadowing}: <a href="mailto:{shadow.email}">' in page
        organiser = "Olive &lt;Organiser&gt;"
        if who == "organiser":
            assert f"{organiser} (you)" in page
        else:
            assert f'{organiser}: <a href="mailto:org@example.org">' in page
        assert (" (you)" in page) == (who != "office")
        assert (request_link in page) == (who != "trainer")
        assert ("Hand this session back" in page) == (who == "trainer")
        assert ("Add a shadowing trainer" in page) == (who == "office")
        assert f'href="{path}/calendar.ics"' in page
        # Attendance is recorded once the session has started, not before.
        assert "Record attendance" not in page


def test_reschedule_keeps_a_trainer_who_is_free(world, client_for, mailbox):
    training_request, training_session = book(world, client_for)
    second_slot = next(s for s in training_request.slots if s.starts_at == SECOND)
    response = client_for(world["organiser"]).post(
        f"/requests/{training_request.id}/reschedule",
        data={"slot": str(second_slot.id)},
    )
    assert response.status_code == 302
    db.session.refresh(training_session)
    assert (training_session.starts_at, training_session.ical_sequence) == (SECOND, 1)
    assert training_session.status == "booked"
    assert mailbox.to(world["trainers"][0].email)[-1]["Subject"].startswith("Moved:")


def test_reschedule_to_a_time_the_trainer_is_not_free_reopens_matching(
    world, client_for
):
    training_request, training_session = book(world, client_for)
    browser = client_for(world["organiser"])
    new_time = {
        "slot": "new",
        "new_date": "2027-06-16",
        "new_start": "18:30",
        "new_end": "20:30",
    }
    url = f"/requests/{training_request.id}/reschedule"
    asked = browser.post(url, data=new_time)
    assert asked.status_code == 200
    assert "they will be released" in asked.get_data(as_text=True)
    key = re.search(
        r'name="release_for" type="hidden" value="([^"]+)"',
        asked.get_data(as_text=True),
    )[1]
    response = browser.post(url, data={**new_time, "release": "y", "release_for": key})
    assert response.status_code == 302
    db.session.refresh(training_session)
    db.session.refresh(training_request)
    assert training_session.status == "cancelled"
    assert training_request.status == "unfilled"  # nobody is free on Wednesdays
    # The proposed times stay; the new one is the time matching looks for.
    assert [
        (s.starts_at.hour, s.starts_at.day, s.is_settled)
        for s in training_request.slots
    ] == [(17, 15, False), (17, 16, True), (17, 22, False)]


def test_reschedule_refuses_a_bad_new_time(world, client_for):
    training_request, training_session = book(world, client_for)
    response = client_for(world["organiser"]).post(
        f"/requests/{training_request.id}/reschedule",
        data={
            "slot": "new",
            "new_date": "2027-06-16",
            "new_start": "20:30",
            "new_end": "18:30",
        },
    )
    assert response.status_code == 200
    assert "ends at or before its start" in response.get_data(as_text=True)
    db.session.refresh(training_session)
    assert (training_session.starts_at, training_session.status) == (FIRST, "booked")


def near_session(world, hours_ahead: int) -> TrainingSession:
    """A session booked directly, starting soon after NOW (the app's clock)."""
    starts_at = (utcnow() + timedelta(hours=hours_ahead)).replace(microsecond=0)
    training_request = TrainingRequest(
        group=world["group"],
        topic=world["topic"],
        status="booked",
        expected_attendance=10,
        venue_postcode="TN34",
        venue_latitude=world["group"].latitude,
        venue_longitude=world["group"].longitude,
        slots=[
            RequestSlot(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2))
        ],
    )
    training_session = TrainingSession(
        training_request=training_request,
        trainer=world["trainers"][0],
        group=world["group"],
        topic=world["topic"],
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        ical_uid="near@trainers.test",
    )
    db.session.add(training_session)
    db.session.commit()
    return training_session


def test_handing_back_inside_the_notice_window_needs_confirmation(
    world, client_for, mailbox
):
    training_session = near_session(world, hours_ahead=20)
    trainer = client_for(world["trainers"][0])
    unconfirmed = trainer.post(
        f"/sessions/{training_session.id}/hand-back", data={"reason": "Ill"}
    )
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    db.session.refresh(training_session)
    assert training_session.status == "booked"

    confirmed = trainer.post(
        f"/sessions/{training_session.id}/hand-back",
        data={"reason": "Ill", "confirm": "y"},
    )
    assert confirmed.status_code == 302
    db.session.refresh(training_session)
    assert training_session.status == "cancelled"
    assert training_session.training_request.events[-2].is_flagged
    office_mail = [m["Subject"] for m in mailbox.to(world["office"].email)]
    assert any(subject.startswith("Needs a look") for subject in office_mail)
    assert any(subject.startswith("No trainer yet") for subject in office_mail)
    organiser_mail = [m["Subject"] for m in mailbox.to(world["organiser"].email)]
    assert any(
        subject.startswith("Finding a new trainer") for subject in organiser_mail
    )
    trainer_mail = [m["Subject"] for m in mailbox.to(world["trainers"][0].email)]
    assert any(subject.startswith("Cancelled:") for subject in trainer_mail)


def test_only_the_sessions_trainer_can_hand_it_back(world, client_for):
    training_session = near_session(world, hours_ahead=100)
    for who in ("organiser", "office"):
        response = client_for(world[who]).post(
            f"/sessions/{training_session.id}/hand-back",
            data={"reason": "x", "confirm": "y"},
        )
        assert response.status_code == 404
    other = client_for(world["trainers"][1]).post(
        f"/sessions/{training_session.id}/hand-back", data={"reason": "x"}
    )
    assert other.status_code == 404
    db.session.refresh(training_session)
    assert training_session.status == "booked"
    own = client_for(world["trainers"][0]).post(
        f"/sessions/{training_session.id}/hand-back", data={"reason": "x"}
    )
    assert own.status_code == 302
    db.session.refresh(training_session)
    assert training_session.status == "cancelled"


def test_office_adds_a_shadowing_trainer(world, client_for, make_trainer, mailbox):
    training_session = near_session(world, hours_ahead=100)
    learner = make_trainer("learner@example.org", district="TN34")
    db.session.add(
        TrainerTopic(
            trainer_id=learner.id, topic_id=world["topic"].id, level="shadowing"
        )
    )
    db.session.commit()
    office = client_for(world["office"])
    assert learner.name in office.get(f"/sessions/{training_session.id}").get_data(
        as_text=True
    )
    response = office.post(
        f"/sessions/{training_session.id}/shadows", data={"trainer_id": learner.id}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(SessionPlace.trainer_id)) == learner.id
    # Everyone on it gets the event with the shadowing trainer on it.
    lead = training_session.trainer
    for person in (learner, lead):
        assert "Who is training" in mailbox.to(person.email)[-1]["Subject"]
    refused = office.post(
        f"/sessions/{training_session.id}/shadows",
        data={"trainer_id": world["trainers"][1].id},
    )
    assert refused.status_code == 400
    assert (
        client_for(world["organiser"])
        .post(
            f"/sessions/{training_session.id}/shadows", data={"trainer_id": learner.id}
        )
        .status_code
        == 403
    )


def test_office_is_prompted_to_qualify_a_trainer_after_enough_shadowing(
    world, client_for, make_trainer
):
    learner = make_trainer("learner@example.org", district="TN34")
    db.session.add(
        TrainerTopic(
            trainer_id=learner.id, topic_id=world["topic"].id, level="shadowing"
        )
    )
    for n in range(3):
        past = utcnow() - timedelta(days=10 + n)
        session = TrainingSession(
            training_request=TrainingRequest(
                group=world["group"],
                topic=world["topic"],
                status="delivered",
                expected_attendance=5,
            ),
            trainer=world["trainers"][0],
            group=world["group"],
            topic=world["topic"],
            status="delivered",
            starts_at=past,
            ends_at=past + timedelta(hours=2),
            ical_uid=f"past{n}@trainers.test",
        )
        session.places.append(
            SessionPlace(
                place=2,
                trainer_id=learner.id,
                is_shadowing=True,
                is_needed=False,
                filled_at=past,
            )
        )
        db.session.add(session)
    db.session.commit()
    office = client_for(world["office"])
    home = office.get("/").get_data(as_text=True)
    assert (
        f"{learner.name} has shadowed 3 sessions of Door-knocking and canvassing"
        in home
    )
    office.post(f"/office/trainers/{learner.id}/topics/{world['topic'].id}/qualify")
    level = db.session.scalar(
        select(TrainerTopic.level).where(TrainerTopic.trainer_id == learner.id)
    )
    assert level == "qualified"
    assert "has shadowed" not in office.get("/").get_data(as_text=True)


def test_a_close_request_without_a_trainer_is_marked_urgent(world, client_for):
    soon = (utcnow() + timedelta(days=3)).astimezone(UTC)
    date = soon.strftime("%Y-%m-%d")
    response = client_for(world["organiser"]).post(
        f"/requests/new?group_id={world['group'].id}",
        data=request_form(
            world,
            slot_1_date=date,
            slot_1_start="11:00",
            slot_1_end="13:00",
            slot_2_date="",
            slot_2_start="",
            slot_2_end="",
        ),
        follow_redirects=True,
    )
    assert "urgent: still no trainer" in response.get_data(as_text=True)
    listing = client_for(world["organiser"]).get("/requests/").get_data(as_text=True)
    assert "urgent: still no trainer" in listing


def test_office_plans_every_open_request_and_turns_the_plan_into_offers(
    world, client_for
):
    training_request = TrainingRequest(
        group=world["group"],
        topic=world["topic"],
        status="unfilled",
        expected_attendance=10,
        venue_postcode="TN34",
        venue_latitude=world["group"].latitude,
        venue_longitude=world["group"].longitude,
        slots=[RequestSlot(starts_at=FIRST, ends_at=FIRST + timedelta(hours=2))],
    )
    db.session.add(training_request)
    db.session.commit()
    office = client_for(world["office"])
    page = office.get("/office/plan").get_data(as_text=True)
    assert "Make the ticked offers" in page and "Hastings Action" in page
    (key,) = re.findall(r'name="assignment" value="([0-9-]+)"', page)
    # Nothing ticked is nothing made.
    response = office.post("/office/plan", data={}, follow_redirects=True)
    assert "Tick at least one offer to make." in response.get_data(as_text=True)
    assert db.session.scalars(select(Offer)).all() == []
    response = office.post(
        "/office/plan", data={"assignment": [key]}, follow_redirects=True
    )
    assert "1 offer made." in response.get_data(as_text=True)
    db.session.refresh(training_request)
    assert training_request.status == "offered"
    (offer,) = db.session.scalars(select(Offer)).all()
    assert offer.trainer_id in {t.id for t in world["trainers"]}
