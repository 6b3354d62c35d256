"""The trainers' open board: open requests they could take, taking one, and the
stop link of its emails."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainers.auth.access import role_required
from trainers.board import news, services
from trainers.board.forms import BoardFilterForm, StopEmailsForm, TakeForm
from trainers.extensions import db
from trainers.matching.answers import OfferAlreadyTaken
from trainers.profiles.models import TrainerProfile
from trainers.profiles.services import set_board_emails
from trainers.timeutil import utcnow
from trainers.viewhelpers import attempt, read_only

bp = Blueprint("board", __name__)


@bp.get("/board")
@read_only
@role_required("trainer")
def index():
    topics = services.teaches_topics(current_user)
    form = BoardFilterForm(request.args)
    form.set_topics(topics)
    is_valid = form.validate()
    topic = form.topic.data if is_valid and form.topic.data else None
    within = form.within.data if is_valid and form.within.data else None
    board = services.open_requests(
        current_user,
        utcnow(),
        topic_id=int(topic) if topic else None,
        within=within,
    )
    return render_template(
        "board/index.html",
        form=form,
        board=board,
        is_filtered=bool(topic or within),
    )


@bp.post("/board/requests/<int:request_id>/take")
@role_required("trainer")
def take(request_id: int):
    form = TakeForm()
    if not form.validate_on_submit():
        flash("Choose one of the times.", "error")
        return redirect(url_for(".index"))
    slot_id = form.slot_id.data
    tried = attempt(
        lambda: (
            services.take_from_board(current_user, request_id, slot_id, utcnow()).id
        ),
        handles=(OfferAlreadyTaken,),
    )
    if isinstance(tried.error, OfferAlreadyTaken):
        return render_template("board/taken.html"), 409
    if not tried.done:
        return redirect(url_for(".index"))
    flash("Thank you: the session is yours and everyone has been told.", "success")
    return redirect(url_for("sessions.show", session_id=tried.value))


@bp.route("/board/emails/stop/<token>", methods=["GET", "POST"])
def stop_emails(token: str):
    trainer_id = news.trainer_of(token)
    profile = db.session.get(TrainerProfile, trainer_id) if trainer_id else None
    if profile is None:
        abort(404)
    form = StopEmailsForm()
    if form.validate_on_submit():
        attempt(lambda: set_board_emails(profile, False, utcnow()))
        return render_template("board/stopped.html")
    return render_template("board/stop.html", form=form, profile=profile)
