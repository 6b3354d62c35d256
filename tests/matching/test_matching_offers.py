"""Offers and booking through the services: who is offered, the first acceptance
books, every refusal is clear and changes nothing, the office steps in."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.matching import answers, lifecycle, services
from trainers.matching.answers import OfferAlreadyTaken, OfferUnavailable
from trainers.matching.models import Offer, OfferStatus
from trainers.matching.offers import expire_offers
from trainers.profiles.models import AvailabilityWindow, DayOff
from trainers.requests.details import Particulars
from trainers.requests.models import RequestEvent, RequestStatus, TrainingRequest
from trainers.requests.slots import parse_slots
from trainers.sessions.models import TrainingSession

NOW = datetime(2027, 5, 1, 9, tzinfo=UTC)
SLOT_DAY = date(2027, 6, 15)  # a Tuesday, in BST
SLOT_START = datetime(2027, 6, 15, 9, tzinfo=UTC)  # 10:00 in London
SLOT_END = datetime(2027, 6, 15, 11, tzinfo=UTC)
EXPIRY = timedelta(hours=48)
# Nearest first from the venue in Hastings (TN34): the best three are offered.
NEAR_TO_FAR = ("TN34", "TN38", "TN35", "BN21", "TN1")
TAKEN = "Another trainer has already taken this session"


@pytest.fixture
def add_trainer(make_trainer, topic):
    """A qualified trainer free 08:00-21:00 every day, with a cap of 3."""

    def add(name: str, district: str = "TN34", radius_km: int = 60):
        trainer = make_trainer(
            f"{name.lower()}@example.org",
            district=district,
            radius_km=radius_km,
            topics=[topic],
        )
        trainer.name = name
        profile = trainer.trainer_profile
        profile.monthly_cap = 3
        profile.availability.extend(
            AvailabilityWindow(weekday=day, start_time=time(8), end_time=time(21))
            for day in range(7)
        )
        db.session.commit()
        return trainer

    return add


@pytest.fixture
def trainers(add_trainer):
    """Five trainers, nearest to the venue first."""
    names = ("Ada", "Bea", "Cai", "Dev", "Eve")
    return [
        add_trainer(name, district)
        for name, district in zip(names, NEAR_TO_FAR, strict=True)
    ]


@pytest.fixture
def submit(group, topic, organiser):
    """Submit a request through the real path: offered at once, then committed."""

    def submit(rows=((SLOT_DAY, time(10), time(12)),), now=NOW, **overrides):
        details = {
            "is_online": False,
            "venue_postcode": "TN34 1AA",
            "venue_address": "Hastings Library",
            "expected_attendance": 12,
            "accessibility_needs": "",
            "notes": "Bring leaflets",
        }
        details.update(overrides)
        training_request = lifecycle.submit_request(
            group,
            topic,
            parse_slots(list(rows), now),
            Particulars(**details),
            by=organiser,
            now=now,
        )
        db.session.commit()
        return training_request

    return submit


def offer_of(training_request, trainer) -> Offer:
    return db.session.scalar(
        select(Offer)
        .where(Offer.request_id == training_request.id, Offer.trainer_id == trainer.id)
        .order_by(Offer.id.desc())
    )


def statuses(training_request) -> dict[str, str]:
    """Each offered trainer's latest offer status, by name."""
    db.session.expire_all()
    return {
        offer.trainer.name: offer.status
        for offer in db.session.scalars(
            select(Offer)
            .where(Offer.request_id == training_request.id)
            .order_by(Offer.id)
        )
    }


def sessions_of(training_request) -> list[TrainingSession]:
    return list(
        db.session.scalars(
            select(TrainingSession).where(
                TrainingSession.request_id == training_request.id
            )
        )
    )


def history(training_request) -> list[tuple[str, str]]:
    return [
        (event.action, event.detail)
        for event in db.session.scalars(
            select(RequestEvent)
            .where(RequestEvent.request_id == training_request.id)
            .order_by(RequestEvent.id)
        )
    ]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def refused(error_type, call, *args):
    """Run a service that must refuse; roll back as a view would; the error."""
    with pytest.raises(error_type) as caught:
        call(*args)
    db.session.rollback()
    db.session.expire_all()
    return caught.value


