"""Sessions with more than one trainer: how many places a request needs, each
place offered at the session's time once it is booked and taken through the
booking gate, fully staffed when every place is, a co-trainer dropping out
reopening only their place, the lead's hand-back leaving co-trainers in place,
and fairness and caps counting every trainer's sessions whatever their place."""

from datetime import date, time

from icalendar import Calendar
from sqlalchemy import select

from tests.booking.conftest import FIRST, NOW, SECOND, TUESDAY, accept, ask, book
from trainers.coverage.dashboard.report import CoverageReport, topic_names
from trainers.coverage.filters import make_filters
from trainers.extensions import db
from trainers.matching import lifecycle
from trainers.matching.candidates import find_candidates
from trainers.matching.facts import load_load_facts
from trainers.matching.models import Offer
from trainers.profiles.models import AvailabilityWindow, DayOff, TrainerTopic
from trainers.requests.models import TrainingRequest
from trainers.sessions.models import SessionPlace, TrainingSession


def trainer(world, make_trainer, email, name, level="qualified"):
    """One more trainer free on Tuesday evenings, at `level` in the topic."""
    user = make_trainer(email, district="TN34", topics=[])
    user.name = name
    user.trainer_profile.monthly_cap = 4
    user.trainer_profile.topics.append(TrainerTopic(topic=world.topic, level=level))
    user.trainer_profile.availability.append(
        AvailabilityWindow(weekday=TUESDAY, start_time=time(18), end_time=time(21))
    )
    db.session.commit()
    return user


def needs(world, trainers: int, above: int | None = None) -> None:
    world.topic.trainers_needed = trainers
    world.topic.extra_trainer_above = above
    db.session.commit()


def place_offers(training_request) -> dict[int, set[int]]:
    """The trainers each place beside the lead is offered to now."""
    found: dict[int, set[int]] = {}
    for offer in db.session.scalars(
        select(Offer).where(
            Offer.request_id == training_request.id,
            Offer.place > 1,
            Offer.status == "pending",
        )
    ):
        found.setdefault(offer.place, set()).add(offer.trainer_id)
    return found


def place_offer(user, training_request, place=None) -> Offer:
    query = select(Offer).where(
        Offer.request_id == training_request.id,
        Offer.trainer_id == user.id,
        Offer.place > 1,
        Offer.status == "pending",
    )
    if place is not None:
        query = query.where(Offer.place == place)
    return db.session.scalar(query)


def take(client_for, user, training_request, place=None) -> None:
    offer = place_offer(user, training_request, place)
    response = client_for(user).post(f"/offers/{offer.id}/accept")
    assert response.status_code == 302, response.get_data(as_text=True)


def holders(training_session) -> dict[int, int | None]:
    db.session.expire_all()
    return {
        p.place: p.trainer_id
        for p in db.session.scalars(
            select(SessionPlace).where(SessionPlace.session_id == training_session.id)
        )
    }


def event_of(message):
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    return part.get_param("method"), calendar.walk("VEVENT")[0]


