"""Where to recruit (cold spots) and what needs tidying (data-quality queues)."""

from flask import Blueprint

bp = Blueprint("recruiting", __name__, url_prefix="/office")
