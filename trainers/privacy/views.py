"""The office's view of everything held about a person, its export and erasure."""

from flask import Blueprint

bp = Blueprint("privacy", __name__, url_prefix="/office/privacy")
