"""Placeholder: replaced by the office's network management."""

from flask import Blueprint

bp = Blueprint("network", __name__, url_prefix="/office")


@bp.route("/groups")
def groups():
    return "groups"


@bp.route("/topics")
def topics():
    return "topics"


@bp.route("/people")
def people():
    return "people"
