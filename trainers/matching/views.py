"""Trainers answer offers; the office steps in on matching and plans it all at once."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from trainers.auth.access import office_required
from trainers.extensions import db
from trainers.matching import answers, offers, places, services
from trainers.matching.forms import (
    AcceptForm,
    AssignForm,
    DeclineForm,
    OfferToForm,
    PlanForm,
    TrainersForm,
)
from trainers.matching.models import OfferStatus
from trainers.matching.planning import plans
from trainers.requests.queries import get_request_for
from trainers.timeutil import format_datetime, utcnow
from trainers.viewhelpers import attempt, read_only

bp = Blueprint("matching", __name__)


@bp.route("/offers/<int:offer_id>")
@read_only
@login_required
def offer(offer_id: int):
    return _offer_page(offer_id)


def _offer_page(offer_id: int, decline_form: DeclineForm | None = None):
    found = answers.offer_as_shown(current_user, offer_id, utcnow())
    is_pending = found.status == OfferStatus.PENDING
    return render_template(
        "matching/offer.html",
        offer=found,
        # Only a pending offer has its forms (accepting needs only the token).
        decline_form=(decline_form or DeclineForm()) if is_pending else None,
        is_pending=is_pending,
    )


@bp.route("/offers/<int:offer_id>/times")
@read_only
@login_required
def other_times(offer_id: int):
    try:
        offer, times = answers.other_times(offer_id, current_user, utcnow())
    except answers.OfferUnavailable as error:
        flash(error.message, "info")
        return redirect(url_for(".offer", offer_id=offer_id))
    return render_template(
        "matching/other_times.html",
        offer=offer,
        times=times,
        can_take=any(verdict.is_free for _, verdict in times),
    )


@bp.route("/offers/<int:offer_id>/accept", methods=["POST"])
@login_required
def accept(offer_id: int):
    form = AcceptForm()
    if not form.validate_on_submit():
        flash("Choose one of the times.", "error")
        return redirect(url_for(".other_times", offer_id=offer_id))
    tried = attempt(
        lambda: _taken(
            answers.accept_offer(
                offer_id, current_user, utcnow(), slot_id=form.slot_id.data
            )
        ),
        handles=(answers.OfferAlreadyTaken,),
    )
    if isinstance(tried.error, answers.OfferAlreadyTaken):
        return render_template("matching/offer_taken.html", message=tried.error.message)
    if not tried.done:
        return redirect(url_for(".offer", offer_id=offer_id))
    session_id, leads = tried.value
    flash(
        "Thank you: the session is booked and everyone has been told."
        if leads
        else "Thank you: your place beside the lead is yours, and everyone has "
        "been told.",
        "success",
    )
    return redirect(url_for("sessions.show", session_id=session_id))


def _taken(training_session) -> tuple[int, bool]:
    """The session taken, and whether the trainer who took it leads it."""
    return training_session.id, training_session.trainer_id == current_user.id


@bp.route("/offers/<int:offer_id>/decline", methods=["POST"])
@login_required
def decline(offer_id: int):
    form = DeclineForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: answers.decline_offer(
                offer_id, current_user, form.reason.data or "", utcnow()
            )
        )
        if tried.done:
            flash("Thanks for letting us know. We'll ask someone else.", "success")
            return redirect(url_for("home.index"))
    return _offer_page(offer_id, form)


@bp.route("/requests/<int:request_id>/matching")
@office_required
def request_matching(request_id: int):
    return _matching_page(request_id, AssignForm())


def _matching_page(request_id: int, assign_form: AssignForm, status: int = 200):
    training_request = get_request_for(current_user, request_id)
    now = utcnow()
    found = services.candidates_for(training_request, now)
    assign_form.trainer_id.choices = [
        SelectChoice(str(c.trainer_id), c.trainer_name) for c in found.candidates
    ] + [
        SelectChoice(str(e.trainer_id), f"{e.trainer_name} (breaks a rule)")
        for e in found.excluded
    ]
    assign_form.slot_id.choices = [
        SelectChoice(str(slot.id), format_datetime(slot.starts_at))
        for slot in training_request.slots
    ]
    return (
        render_template(
            "matching/request_matching.html",
            training_request=training_request,
            found=found,
            offers=services.offers_of(training_request),
            offer_form=OfferToForm(),
            assign_form=assign_form,
            now=now,
        ),
        status,
    )


@bp.route("/requests/<int:request_id>/matching/offer", methods=["POST"])
@office_required
def offer_to(request_id: int):
    form = OfferToForm()
    training_request = get_request_for(current_user, request_id)
    if form.validate_on_submit():
        tried = attempt(
            lambda: services.offer_to_trainer(
                training_request,
                form.trainer_id.data,
                form.slot_id.data,
                current_user,
                utcnow(),
            )
        )
        if tried.done:
            made = tried.value
            flash(f"Offered to {made.trainer.name}.", "success")
    else:
        flash("Choose a trainer and a time to offer.", "error")
    return redirect(url_for(".request_matching", request_id=request_id))


@bp.route("/requests/<int:request_id>/matching/assign", methods=["POST"])
@office_required
def assign(request_id: int):
    form = AssignForm()
    training_request = get_request_for(current_user, request_id)
    if form.validate_on_submit():
        tried = attempt(
            lambda: services.assign_trainer(
                training_request,
                form.trainer_id.data,
                form.slot_id.data,
                current_user,
                utcnow(),
                form.cap_override_reason.data or "",
            ),
            form,
        )
        if tried.done:
            training_session = tried.value
            flash(f"{training_session.trainer.name} is booked.", "success")
            return redirect(url_for("sessions.show", session_id=training_session.id))
    return _matching_page(request_id, form, status=400)


@bp.route("/requests/<int:request_id>/matching/reopen", methods=["POST"])
@office_required
def reopen(request_id: int):
    training_request = get_request_for(current_user, request_id)
    tried = attempt(
        lambda: services.reopen_matching(training_request, current_user, utcnow())
    )
    if tried.done:
        made = tried.value
        flash(
            f"Matching re-opened: {len(made)} new offer{'s' if len(made) != 1 else ''}."
            if made
            else "Matching re-opened, but nobody new can take it.",
            "success" if made else "warning",
        )
    return redirect(url_for(".request_matching", request_id=request_id))


@bp.route("/requests/<int:request_id>/trainers", methods=["POST"])
@office_required
def trainers(request_id: int):
    training_request = get_request_for(current_user, request_id)
    form = TrainersForm()
    form.offer_numbers(training_request.topic_places_needed)
    if form.validate_on_submit():
        tried = attempt(
            lambda: places.set_trainers(
                training_request,
                form.trainers_override.data,
                form.allows_shadowing.data,
                current_user,
                utcnow(),
            )
        )
        if tried.done:
            flash("Trainers needed saved.", "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(errors), "error")
    return redirect(url_for("requests.show", request_id=request_id))


@bp.route("/offers/<int:offer_id>/withdraw", methods=["POST"])
@office_required
def withdraw(offer_id: int):
    tried = attempt(lambda: services.withdraw_offer(offer_id, current_user, utcnow()))
    if not tried.done:
        return redirect(url_for("home.index"))
    withdrawn = tried.value
    flash(f"Offer to {withdrawn.trainer.name} withdrawn.", "success")
    return redirect(url_for(".request_matching", request_id=withdrawn.request_id))


@bp.route("/office/plan")
@office_required
def plan():
    best, greedy = plans.compare_plans(utcnow())
    differ, same = plans.differences(best, greedy)
    return render_template(
        "matching/plan.html",
        plan=best,
        differ=differ,
        same=same,
        rows=plans.plan_rows(best),
        unmet=plans.unmet_rows(best),
        form=PlanForm(),
    )


@bp.route("/office/plan", methods=["POST"])
@office_required
def apply_plan():
    form = PlanForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for(".plan"))
    now = utcnow()
    applied = plans.apply_chosen(form.assignment.data, current_user, now)
    db.session.commit()
    made = len(applied.offers)
    flash(f"{made} offer{'' if made == 1 else 's'} made.", "success")
    for skipped in applied.skipped:
        flash(
            f"Skipped request {skipped.assignment.request_id}: {skipped.message}",
            "warning",
        )
    if applied.gone:
        flash(
            f"{applied.gone} ticked offer{' is' if applied.gone == 1 else 's are'} "
            "no longer in the plan (something changed since the page was made): "
            "not made.",
            "warning",
        )
    return redirect(url_for("home.index"))


@bp.route(
    "/office/trainers/<int:trainer_id>/topics/<int:topic_id>/qualify", methods=["POST"]
)
@office_required
def qualify(trainer_id: int, topic_id: int):
    places.mark_qualified(trainer_id, topic_id)
    db.session.commit()
    flash(
        "Marked qualified: they can now be offered sessions on that topic.", "success"
    )
    return redirect(url_for("home.index"))


@bp.app_template_filter("answer_by")
def answer_by(made_at):
    """When an offer made then must be answered by (templates: made_at|answer_by)."""
    return offers.answer_by(made_at)
