"""Cursor pages for every API list: `?limit=` (1 to 100, default 50) and
`?cursor=`, an opaque token signed with the app's key; ordered by a stable key
and the id, so an item is never skipped or shown twice as others are added."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, request, url_for
from itsdangerous import BadData, URLSafeSerializer
from marshmallow import Schema, fields, validate
from sqlalchemy import Select, and_, or_

from trainers.api.problems import VALIDATION, Problem
from trainers.extensions import db

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


class PageArgs(Schema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": f"Items per page, 1 to {MAX_LIMIT}."},
    )
    cursor = fields.String(
        metadata={"description": "The `next_cursor` of the page before."}
    )


def page_schema(item: type[Schema]) -> type[Schema]:
    """The schema of a page of `item`s: `items` and `next_cursor`."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next_cursor": fields.String(
                required=True,
                allow_none=True,
                metadata={"description": "Pass as `cursor` for the next page."},
            ),
        },
        name=f"{item.__name__.removesuffix('Schema')}Page",
    )


@dataclass(frozen=True)
class Order:
    """How a list runs: by `key` (a column), then by `id`, each way."""

    key: Any
    id: Any
    descending: bool = False


def page_of(query: Select, order: Order, args: dict) -> dict:
    """One page of the query's entities after `args["cursor"]`, with the cursor
    of the next (None on the last) and a `Link` header for it on the response.
    Raises a 400 Problem for a cursor this app did not make."""
    after = read_cursor(args.get("cursor"))
    if after is not None:
        key, last_id = after
        past = (lambda c, v: c < v) if order.descending else (lambda c, v: c > v)
        query = query.where(
            or_(past(order.key, key), and_(order.key == key, past(order.id, last_id)))
        )
    direction = (lambda c: c.desc()) if order.descending else (lambda c: c.asc())
    limit = args["limit"]
    rows = list(
        db.session.scalars(
            query.order_by(direction(order.key), direction(order.id)).limit(limit + 1)
        ).unique()
    )
    items, more = rows[:limit], len(rows) > limit
    cursor = None
    if more:
        last = items[-1]
        cursor = write_cursor(getattr(last, order.key.key), getattr(last, order.id.key))
    return {"items": items, "next_cursor": cursor}


def next_link(cursor: str | None) -> dict[str, str]:
    """The `Link` header naming the next page, for the response's headers."""
    if cursor is None:
        return {}
    values = {**request.args.to_dict(), "cursor": cursor}
    target = url_for(request.endpoint, **(request.view_args or {}), **values)
    return {"Link": f'<{target}>; rel="next"'}


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api-cursor")


def write_cursor(key: Any, last_id: int) -> str:
    """A cursor for the item after the one at (`key`, `last_id`)."""
    if isinstance(key, datetime):
        key = {"at": key.isoformat()}
    return _serializer().dumps([key, last_id])


def read_cursor(cursor: str | None) -> tuple[Any, int] | None:
    """What `write_cursor` wrote, or None for no cursor; a 400 Problem for a
    cursor this app did not make."""
    if cursor is None:
        return None
    try:
        key, last_id = _serializer().loads(cursor)
        if isinstance(key, dict):
            key = datetime.fromisoformat(key["at"])
    except (BadData, ValueError, TypeError, KeyError) as error:
        raise Problem(
            400,
            "That cursor is not one this API gave: start from the first page.",
            type_=VALIDATION,
            errors={"cursor": ["Not a cursor this API gave."]},
        ) from error
    if not isinstance(last_id, int):
        raise Problem(400, "That cursor is not one this API gave.", type_=VALIDATION)
    return key, last_id
