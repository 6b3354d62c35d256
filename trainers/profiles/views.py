"""Placeholder: replaced by the trainer profile feature."""

from flask import Blueprint

bp = Blueprint("profiles", __name__, url_prefix="/profile")


@bp.route("/")
def show():
    return "profile"
