"""GET /topics: the catalogue, for any token."""

from marshmallow import Schema, fields
from sqlalchemy import select

from trainers.api.paging import Order, PageArgs, next_link, page_of, page_schema
from trainers.api.resources import may_answer, resource
from trainers.network.models import Topic

blp = resource("topics", "The topics groups may ask for.")


class TopicSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    summary = fields.String(required=True)
    default_minutes = fields.Integer(
        required=True, metadata={"description": "Its usual length."}
    )
    is_online_capable = fields.Boolean(required=True)
    is_active = fields.Boolean(
        required=True, metadata={"description": "Still offered to groups."}
    )


@blp.route("/topics")
@may_answer(blp)
@blp.etag
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(TopicSchema))
def list_topics(args):
    """The topics, by name (any token)."""
    page = page_of(select(Topic), Order(Topic.name, Topic.id), args)
    return page, next_link(page["next_cursor"])