def accept(training_request, trainer, now=NOW) -> TrainingSession:
    training_session = answers.accept_offer(
        offer_of(training_request, trainer).id, trainer, now
    )
    db.session.commit()
    return training_session


def decline(training_request, trainer, reason="", now=NOW) -> None:
    answers.decline_offer(offer_of(training_request, trainer).id, trainer, reason, now)
    db.session.commit()


def subjects(mailbox, person) -> list[str]:
    return [message["Subject"] for message in mailbox.to(person.email)]


# Submitting


def test_submitting_offers_the_slot_to_the_three_best_trainers_and_emails_them(
    submit, trainers, mailbox
):
    training_request = submit()

    assert training_request.status == RequestStatus.OFFERED
    assert statuses(training_request) == dict.fromkeys(("Ada", "Bea", "Cai"), "pending")
    slot = training_request.slots[0]
    for trainer in trainers[:3]:
        offer = offer_of(training_request, trainer)
        assert offer.slot_id == slot.id and offer.created_at == NOW
        assert subjects(mailbox, trainer) == [
            "Can you run Door-knocking and canvassing for Hastings Action?"
        ]
        assert mailbox.last_link(trainer.email) == f"/offers/{offer.id}"
    for trainer in trainers[3:]:
        assert mailbox.to(trainer.email) == []
    assert history(training_request)[-1] == ("offered", "Offered to Ada, Bea, Cai")


def test_offers_at_once_comes_from_config(app, submit, trainers):
    app.config["OFFERS_AT_ONCE"] = 4
    training_request = submit()
    assert list(statuses(training_request)) == ["Ada", "Bea", "Cai", "Dev"]


def test_offers_carry_human_reasons(submit, trainers):
    training_request = submit()
    nearest, farther = (offer_of(training_request, t) for t in trainers[:2])
    assert nearest.reasons == [
        "0 km away",
        "0 sessions in the last 90 days",
        "new trainer: first sessions weighted up",
        "has never trained this group",
    ]
    assert farther.reasons[0] == "3 km away"
    assert nearest.score > farther.score


def test_a_trainer_who_has_trained_the_group_is_told_so(submit, trainers):
    first = submit()
    accept(first, trainers[0])
    later = submit(rows=((date(2027, 6, 22), time(10), time(12)),))
    reasons = offer_of(later, trainers[0]).reasons
    assert "has trained this group once" in reasons
    assert "has never trained this group" not in reasons


def test_with_nobody_free_the_request_is_unfilled_at_once(submit, trainers):
    training_request = submit(rows=((SLOT_DAY, time(6), time(7)),))  # before 08:00
    assert training_request.status == RequestStatus.UNFILLED
    assert count(Offer) == 0
    assert history(training_request)[-1][0] == "unfilled"


# Accepting


def test_the_first_acceptance_books_the_session_and_withdraws_the_others(
    submit, trainers, organiser, mailbox
):
    ada, bea, cai = trainers[:3]
    training_request = submit()

    training_session = accept(training_request, bea)

    db.session.expire_all()
    assert training_request.status == RequestStatus.BOOKED
    assert sessions_of(training_request) == [training_session]
    assert training_session.trainer_id == bea.id
    assert training_session.group_id == training_request.group_id
    assert training_session.topic_id == training_request.topic_id
    assert (training_session.starts_at, training_session.ends_at) == (
        SLOT_START,
        SLOT_END,
    )
    assert training_session.status == "booked" and not training_session.is_online
    assert training_session.venue_postcode == "TN34 1AA"
    assert training_session.venue_address == "Hastings Library"
    assert statuses(training_request) == {
        "Ada": "withdrawn",
        "Bea": "accepted",
        "Cai": "withdrawn",
    }
    taken = "Door-knocking and canvassing for Hastings Action is taken, thank you"
    assert subjects(mailbox, ada)[-1] == taken
    assert subjects(mailbox, cai)[-1] == taken
    assert subjects(mailbox, bea)[-1].startswith("Booked: Door-knocking")
    assert subjects(mailbox, organiser)[-1].startswith("Booked: Door-knocking")
    assert history(training_request)[-1] == ("booked", "Bea accepted and is booked")


