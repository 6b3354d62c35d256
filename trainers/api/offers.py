"""Offers: a trainer lists and answers their own (the office sees all), through
the booking gate the offer page uses (matching.answers), so a race books once."""

from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from trainers.api.auth import caller, roles_required
from trainers.api.paging import Order, PageArgs, next_link, page_of, page_schema
from trainers.api.resources import may_answer, resource
from trainers.api.schemas import LondonDateTime
from trainers.api.writes import writes
from trainers.matching import answers
from trainers.matching.models import Offer, OfferStatus
from trainers.numbers import LARGEST
from trainers.requests.models import TrainingRequest
from trainers.timeutil import utcnow

blp = resource("offers", "Offers of requests to trainers, and their answers.")
# Answering is only the trainer's own (answers.py): the office's answer is 404,
# as on the offer page.
trainer_or_office = roles_required("trainer", "office")


class OfferSchema(Schema):
    id = fields.Integer(required=True)
    request_id = fields.Integer(required=True)
    trainer_id = fields.Integer(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf([str(s) for s in OfferStatus])
    )
    place = fields.Integer(
        required=True,
        metadata={
            "description": "The place it offers: 1 the lead, 2 and up a co-trainer's "
            "beside the lead of a booked session, at its time only."
        },
    )
    slot_id = fields.Integer(required=True)
    starts_at = LondonDateTime(required=True, attribute="slot.starts_at")
    ends_at = LondonDateTime(required=True, attribute="slot.ends_at")
    topic_name = fields.String(required=True, attribute="training_request.topic.name")
    group_name = fields.String(required=True, attribute="training_request.group.name")
    reasons = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Why it was offered, as the offer page says."},
    )
    created_at = LondonDateTime(required=True)
    responded_at = LondonDateTime(required=True, allow_none=True)


class AcceptSchema(Schema):
    slot_id = fields.Integer(
        validate=validate.Range(1, LARGEST),
        metadata={
            "description": "Another of the request's proposed times to take it at; "
            "the offered time if left out."
        },
    )


class AcceptedSchema(Schema):
    offer = fields.Nested(OfferSchema, required=True)
    session_id = fields.Integer(
        required=True, metadata={"description": "The session now booked."}
    )


class DeclineSchema(Schema):
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=500, error="Keep it under 500 characters."),
        metadata={
            "description": "Helps the national office, e.g. 'away that weekend'."
        },
    )


@blp.route("/offers")
@may_answer(blp, 403)
@trainer_or_office
@blp.etag
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(OfferSchema))
def list_offers(args):
    """The offers the caller may see, newest first.

    Trainers: their own; the office: all; organisers are refused."""
    query = select(Offer).options(
        joinedload(Offer.slot),
        joinedload(Offer.training_request).joinedload(TrainingRequest.group),
        joinedload(Offer.training_request).joinedload(TrainingRequest.topic),
    )
    page = page_of(
        query.where(Offer.visible_to(caller())),
        Order(Offer.id, Offer.id, descending=True),
        args,
    )
    return page, next_link(page["next_cursor"])


@blp.route("/offers/<int:offer_id>")
@may_answer(blp, 403, 404)
@trainer_or_office
@blp.etag
@blp.response(200, OfferSchema)
def get_offer(offer_id: int):
    """One offer the caller may see."""
    return answers.get_offer_for(caller(), offer_id)


@blp.route("/offers/<int:offer_id>/accept", methods=["POST"])
@may_answer(blp, 400, 403, 404, 409, 415)
@trainer_or_office
@writes(conflicts=(answers.OfferUnavailable,))
@blp.arguments(AcceptSchema)
@blp.response(200, AcceptedSchema)
def accept_offer(sent, offer_id: int):
    """Accept one's own offer: the session is booked, or the place on it taken.

    Only the trainer it was made to. Another trainer first, or an offer no
    longer open, is a 409. A co-trainer place is at the session's time only."""
    training_session = answers.accept_offer(
        offer_id, caller(), utcnow(), slot_id=sent.get("slot_id")
    )
    offer = answers.get_offer_for(caller(), offer_id)
    return {"offer": offer, "session_id": training_session.id}


@blp.route("/offers/<int:offer_id>/decline", methods=["POST"])
@may_answer(blp, 400, 403, 404, 409, 415)
@trainer_or_office
@writes(conflicts=(answers.OfferUnavailable,))
@blp.arguments(DeclineSchema)
@blp.response(200, OfferSchema)
def decline_offer(sent, offer_id: int):
    """Decline one's own offer, with a reason if one likes.

    Only the trainer it was made to; the next trainers are asked."""
    return answers.decline_offer(offer_id, caller(), sent["reason"], utcnow())