def test_places_needed_follow_the_topic_its_headcount_rule_and_the_office(
    world, client_for
):
    training_request = ask(world, client_for)  # 24 people expected
    assert training_request.places_needed == 1
    needs(world, 2)
    assert training_request.places_needed == 2
    needs(world, 2, above=20)
    assert training_request.places_needed == 3
    needs(world, 2, above=24)
    assert training_request.places_needed == 2
    page = client_for(world.organiser).get(f"/requests/{training_request.id}")
    assert "<dt>Trainers needed</dt><dd>2</dd>" in page.get_data(as_text=True)
    assert 'name="trainers_override"' not in page.get_data(as_text=True)

    office = client_for(world.office)
    assert 'name="trainers_override"' in office.get(
        f"/requests/{training_request.id}"
    ).get_data(as_text=True)
    saved = office.post(
        f"/requests/{training_request.id}/trainers", data={"trainers_override": "1"}
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert training_request.places_needed == 1
    office.post(
        f"/requests/{training_request.id}/trainers", data={"trainers_override": ""}
    )
    db.session.expire_all()
    assert training_request.places_needed == 2
    refused = office.post(
        f"/requests/{training_request.id}/trainers", data={"trainers_override": "9"}
    )
    assert refused.status_code == 302
    db.session.expire_all()
    assert training_request.trainers_override is None
    # Only the office.
    assert (
        client_for(world.organiser)
        .post(
            f"/requests/{training_request.id}/trainers", data={"trainers_override": "1"}
        )
        .status_code
        == 403
    )


def test_a_booked_session_offers_each_place_at_its_time_to_trainers_not_on_it(
    world, client_for, make_trainer
):
    needs(world, 3)
    tom = trainer(world, make_trainer, "tom@example.org", "Tom Trainer")
    uma = trainer(world, make_trainer, "uma@example.org", "Uma Trainer")
    lee = trainer(world, make_trainer, "lee@example.org", "Lee L", "shadowing")
    training_request = ask(world, client_for)
    # Nothing beside the lead is offered before the session is booked.
    assert place_offers(training_request) == {}
    training_session = book_asked(world, client_for, training_request)
    assert holders(training_session) == {2: None, 3: None}
    offered = place_offers(training_request)
    # Each place separately, shared between the trainers not on it.
    assert set(offered) == {2, 3}
    assert offered[2] | offered[3] == {world.sam.id, tom.id, uma.id}
    assert not offered[2] & offered[3]
    offers = db.session.scalars(select(Offer).where(Offer.place > 1)).all()
    assert {(o.slot.starts_at, o.slot.ends_at) for o in offers} == {
        (FIRST, training_session.ends_at)
    }
    sams = place_offer(world.sam, training_request)
    page = client_for(world.sam).get(f"/offers/{sams.id}").get_data(as_text=True)
    assert f"Co-trainer beside the session's lead (place {sams.place})" in page
    assert "Accept: I'll co-train it" in page
    # A trainer shadowing the topic only once the office allows it.
    assert lee.id not in offered[2] | offered[3]
    client_for(world.office).post(
        f"/requests/{training_request.id}/trainers",
        data={"trainers_override": "", "allows_shadowing": "y"},
    )
    offered = place_offers(training_request)
    assert lee.id in offered[2] | offered[3]


def book_asked(world, client_for, training_request) -> TrainingSession:
    return accept(client_for, world.priya, training_request)


def test_a_session_is_fully_staffed_only_when_every_place_is_taken(
    world, client_for, make_trainer
):
    needs(world, 3)
    tom = trainer(world, make_trainer, "tom@example.org", "Tom Trainer")
    training_request = ask(world, client_for)
    training_session = book_asked(world, client_for, training_request)
    request_page = f"/requests/{training_request.id}"
    organiser = client_for(world.organiser)
    assert "2 places still open" in organiser.get(request_page).get_data(as_text=True)

    link = f'href="/sessions/{training_session.id}"'
    sam = client_for(world.sam)
    assert link not in sam.get("/").get_data(as_text=True)
    offer = place_offer(world.sam, training_request)
    taken = sam.post(f"/offers/{offer.id}/accept", follow_redirects=True)
    # Thanked for their place, not for booking the session.
    assert "your place beside the lead is yours" in taken.get_data(as_text=True)
    # The co-trainer's home lists the session they now train.
    assert link in client_for(world.sam).get("/").get_data(as_text=True)
    # The people running it reach the co-trainer as they reach the lead.
    seen = organiser.get(f"/sessions/{training_session.id}").get_data(as_text=True)
    assert f'Place 2: Sam Trainer: <a href="mailto:{world.sam.email}">' in seen
    theirs = sam.get(f"/sessions/{training_session.id}").get_data(as_text=True)
    assert "Place 2: Sam Trainer (you)" in theirs
    page = organiser.get(request_page).get_data(as_text=True)
    assert "Priya Trainer (lead), Sam Trainer." in page
    assert "1 place still open" in page
    assert not db.session.get(TrainingSession, training_session.id).is_fully_staffed

    take(client_for, tom, training_request)
    assert "Fully staffed" in organiser.get(request_page).get_data(as_text=True)
    for who in (world.organiser, world.sam, tom, world.office):
        session_page = client_for(who).get(f"/sessions/{training_session.id}")
        assert "Fully staffed" in session_page.get_data(as_text=True)
    # Nothing waits for a place any more.
    assert place_offers(training_request) == {}
    # Coverage counts the session once, however many train it.
    june = make_filters(date(2027, 6, 1), date(2027, 6, 30))
    assert CoverageReport(june, NOW, topic_names()).bookings == (0, 1)


def test_one_trainer_never_holds_two_places_of_a_session(
    world, client_for, make_trainer
):
    needs(world, 3)
    training_request = ask(world, client_for)
    training_session = book_asked(world, client_for, training_request)
    sams = place_offer(world.sam, training_request)
    other = 5 - sams.place
    # Should Sam be offered the other place too, taking one ends that offer.
    extra = Offer(
        request_id=training_request.id,
        slot_id=sams.slot_id,
        trainer_id=world.sam.id,
        place=other,
        created_at=NOW,
    )
    db.session.add(extra)
    db.session.commit()
    take(client_for, world.sam, training_request, place=sams.place)
    refused = client_for(world.sam).post(f"/offers/{extra.id}/accept")
    assert refused.status_code == 200
    assert holders(training_session) == {sams.place: world.sam.id, other: None}


def test_a_co_trainer_dropping_out_reopens_only_their_place(
    world, client_for, make_trainer, mailbox
):
    needs(world, 3)
    tom = trainer(world, make_trainer, "tom@example.org", "Tom Trainer")
    uma = trainer(world, make_trainer, "uma@example.org", "Uma Trainer")
    training_request = ask(world, client_for)
    training_session = book_asked(world, client_for, training_request)
    sams = place_offer(world.sam, training_request).place
    take(client_for, world.sam, training_request)
    toms = place_offer(tom, training_request)
    if toms is None:  # Uma had the other place's offer
        toms = place_offer(uma, training_request)
        tom, uma = uma, tom
    take(client_for, tom, training_request)
    assert set(holders(training_session).values()) == {world.sam.id, tom.id}
    sequence = db.session.get(TrainingSession, training_session.id).ical_sequence

    refused = client_for(world.sam).post(
        f"/sessions/{training_session.id}/drop-out", data={"reason": ""}
    )
    assert refused.status_code == 400
    response = client_for(world.sam).post(
        f"/sessions/{training_session.id}/drop-out", data={"reason": "Car broke"}
    )
    assert response.status_code == 302
    assert holders(training_session) == {sams: None, 5 - sams: tom.id}
    # Sam: a CANCEL; everyone still on it: the event without Sam, one later.
    method, event = event_of(mailbox.to(world.sam.email)[-1])
    assert method == "CANCEL"
    for person in (world.priya, tom, world.organiser):
        method, event = event_of(mailbox.to(person.email)[-1])
        attendees = {str(a).removeprefix("mailto:") for a in event.get("ATTENDEE")}
        assert method == "REQUEST"
        assert int(event["SEQUENCE"]) == sequence + 1
        assert world.sam.email not in attendees
        assert {world.priya.email, tom.email} <= attendees
    # Only Sam's place is offered again, to someone who is not Sam.
    assert place_offers(training_request) == {sams: {uma.id}}
    # The lead is not a co-trainer: they hand back instead.
    assert (
        client_for(world.priya)
        .post(f"/sessions/{training_session.id}/drop-out", data={"reason": "x"})
        .status_code
        == 404
    )


def test_the_lead_handing_back_leaves_co_trainers_in_place(
    world, client_for, make_trainer, mailbox
):
    needs(world, 2)
    tom = trainer(world, make_trainer, "tom@example.org", "Tom Trainer")
    training_request = ask(world, client_for)
    training_session = book_asked(world, client_for, training_request)
    take(client_for, world.sam, training_request)
    sams_mail = len(mailbox.to(world.sam.email))
    client_for(world.priya).post(
        f"/sessions/{training_session.id}/hand-back", data={"reason": "Ill"}
    )
    # Sam keeps the event (no CANCEL) and their place while a new lead is found.
    assert len(mailbox.to(world.sam.email)) == sams_mail
    assert holders(training_session) == {2: world.sam.id}
    following = accept(
        client_for, tom, db.session.get(TrainingRequest, training_request.id)
    )
    assert holders(following) == {2: world.sam.id}
    method, event = event_of(mailbox.to(world.sam.email)[-1])
    assert method == "REQUEST" and int(event["SEQUENCE"]) == following.ical_sequence
    assert following.ical_uid == training_session.ical_uid


def test_fairness_and_caps_count_a_trainers_sessions_whatever_their_place(
    world, client_for
):
    needs(world, 2)
    training_request = ask(world, client_for)
    book_asked(world, client_for, training_request)
    take(client_for, world.sam, training_request)
    loads = load_load_facts([world.sam.id, world.priya.id], world.group.id, NOW)
    assert loads[world.sam.id].total_sessions == 1
    assert loads[world.sam.id].sessions_with_group == 1
    assert loads[world.sam.id] == loads[world.priya.id]

    # At their cap through a co-trainer place, Sam is not offered a session
    # the same month; nor, at the same time, for the overlap.
    world.sam.trainer_profile.monthly_cap = 1
    needs(world, 1)
    later = ask(
        world,
        client_for,
        slot_1_date=SECOND.strftime("%Y-%m-%d"),
        slot_2_date="",
        slot_2_start="",
        slot_2_end="",
    )
    found = find_candidates(later, NOW, explain=True)
    assert world.sam.id not in {c.trainer_id for c in found.candidates}
    (sam,) = [e for e in found.excluded if e.trainer_id == world.sam.id]
    assert any("cap" in reason for reason in sam.broken)
    world.sam.trainer_profile.monthly_cap = 4
    db.session.commit()
    same_time = ask(
        world,
        client_for,
        slot_2_date="",
        slot_2_start="",
        slot_2_end="",
        confirm_overlap="y",
    )
    found = find_candidates(same_time, NOW, explain=True)
    assert world.sam.id not in {c.trainer_id for c in found.candidates}


def test_a_booked_session_without_more_places_needed_has_none(world, client_for):
    training_session = book(world, client_for)
    assert holders(training_session) == {}
    assert db.session.get(TrainingSession, training_session.id).is_fully_staffed


def test_a_moved_session_keeps_co_trainers_who_can_come_and_reoffers_the_rest(
    world, client_for, make_trainer, mailbox
):
    needs(world, 3)
    tom = trainer(world, make_trainer, "tom@example.org", "Tom Trainer")
    uma = trainer(world, make_trainer, "uma@example.org", "Uma Trainer")
    training_request = ask(world, client_for)
    training_session = book_asked(world, client_for, training_request)
    take(client_for, world.sam, training_request)
    other = next(u for u in (tom, uma) if place_offer(u, training_request))
    take(client_for, other, training_request)
    spare = uma if other is tom else tom
    # Sam is away on the new day; the other co-trainer is free.
    db.session.add(
        DayOff(trainer_id=world.sam.id, first_on=SECOND.date(), last_on=SECOND.date())
    )
    db.session.commit()
    lifecycle.reschedule(
        db.session.get(TrainingRequest, training_request.id),
        SECOND,
        SECOND + (training_session.ends_at - training_session.starts_at),
        world.organiser,
        NOW,
    )
    db.session.commit()
    held = holders(training_session)
    assert sorted(held.values(), key=str) == sorted([other.id, None], key=str)
    method, _ = event_of(mailbox.to(world.sam.email)[-1])
    assert method == "CANCEL"
    method, event = event_of(mailbox.to(other.email)[-1])
    assert method == "REQUEST" and event["DTSTART"].dt == SECOND
    # Sam's place is offered afresh at the new time, to the trainer not on it.
    (reopened,) = [place for place, holder in held.items() if holder is None]
    assert place_offers(training_request) == {reopened: {spare.id}}
    assert place_offer(spare, training_request).slot.starts_at == SECOND


def test_the_office_sets_a_topics_trainers_on_its_form(world, client_for):
    office = client_for(world.office)
    form = {
        "name": world.topic.name,
        "summary": "Knocking on doors, in pairs.",
        "default_minutes": "120",
        "is_active": "y",
        "trainers_needed": "2",
        "extra_trainer_above": "30",
    }
    saved = office.post(f"/office/topics/{world.topic.id}/edit", data=form)
    assert saved.status_code == 302
    db.session.expire_all()
    assert (world.topic.trainers_needed, world.topic.extra_trainer_above) == (2, 30)
    refused = office.post(
        f"/office/topics/{world.topic.id}/edit", data={**form, "trainers_needed": "6"}
    )
    assert "Enter from 1 to 5 trainers." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert world.topic.trainers_needed == 2
