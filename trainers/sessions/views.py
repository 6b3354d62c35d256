"""A booked session's page: who, when, where, and what each person may change."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from trainers.attendance import services as attendance
from trainers.auth.access import office_required
from trainers.matching import details, lifecycle, places
from trainers.matching.forms import DropOutForm, HandBackForm, ShadowForm
from trainers.requests.forms import BookedDetailsForm, booked_details_data
from trainers.sessions import services
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import utcnow
from trainers.viewhelpers import attempt, read_only

bp = Blueprint("sessions", __name__, url_prefix="/sessions")


@bp.route("/<int:session_id>")
@read_only
@login_required
def show(session_id: int):
    return _page(session_id)


def _page(
    session_id: int,
    hand_back_form=None,
    shadow_form=None,
    drop_out_form=None,
    status: int = 200,
):
    shown = services.session_as_shown(current_user, session_id)
    training_session = shown.session
    now = utcnow()
    is_upcoming = (
        training_session.status == SessionStatus.BOOKED
        and training_session.ends_at > now
    )
    is_trainer = training_session.trainer_id == current_user.id
    holds_place = any(p.trainer_id == current_user.id for p in shown.places)
    may_change = _may_change(current_user, shown.is_organiser, training_session, now)
    # Each form only where the page shows it.
    if is_upcoming and is_trainer:
        hand_back_form = hand_back_form or HandBackForm()
    if is_upcoming and holds_place:
        drop_out_form = drop_out_form or DropOutForm()
    if is_upcoming and current_user.is_office:
        shadow_form = shadow_form or ShadowForm()
        shadow_form.trainer_id.choices = _shadow_choices(
            services.get_session_for(current_user, session_id)
        )
    return (
        render_template(
            "sessions/show.html",
            shown=shown,
            is_upcoming=is_upcoming,
            is_trainer=is_trainer,
            can_change=may_change,
            hand_back_form=hand_back_form,
            shadow_form=shadow_form,
            drop_out_form=drop_out_form,
            outcome=attendance.outcome(
                training_session,
                shown.attendance,
                shown.attendance.named if shown.attendance else 0,
                current_user,
                now,
            ),
        ),
        status,
    )


def _shadow_choices(training_session: TrainingSession) -> list[SelectChoice]:
    return [
        SelectChoice(str(u.id), u.name) for u in places.shadow_choices(training_session)
    ]


@bp.route("/<int:session_id>/hand-back", methods=["POST"])
@login_required
def hand_back(session_id: int):
    training_session = services.get_session_for(current_user, session_id)
    if training_session.trainer_id != current_user.id:
        abort(404)
    form = HandBackForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: lifecycle.hand_back(
                training_session,
                current_user,
                form.reason.data,
                utcnow(),
                confirmed=form.confirm.data,
            ),
            form,
        )
        if tried.done:
            flash(
                "You have handed the session back. It is out of your calendar; the "
                "group and the national office have been told, and we are looking "
                "for another trainer.",
                "success",
            )
            return redirect(url_for("home.index"))
    return _page(session_id, hand_back_form=form, status=400)


@bp.route("/<int:session_id>/shadows", methods=["POST"])
@office_required
def add_shadow(session_id: int):
    form = ShadowForm()
    training_session = services.get_session_for(current_user, session_id)
    form.trainer_id.choices = _shadow_choices(training_session)
    if form.validate_on_submit():
        tried = attempt(
            lambda: places.add_shadow(
                training_session, form.trainer_id.data, current_user, utcnow()
            ),
            form,
        )
        if tried.done:
            shadow = tried.value
            flash(f"{shadow.trainer.name} will shadow this session.", "success")
            return redirect(url_for(".show", session_id=session_id))
    return _page(session_id, shadow_form=form, status=400)


@bp.route("/<int:session_id>/drop-out", methods=["POST"])
@login_required
def drop_out(session_id: int):
    training_session = services.get_session_for(current_user, session_id)
    # Only a trainer holding a place beside the lead gives one back.
    if places.held_by(training_session, current_user.id) is None:
        abort(404)
    form = DropOutForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: places.drop_out(
                training_session, current_user, form.reason.data, utcnow()
            ),
            form,
        )
        if tried.done:
            flash(
                "You have left the session. It is out of your calendar; we are "
                "offering your place to other trainers.",
                "success",
            )
            return redirect(url_for("home.index"))
    return _page(session_id, drop_out_form=form, status=400)


def _may_change(user, is_organiser: bool, training_session, now) -> bool:
    # The group's organisers and the office, while it is booked and to come.
    return (
        (is_organiser or user.is_office)
        and training_session.status == SessionStatus.BOOKED
        and training_session.starts_at > now
    )


@bp.route("/<int:session_id>/details", methods=["GET", "POST"])
@login_required
def change_details(session_id: int):
    shown = services.session_as_shown(current_user, session_id)
    now = utcnow()
    if not (shown.is_organiser or current_user.is_office):
        abort(404)
    if not _may_change(current_user, shown.is_organiser, shown.session, now):
        flash(
            "Only a booked session still to come can be changed.",
            "error",
        )
        return redirect(url_for(".show", session_id=session_id))
    training_session = services.get_session_for(current_user, session_id)
    training_request = training_session.training_request
    form = BookedDetailsForm(
        data=booked_details_data(training_request) if request.method == "GET" else None
    )
    if form.validate_on_submit():
        tried = attempt(
            lambda: details.change_details(
                training_session,
                form.particulars(training_request.is_online),
                current_user,
                now,
                confirmed=form.confirm.data,
            ),
            form,
        )
        if tried.done:
            changes = tried.value
            if changes:
                flash(
                    f"Saved: {'; '.join(changes)}. Everyone on the session has been "
                    "sent the updated invite.",
                    "success",
                )
            else:
                flash("Nothing was changed.", "info")
            return redirect(url_for(".show", session_id=session_id))
    return render_template(
        "sessions/details.html",
        form=form,
        shown=shown,
        training_session=training_session,
    )