def test_a_later_acceptance_is_told_it_was_taken_and_changes_nothing(
    submit, trainers, mailbox
):
    ada, bea = trainers[:2]
    training_request = submit()
    accept(training_request, ada)
    emails = len(mailbox.messages())

    error = refused(
        OfferAlreadyTaken,
        answers.accept_offer,
        offer_of(training_request, bea).id,
        bea,
        NOW,
    )

    assert TAKEN in error.message and "Thank you" in error.message
    assert len(sessions_of(training_request)) == 1
    assert statuses(training_request)["Bea"] == "withdrawn"
    assert len(mailbox.messages()) == emails


@pytest.mark.parametrize("who", ["another trainer", "the office"])
def test_accepting_someone_elses_offer_is_not_found_and_changes_nothing(
    submit, trainers, office, who
):
    training_request = submit()
    stranger = trainers[4] if who == "another trainer" else office
    offer_id = offer_of(training_request, trainers[0]).id

    refused(NotFound, answers.accept_offer, offer_id, stranger, NOW)

    assert statuses(training_request)["Ada"] == "pending"
    assert training_request.status == RequestStatus.OFFERED
    assert count(TrainingSession) == 0


def test_accepting_an_offer_already_accepted_says_it_is_yours(submit, trainers):
    training_request = submit()
    accept(training_request, trainers[0])
    error = refused(
        OfferUnavailable,
        answers.accept_offer,
        offer_of(training_request, trainers[0]).id,
        trainers[0],
        NOW,
    )
    assert (
        error.message == "You have already accepted this offer: the session is yours."
    )
    assert len(sessions_of(training_request)) == 1


def test_accepting_a_declined_offer_is_refused_clearly(submit, trainers):
    training_request = submit()
    decline(training_request, trainers[0], "Away that week")

    error = refused(
        OfferUnavailable,
        answers.accept_offer,
        offer_of(training_request, trainers[0]).id,
        trainers[0],
        NOW,
    )

    assert error.message == (
        "You declined this offer, so it can no longer be accepted."
    )
    assert statuses(training_request)["Ada"] == "declined"
    assert count(TrainingSession) == 0


def test_accepting_an_expired_offer_is_refused_clearly(submit, trainers):
    training_request = submit()
    expire_offers(NOW + EXPIRY)
    db.session.commit()

    error = refused(
        OfferUnavailable,
        answers.accept_offer,
        offer_of(training_request, trainers[0]).id,
        trainers[0],
        NOW + EXPIRY,
    )

    assert "expired" in error.message
    assert statuses(training_request)["Ada"] == "expired"
    assert count(TrainingSession) == 0


def test_accepting_an_offer_the_office_withdrew_is_refused(submit, trainers, office):
    training_request = submit()
    services.withdraw_offer(offer_of(training_request, trainers[0]).id, office, NOW)
    db.session.commit()

    refused(
        OfferUnavailable,
        answers.accept_offer,
        offer_of(training_request, trainers[0]).id,
        trainers[0],
        NOW,
    )

    assert statuses(training_request)["Ada"] == "withdrawn"
    assert count(TrainingSession) == 0


def test_accepting_an_offer_of_a_cancelled_request_books_nothing(
    submit, trainers, organiser
):
    training_request = submit()
    lifecycle.cancel_training_request(training_request, "Hall flooded", organiser, NOW)
    db.session.commit()

    refused(
        OfferUnavailable,
        answers.accept_offer,
        offer_of(training_request, trainers[0]).id,
        trainers[0],
        NOW,
    )

    assert training_request.status == RequestStatus.CANCELLED
    assert count(TrainingSession) == 0
    assert set(statuses(training_request).values()) == {"withdrawn"}


@pytest.mark.parametrize("how", ["office withdrew it", "request cancelled"])
def test_a_withdrawn_offer_says_why_it_cannot_be_accepted(
    submit, trainers, office, organiser, how
):
    training_request = submit()
    if how == "office withdrew it":
        services.withdraw_offer(offer_of(training_request, trainers[0]).id, office, NOW)
        expected = "withdr"
    else:
        lifecycle.cancel_training_request(
            training_request, "Hall flooded", organiser, NOW
        )
        expected = "cancelled"
    db.session.commit()

    error = refused(
        OfferUnavailable,
        answers.accept_offer,
        offer_of(training_request, trainers[0]).id,
        trainers[0],
        NOW,
    )

    assert expected in error.message and TAKEN not in error.message


