"""The office's coverage dashboard and its CSV exports."""

from flask import Blueprint

bp = Blueprint("coverage", __name__, url_prefix="/office/coverage")
