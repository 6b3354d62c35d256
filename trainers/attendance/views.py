"""Recording who came to a session, the organiser's rating and the trainer's report."""

from flask import Blueprint

bp = Blueprint("attendance", __name__, url_prefix="/sessions")