def test_accepting_after_the_slot_started_is_refused(submit, trainers):
    training_request = submit()
    error = refused(
        OfferUnavailable,
        answers.accept_offer,
        offer_of(training_request, trainers[0]).id,
        trainers[0],
        SLOT_START,
    )
    assert error.message == "This session's time has already passed."
    assert count(TrainingSession) == 0


@pytest.fixture
def book_elsewhere(group, topic):
    """Give a trainer another booked session, online, for another request."""

    def book(trainer, starts_at: datetime, ends_at: datetime) -> TrainingSession:
        other = TrainingRequest(
            group=group,
            topic=topic,
            status=RequestStatus.BOOKED,
            is_online=True,
            expected_attendance=5,
        )
        db.session.add(other)
        db.session.flush()
        training_session = TrainingSession(
            request_id=other.id,
            trainer_id=trainer.id,
            group_id=group.id,
            topic_id=topic.id,
            starts_at=starts_at,
            ends_at=ends_at,
            is_online=True,
            ical_uid=f"other-{other.id}@test",
        )
        db.session.add(training_session)
        db.session.commit()
        return training_session

    return book


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("day off", "on a day off"),
        ("another session", "clashes with another of their sessions"),
        ("deactivated", "account deactivated"),
        ("window removed", "outside their weekly availability"),
    ],
)
def test_a_trainer_no_longer_free_cannot_accept(
    submit, trainers, book_elsewhere, change, reason
):
    training_request = submit()
    ada = trainers[0]
    profile = ada.trainer_profile
    if change == "day off":
        profile.days_off.append(DayOff(first_on=SLOT_DAY, last_on=SLOT_DAY))
    elif change == "another session":
        book_elsewhere(
            ada, SLOT_END - timedelta(hours=1), SLOT_END + timedelta(hours=1)
        )
    elif change == "deactivated":
        ada.is_active = False
    else:
        profile.availability = [
            w for w in profile.availability if w.weekday != SLOT_DAY.weekday()
        ]
    db.session.commit()
    sessions_before = count(TrainingSession)

    error = refused(
        DomainError,
        answers.accept_offer,
        offer_of(training_request, ada).id,
        ada,
        NOW,
    )

    assert error.message.startswith("You can no longer take this session: ")
    assert reason in error.message
    assert "decline the offer" in error.message
    assert count(TrainingSession) == sessions_before
    assert statuses(training_request)["Ada"] == "pending"
    assert training_request.status == RequestStatus.OFFERED


# Declining and expiry


def test_each_decline_offers_the_next_candidate_until_none_are_left(
    submit, trainers, mailbox
):
    ada, bea, cai, dev, eve = trainers
    training_request = submit()

    decline(training_request, ada, "  Away that week  ")
    assert statuses(training_request) == {
        "Ada": "declined",
        "Bea": "pending",
        "Cai": "pending",
        "Dev": "pending",
    }
    assert offer_of(training_request, ada).response_note == "Away that week"
    assert ("declined", "Ada declined: Away that week") in history(training_request)
    assert len(subjects(mailbox, dev)) == 1

    for trainer in (bea, cai, dev):
        decline(training_request, trainer)
    assert training_request.status == RequestStatus.OFFERED
    assert statuses(training_request)["Eve"] == "pending"

    decline(training_request, eve)
    assert training_request.status == RequestStatus.UNFILLED
    assert set(statuses(training_request).values()) == {"declined"}
    assert history(training_request)[-1][0] == "unfilled"
    # Nobody who declined is asked again.
    assert [len(subjects(mailbox, t)) for t in trainers] == [1] * 5


def test_declining_an_answered_offer_is_refused(submit, trainers):
    training_request = submit()
    accept(training_request, trainers[0])
    error = refused(
        OfferUnavailable,
        answers.decline_offer,
        offer_of(training_request, trainers[0]).id,
        trainers[0],
        "",
        NOW,
    )
    assert "already accepted" in error.message
    assert statuses(training_request)["Ada"] == "accepted"


