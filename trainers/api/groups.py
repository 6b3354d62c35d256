"""Groups: the office reads every group and makes and changes them with the
group form's service (network.services.save_group); an organiser reads their
own (Group.visible_to)."""

from flask import url_for
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from trainers.api.auth import caller, office_only, roles_required
from trainers.api.paging import Order, PageArgs, next_link, page_of, page_schema
from trainers.api.resources import may_answer, resource
from trainers.api.schemas import LondonDateTime
from trainers.api.writes import writes
from trainers.errors import NotFound
from trainers.extensions import db
from trainers.geo import REGIONS
from trainers.network import services
from trainers.network.models import Group

blp = resource("groups", "Local groups that ask for training.")
organiser_or_office = roles_required("organiser", "office")

# The group form's checks and words.
NAME = [
    validate.Regexp(r"\s*\S", error="Enter the group's name."),
    validate.Length(max=120, error="Keep the name under 120 characters."),
]
POSTCODE = [
    validate.Regexp(r"\s*\S", error="Enter the group's postcode district."),
    validate.Length(max=10, error="That is too long for a postcode district."),
]
REGION_HELP = (
    "One of the UK's nations and regions; null or left out works it out from "
    "the postcode district (on a change, left out keeps the group's)."
)


class GroupSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    region = fields.String(required=True)
    postcode_district = fields.String(required=True)
    is_active = fields.Boolean(
        required=True, metadata={"description": "Whether it can request sessions."}
    )
    organiser_ids = fields.Function(
        lambda group: [person.id for person in group.organisers],
        required=True,
        metadata={"type": "array", "items": {"type": "integer"}},
    )
    created_at = LondonDateTime(required=True)


class GroupFiltersSchema(PageArgs):
    region = fields.String(validate=validate.OneOf(REGIONS))


class NewGroupSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    postcode = fields.String(
        required=True,
        validate=POSTCODE,
        metadata={"description": "A district such as TN34, or a full postcode."},
    )
    region = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(
            REGIONS, error="Choose one of the UK's nations and regions."
        ),
        metadata={"description": REGION_HELP},
    )
    is_active = fields.Boolean(load_default=True)


class GroupChangeSchema(NewGroupSchema):
    name = fields.String(validate=NAME)
    postcode = fields.String(validate=POSTCODE)
    region = fields.String(
        allow_none=True,
        validate=validate.OneOf(
            REGIONS, error="Choose one of the UK's nations and regions."
        ),
        metadata={"description": REGION_HELP},
    )
    is_active = fields.Boolean()


@blp.route("/groups")
@may_answer(blp, 400, 403)
@organiser_or_office
@blp.etag
@blp.arguments(GroupFiltersSchema, location="query")
@blp.response(200, page_schema(GroupSchema))
def list_groups(args):
    """The groups the caller may see, by name.

    Organisers: their own; the office: all; trainers are refused."""
    query = (
        select(Group)
        .options(selectinload(Group.organisers))
        .where(Group.visible_to(caller()))
    )
    if "region" in args:
        query = query.where(Group.region == args["region"])
    page = page_of(query, Order(Group.name, Group.id), args)
    return page, next_link(page["next_cursor"])


@blp.route("/groups/<int:group_id>")
@may_answer(blp, 403, 404)
@organiser_or_office
@blp.etag
@blp.response(200, GroupSchema)
def get_group(group_id: int):
    """One group the caller may see.

    Its organisers and the office."""
    return _visible_group(group_id)


@blp.route("/groups", methods=["POST"])
@may_answer(blp, 400, 403, 415)
@office_only
@writes()
@blp.arguments(NewGroupSchema)
@blp.response(201, GroupSchema)
def create_group(sent):
    """Add a group placed at its postcode district.

    The office."""
    group = services.save_group(
        None, sent["name"], sent["postcode"], sent["region"] or "", sent["is_active"]
    )
    return group, {"Location": url_for(".get_group", group_id=group.id)}


@blp.route("/groups/<int:group_id>", methods=["PATCH"])
@may_answer(blp, 400, 403, 404, 415)
@office_only
@writes()
@blp.arguments(GroupChangeSchema)
@blp.response(200, GroupSchema)
def change_group(sent, group_id: int):
    """Change a group's name, place, region or whether it is active.

    The office. What is left out stays as it is."""
    group = services.get_group(group_id)
    return services.save_group(
        group,
        sent.get("name", group.name),
        sent.get("postcode", group.postcode_district),
        sent.get("region", group.region) or "",
        sent.get("is_active", group.is_active),
    )


def _visible_group(group_id: int) -> Group:
    group = db.session.scalar(
        select(Group)
        .options(selectinload(Group.organisers))
        .where(Group.id == group_id, Group.visible_to(caller()))
    )
    if group is None:
        raise NotFound()
    return group
