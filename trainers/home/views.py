"""The home page each person lands on; for visitors, what the service is and
the privacy notice; the about page and the health check."""

import logging

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from trainers.extensions import db
from trainers.geo import ATTRIBUTION
from trainers.home import needs, services
from trainers.matching.places import ready_to_qualify
from trainers.timeutil import utcnow
from trainers.viewhelpers import read_only

logger = logging.getLogger(__name__)
bp = Blueprint("home", __name__)


@bp.route("/")
@read_only
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("home.welcome"))
    now = utcnow()
    context = {"now": now, "upcoming": services.upcoming_sessions(current_user, now)}
    if current_user.is_office:
        context.update(
            request_counts=services.request_counts(),
            unfilled=services.unfilled_requests(),
            waiting_invitations=services.waiting_invitations(now),
            urgent=services.urgent_requests(now, current_app.config["URGENT_DAYS"]),
            flagged=services.flagged_changes(now),
            ready_to_qualify=ready_to_qualify(now),
            office_tallies=needs.office_tallies(
                now, current_app.config["STUCK_REQUEST_DAYS"]
            ),
        )
    if current_user.is_organiser:
        desk = services.organiser_desk(current_user)
        context.update(
            groups=desk.groups,
            group_requests=desk.requests,
            organiser_needs=needs.organiser_needs(current_user.id, now),
        )
    if current_user.is_trainer:
        standing = services.trainer_standing(current_user)
        context.update(
            profile_gaps=standing.gaps,
            offers=services.pending_offers(current_user),
            tallies=standing.tallies,
            trainer_needs=needs.trainer_needs(current_user.id, now),
        )
    return render_template("home/index.html", **context)


@bp.route("/about")
@read_only
def about():
    return render_template("home/about.html", attribution=ATTRIBUTION)


@bp.route("/welcome")
@read_only
def welcome():
    """What the service is and how to join, for a visitor not signed in."""
    return render_template("home/welcome.html")


@bp.route("/privacy")
@read_only
def privacy():
    """The privacy notice: what is held, why, how long, who sees it, your rights."""
    return render_template("home/privacy.html")


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logger.exception("Health check: database unreachable")
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "reachable"}