def test_declining_someone_elses_offer_is_not_found(submit, trainers, office):
    training_request = submit()
    offer_id = offer_of(training_request, trainers[0]).id
    for stranger in (trainers[4], office):
        refused(NotFound, answers.decline_offer, offer_id, stranger, "", NOW)
    assert statuses(training_request)["Ada"] == "pending"


def test_expire_offers_expires_old_offers_and_offers_the_next_candidates(
    app, submit, trainers, mailbox
):
    training_request = submit()

    assert expire_offers(NOW + EXPIRY - timedelta(minutes=1)) == 0
    assert set(statuses(training_request).values()) == {"pending"}

    assert expire_offers(NOW + EXPIRY) == 3
    db.session.commit()

    assert statuses(training_request) == {
        "Ada": "expired",
        "Bea": "expired",
        "Cai": "expired",
        "Dev": "pending",
        "Eve": "pending",
    }
    assert ("expired", "No answer from Ada, Bea, Cai") in history(training_request)
    assert offer_of(training_request, trainers[3]).created_at == NOW + EXPIRY
    assert len(subjects(mailbox, trainers[3])) == 1
    assert training_request.status == RequestStatus.OFFERED


def test_expire_offers_twice_changes_nothing_the_second_time(submit, trainers, mailbox):
    training_request = submit()
    expire_offers(NOW + EXPIRY)
    db.session.commit()
    before = (statuses(training_request), history(training_request), count(Offer))
    emails = len(mailbox.messages())

    assert expire_offers(NOW + EXPIRY) == 0
    db.session.commit()

    after = (statuses(training_request), history(training_request), count(Offer))
    assert after == before
    assert len(mailbox.messages()) == emails


def test_expiry_with_nobody_left_leaves_the_request_unfilled(submit, trainers):
    training_request = submit()
    expire_offers(NOW + EXPIRY)
    expire_offers(NOW + 2 * EXPIRY)
    db.session.commit()
    assert training_request.status == RequestStatus.UNFILLED
    assert set(statuses(training_request).values()) == {"expired"}


def test_expiry_honours_the_configured_hours(app, submit, trainers):
    app.config["OFFER_EXPIRY_HOURS"] = 2
    training_request = submit()
    assert expire_offers(NOW + timedelta(hours=2)) == 3
    assert statuses(training_request)["Ada"] == "expired"


# The office


def test_office_can_offer_to_a_chosen_trainer(submit, trainers, office, mailbox):
    training_request = submit()
    eve = trainers[4]

    offer = services.offer_to_trainer(
        training_request, eve.id, training_request.slots[0].id, office, NOW
    )
    db.session.commit()

    assert offer.status == OfferStatus.PENDING and offer.trainer_id == eve.id
    assert any(reason.endswith("km away") for reason in offer.reasons)
    assert len(subjects(mailbox, eve)) == 1
    assert history(training_request)[-1] == ("offered", "Offered to Eve by the office")


def test_office_cannot_offer_to_a_trainer_who_breaks_a_rule(
    submit, trainers, add_trainer, office
):
    training_request = submit()
    far = add_trainer("Fay", "EH1", radius_km=300)
    offers = count(Offer)

    error = refused(
        DomainError,
        services.offer_to_trainer,
        training_request,
        far.id,
        training_request.slots[0].id,
        office,
        NOW,
    )

    assert error.message.startswith("That trainer cannot take this slot: ")
    assert "km away, beyond their 300 km radius" in error.message
    assert count(Offer) == offers


def test_office_cannot_offer_twice_to_a_trainer_already_waiting(
    submit, trainers, office
):
    training_request = submit()
    error = refused(
        DomainError,
        services.offer_to_trainer,
        training_request,
        trainers[0].id,
        training_request.slots[0].id,
        office,
        NOW,
    )
    assert (
        error.message == "That trainer already has an offer for this request waiting."
    )
    assert count(Offer) == 3


def test_office_can_only_offer_one_of_the_requests_slots(submit, trainers, office):
    training_request = submit()
    other = submit(rows=((date(2027, 6, 22), time(10), time(12)),))
    error = refused(
        DomainError,
        services.offer_to_trainer,
        training_request,
        trainers[4].id,
        other.slots[0].id,
        office,
        NOW,
    )
    assert error.field == "slot_id"
    assert statuses(training_request).get("Eve") is None


