"""People: the office's list of accounts and one account, through the people
page's filters (network.people) and its lookup (network.services.get_person)."""

from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from trainers.api.auth import office_only
from trainers.api.paging import Order, PageArgs, next_link, page_of, page_schema
from trainers.api.resources import may_answer, resource
from trainers.api.schemas import LondonDateTime
from trainers.auth.models import ROLES, User
from trainers.geo import REGIONS
from trainers.network.people import ACTIVE, DEACTIVATED, PeopleFilters, narrowed_to
from trainers.network.services import get_person
from trainers.numbers import LARGEST

blp = resource("people", "The network's accounts (the national office).")


class PersonSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(required=True, allow_none=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True)
    is_active = fields.Boolean(required=True)
    group_ids = fields.Function(
        lambda person: [group.id for group in person.groups],
        required=True,
        metadata={
            "type": "array",
            "items": {"type": "integer"},
            "description": "The groups they organise.",
        },
    )
    created_at = LondonDateTime(required=True)
    last_login_at = LondonDateTime(required=True, allow_none=True)


class PeopleFiltersSchema(PageArgs):
    search = fields.String(
        validate=validate.Length(max=254),
        metadata={"description": "Part of a name or email address."},
    )
    group = fields.String(
        validate=validate.Length(max=120),
        metadata={"description": "Part of the name of a group they organise."},
    )
    role = fields.String(validate=validate.OneOf(ROLES))
    region = fields.String(
        validate=validate.OneOf(REGIONS),
        metadata={"description": "A trainer's home, or an organiser's group's."},
    )
    status = fields.String(validate=validate.OneOf([ACTIVE, DEACTIVATED]))
    topic_id = fields.Integer(
        data_key="topic",
        validate=validate.Range(1, LARGEST),
        metadata={"description": "Trainers teaching or shadowing this topic's id."},
    )


@blp.route("/people")
@may_answer(blp, 400, 403)
@office_only
@blp.etag
@blp.arguments(PeopleFiltersSchema, location="query")
@blp.response(200, page_schema(PersonSchema))
def list_people(args):
    """The accounts the filters leave, by name, as on the people page.

    The office."""
    filters = PeopleFilters.chosen(args)
    query = (
        select(User)
        .where(*narrowed_to(filters))
        .options(selectinload(User.groups), selectinload(User.trainer_profile))
    )
    page = page_of(query, Order(User.name, User.id), args)
    return page, next_link(page["next_cursor"])


@blp.route("/people/<int:user_id>")
@may_answer(blp, 403, 404)
@office_only
@blp.etag
@blp.response(200, PersonSchema)
def get_person_by_id(user_id: int):
    """One account.

    The office."""
    return get_person(user_id)
