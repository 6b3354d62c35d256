"""Placeholder: replaced by the request feature."""

from flask import Blueprint

bp = Blueprint("requests", __name__, url_prefix="/requests")


@bp.route("/")
def index():
    return "requests"