def test_office_assigns_a_trainer_directly(submit, trainers, office, mailbox):
    training_request = submit()
    eve = trainers[4]

    training_session = services.assign_trainer(
        training_request, eve.id, training_request.slots[0].id, office, NOW
    )
    db.session.commit()

    assert training_request.status == RequestStatus.BOOKED
    assert sessions_of(training_request) == [training_session]
    assert training_session.trainer_id == eve.id
    assert statuses(training_request) == {
        "Ada": "withdrawn",
        "Bea": "withdrawn",
        "Cai": "withdrawn",
        "Eve": "accepted",
    }
    assert subjects(mailbox, trainers[0])[-1].endswith("is taken, thank you")
    assert subjects(mailbox, eve)[-1].startswith("Booked: ")
    events = db.session.scalars(
        select(RequestEvent)
        .where(RequestEvent.request_id == training_request.id)
        .order_by(RequestEvent.id)
    ).all()
    assert (events[-1].action, events[-1].detail) == (
        "booked",
        "Eve assigned by the office",
    )
    assert not events[-1].is_flagged


def test_office_cannot_assign_a_trainer_who_breaks_a_rule(submit, trainers, office):
    training_request = submit()
    eve = trainers[4]
    eve.trainer_profile.days_off.append(DayOff(first_on=SLOT_DAY, last_on=SLOT_DAY))
    db.session.commit()

    error = refused(
        DomainError,
        services.assign_trainer,
        training_request,
        eve.id,
        training_request.slots[0].id,
        office,
        NOW,
        "She said she can",
    )

    assert error.message == "That trainer cannot take this slot: on a day off."
    assert count(TrainingSession) == 0
    assert training_request.status == RequestStatus.OFFERED


@pytest.fixture
def capped(trainers, book_elsewhere):
    """Eve, already booked to her cap of one this month."""
    eve = trainers[4]
    eve.trainer_profile.monthly_cap = 1
    book_elsewhere(eve, SLOT_START + timedelta(days=3), SLOT_END + timedelta(days=3))
    return eve


def test_office_needs_a_reason_to_assign_over_the_monthly_cap(submit, capped, office):
    training_request = submit()
    sessions_before = count(TrainingSession)

    error = refused(
        DomainError,
        services.assign_trainer,
        training_request,
        capped.id,
        training_request.slots[0].id,
        office,
        NOW,
        "   ",
    )

    assert error.field == "cap_override_reason"
    assert "at their monthly cap (1)" in error.message and "reason" in error.message
    assert count(TrainingSession) == sessions_before
    assert training_request.status == RequestStatus.OFFERED


def test_office_may_override_the_cap_with_a_reason_and_it_is_flagged(
    submit, capped, office
):
    training_request = submit()

    training_session = services.assign_trainer(
        training_request,
        capped.id,
        training_request.slots[0].id,
        office,
        NOW,
        "Only trainer who speaks Welsh",
    )
    db.session.commit()

    assert training_session.trainer_id == capped.id
    event = db.session.scalars(
        select(RequestEvent)
        .where(RequestEvent.request_id == training_request.id)
        .order_by(RequestEvent.id.desc())
    ).first()
    assert event.is_flagged and event.actor_id == office.id
    assert event.detail == (
        "Eve assigned by the office over their monthly cap: "
        "Only trainer who speaks Welsh"
    )


def test_the_cap_override_does_not_excuse_any_other_rule(submit, capped, office):
    training_request = submit()
    capped.trainer_profile.days_off.append(DayOff(first_on=SLOT_DAY, last_on=SLOT_DAY))
    db.session.commit()
    sessions_before = count(TrainingSession)

    error = refused(
        DomainError,
        services.assign_trainer,
        training_request,
        capped.id,
        training_request.slots[0].id,
        office,
        NOW,
        "Needed",
    )

    assert error.message == "That trainer cannot take this slot: on a day off."
    assert count(TrainingSession) == sessions_before


def test_office_cannot_assign_a_request_already_booked(submit, trainers, office):
    training_request = submit()
    accept(training_request, trainers[0])
    refused(
        DomainError,
        services.assign_trainer,
        training_request,
        trainers[4].id,
        training_request.slots[0].id,
        office,
        NOW,
    )
    assert [s.trainer_id for s in sessions_of(training_request)] == [trainers[0].id]


