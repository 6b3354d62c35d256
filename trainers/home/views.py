"""The home page each person lands on, the about page, and the health check."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from trainers.extensions import db
from trainers.geo import ATTRIBUTION

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("home/index.html")


@bp.route("/about")
def about():
    return render_template("home/about.html", attribution=ATTRIBUTION)


@bp.route("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "reachable"}