def test_office_withdraws_an_offer_and_the_trainer_is_told(
    submit, trainers, office, mailbox
):
    training_request = submit()
    ada = trainers[0]

    services.withdraw_offer(offer_of(training_request, ada).id, office, NOW)
    db.session.commit()

    assert statuses(training_request)["Ada"] == "withdrawn"
    assert subjects(mailbox, ada)[-1].endswith("is taken, thank you")
    assert history(training_request)[-1] == ("withdrawn", "Offer to Ada withdrawn")
    assert training_request.status == RequestStatus.OFFERED


def test_withdrawing_the_last_waiting_offer_returns_the_request_to_the_office(
    submit, trainers, office
):
    training_request = submit()
    for trainer in trainers[:3]:
        services.withdraw_offer(offer_of(training_request, trainer).id, office, NOW)
    db.session.commit()
    assert training_request.status == RequestStatus.SUBMITTED
    assert set(statuses(training_request).values()) == {"withdrawn"}


def test_withdrawing_an_answered_offer_is_refused(submit, trainers, office):
    training_request = submit()
    decline(training_request, trainers[0])
    error = refused(
        DomainError,
        services.withdraw_offer,
        offer_of(training_request, trainers[0]).id,
        office,
        NOW,
    )
    assert error.message == "That offer is already declined."
    assert statuses(training_request)["Ada"] == "declined"


def test_withdrawing_an_unknown_offer_is_not_found(office, app):
    refused(NotFound, services.withdraw_offer, 999, office, NOW)


def test_reopening_asks_those_whose_offers_expired_but_not_those_who_declined(
    submit, trainers, office, mailbox
):
    ada, bea, cai = trainers[:3]
    for extra in trainers[3:]:
        extra.trainer_profile.days_off.append(
            DayOff(first_on=SLOT_DAY, last_on=SLOT_DAY)
        )
    db.session.commit()
    training_request = submit()
    decline(training_request, ada)
    expire_offers(NOW + EXPIRY)
    db.session.commit()
    assert training_request.status == RequestStatus.UNFILLED

    later = NOW + EXPIRY + timedelta(hours=1)
    made = services.reopen_matching(training_request, office, later)
    db.session.commit()

    assert sorted(offer.trainer.name for offer in made) == ["Bea", "Cai"]
    assert training_request.status == RequestStatus.OFFERED
    assert statuses(training_request) == {
        "Ada": "declined",
        "Bea": "pending",
        "Cai": "pending",
    }
    assert len(subjects(mailbox, bea)) == 2 and len(subjects(mailbox, ada)) == 1
    assert ("reopened", "Matching re-opened") in history(training_request)


def test_reopening_a_booked_request_is_refused(submit, trainers, office):
    training_request = submit()
    accept(training_request, trainers[0])
    error = refused(
        DomainError, services.reopen_matching, training_request, office, NOW
    )
    assert error.message == "This request is booked; there is nothing to match."
    assert count(Offer) == 3


# The office and times already started; a trainer the office assigns who was
# offered it.


def test_office_cannot_assign_a_slot_that_has_started(submit, trainers, office):
    training_request = submit()
    with pytest.raises(DomainError):
        services.assign_trainer(
            training_request,
            trainers[4].id,
            training_request.slots[0].id,
            office,
            SLOT_START + timedelta(minutes=1),
        )
    db.session.rollback()
    assert count(TrainingSession) == 0


def test_office_cannot_offer_a_slot_that_has_started(submit, trainers, office):
    training_request = submit()
    with pytest.raises(DomainError):
        services.offer_to_trainer(
            training_request,
            trainers[4].id,
            training_request.slots[0].id,
            office,
            SLOT_START + timedelta(minutes=1),
        )
    db.session.rollback()
    assert count(Offer) == 3


def test_assigning_a_trainer_who_was_offered_it_accepts_their_offer(
    submit, trainers, office, mailbox
):
    training_request = submit()
    ada = trainers[0]

    services.assign_trainer(
        training_request, ada.id, training_request.slots[0].id, office, NOW
    )
    db.session.commit()

    assert statuses(training_request)["Ada"] == "accepted"
    assert not any(s.endswith("is taken, thank you") for s in subjects(mailbox, ada))
