"""Organisers (and the office) ask for training, follow, edit and cancel requests."""

import re
import secrets
from datetime import datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms import SelectChoice

from trainers.auth.access import role_required
from trainers.errors import DomainError
from trainers.listing import filters_chosen
from trainers.matching import lifecycle
from trainers.matching.forms import TrainersForm
from trainers.matching.offers import count_pending_offers
from trainers.network.models import Topic
from trainers.network.services import active_topics, all_topics
from trainers.requests import services
from trainers.requests.details import NeedsConfirmation
from trainers.requests.forms import (
    NEW_TIME,
    CancelForm,
    RequestFilterForm,
    RequestForm,
    RescheduleForm,
    choices,
    online_hint,
    request_form_data,
    topic_choices,
)
from trainers.requests.models import (
    RequestStatus,
    TrainingRequest,
)
from trainers.requests.queries import (
    RequestFilters,
    get_request_for,
    get_topic,
    group_for,
    groups_for,
    list_page,
    request_as_shown,
)
from trainers.requests.slots import InvalidSlots, Slot, parse_slots
from trainers.requests.status_lines import sent_message, status_line
from trainers.sessions.services import booked_session_of
from trainers.timeutil import format_datetime, format_time, utcnow
from trainers.viewhelpers import attempt, read_only, show_error

bp = Blueprint("requests", __name__, url_prefix="/requests")

PER_PAGE = 50
organiser_or_office = role_required("organiser", "office")


@bp.route("/")
@read_only
@organiser_or_office
def index():
    # The group search is for the office and organisers of several groups; the
    # topic and region filters for the office, who sees every group's requests.
    is_office = current_user.is_office
    form = RequestFilterForm(formdata=request.args)
    if is_office:
        form.topic_id.choices = choices(all_topics(), "Any topic")
    else:
        del form.topic_id, form.region
    if not (is_office or current_user.organised_group_count > 1):
        del form.group
    form.validate()
    filters = filters_chosen(form)
    page = list_page(
        current_user,
        RequestFilters(
            status=filters.get("status"),
            group_id=filters.get("group_id"),
            group_name=filters.get("group"),
            topic_id=filters.get("topic_id"),
            region=filters.get("region"),
        ),
        page=request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
        now=utcnow(),
    )
    return render_template("requests/index.html", form=form, page=page, filters=filters)


# The shape of the keys made below. A key of any other shape (missing, or
# altered) is replaced by a fresh one: the form still works, and only a copy
# of it sent again is no longer known for one.
SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{32}")


@bp.route("/new", methods=["GET", "POST"])
@organiser_or_office
def new():
    group_id = request.args.get("group_id", type=int)
    form = RequestForm()
    topics = _offer_topics(form)
    if group_id is not None:
        group = group_for(current_user, group_id)
        del form.group_id
    else:
        group = None
        groups = groups_for(current_user)
        if len(groups) == 1 and not current_user.is_office:
            return redirect(url_for(".new", group_id=groups[0].id))
        form.group_id.choices = choices(groups, "Choose a group")
    if not SUBMISSION_KEY.fullmatch(form.submission_key.data or ""):
        form.submission_key.data = secrets.token_urlsafe(24)
    now = utcnow()
    slots = _sent_slots(form, now, topics)
    if slots is not None:
        tried = attempt(
            lambda: _sent(
                lifecycle.submit_request(
                    group or group_for(current_user, form.group_id.data),
                    get_topic(form.topic_id.data),
                    slots,
                    form.particulars(),
                    submission_key=form.submission_key.data,
                    **_warnings(form, warn_of_overlap=not form.confirm_overlap.data),
                    by=current_user,
                    now=now,
                )
            ),
            form,
            handles=(services.AlreadySubmitted, NeedsConfirmation),
        )
        if isinstance(tried.error, services.AlreadySubmitted):
            flash(tried.error.message, "info")
            sent = tried.error.training_request.id
            return redirect(url_for(".show", request_id=sent))
        _ask_to_confirm(form, tried.error)
        if tried.done:
            training_request, offered_to = tried.value
            flash(sent_message(training_request.status, offered_to), "success")
            _warn_if_short_notice(training_request, now)
            return redirect(url_for(".show", request_id=training_request.id))
    return _form_page(form, group, None)


def _offer_topics(form: RequestForm) -> dict[int, Topic]:
    """Put the active topics on the form; returns them by id."""
    topics = active_topics()
    form.topic_id.choices = topic_choices(topics)
    form.is_online.description = online_hint(topics)
    return {topic.id: topic for topic in topics}


def _warnings(form: RequestForm, **others: bool) -> dict[str, bool]:
    """What to warn of: whatever the group has not ticked to confirm."""
    return {
        "warn_of_short": not form.confirm_short.data,
        "warn_of_distance": not form.confirm_far.data,
        **others,
    }


def _ask_to_confirm(form: RequestForm, error: DomainError | None) -> None:
    if isinstance(error, NeedsConfirmation):
        for warning in error.warnings:
            show_error(form, warning)


def _sent(training_request: TrainingRequest) -> tuple[TrainingRequest, int]:
    # Counted before the commit: the trainers it was offered to just now.
    return training_request, count_pending_offers(training_request.id)


def _form_page(form: RequestForm, group, training_request: TrainingRequest | None):
    shown = form.times_to_show(len(training_request.slots) if training_request else 1)
    form.times_shown.data = str(shown)
    return render_template(
        "requests/form.html",
        form=form,
        group=group,
        training_request=training_request,
        times_shown=shown,
        # After "Add another time" the new row takes the focus, without a script.
        focus_row=shown if form.is_adding_time() else None,
    )


@bp.route("/<int:request_id>")
@read_only
@organiser_or_office
def show(request_id: int):
    shown = request_as_shown(current_user, request_id, utcnow())
    status = shown.request.status
    taken = shown.booked or shown.delivered
    line = status_line(
        status,
        offered_to=(
            count_pending_offers(request_id) if status == RequestStatus.OFFERED else 0
        ),
        trainer_name=taken.trainer_name if taken else None,
    )
    trainers_form = None
    if current_user.is_office:
        trainers_form = TrainersForm(
            trainers_override=shown.request.trainers_override,
            allows_shadowing=shown.request.allows_shadowing,
        )
        trainers_form.offer_numbers(shown.topic_places_needed)
    return render_template(
        "requests/show.html",
        shown=shown,
        status_line=line,
        trainers_form=trainers_form,
    )


@bp.route("/<int:request_id>/reschedule", methods=["GET", "POST"])
@organiser_or_office
def reschedule(request_id: int):
    training_request = get_request_for(current_user, request_id)
    training_session = booked_session_of(training_request.id)
    if training_session is None:
        flash(
            "Only a booked session can be rescheduled; change the request instead.",
            "error",
        )
        return redirect(url_for(".show", request_id=request_id))
    form = RescheduleForm()
    now = utcnow()
    new_time, new_time_error = None, None
    if form.is_submitted() and form.slot.data == NEW_TIME:
        new_time, new_time_error = _typed_time(form, now)
    choices = lifecycle.reschedule_choices(
        training_request, training_session, now, new_time
    )
    form.slot.choices = [
        SelectChoice(str(choice.slot_id), _choice_label(choice))
        for choice in choices
        if choice.slot_id is not None
    ] + [SelectChoice(NEW_TIME, "A new time (below)")]
    is_valid = form.validate_on_submit()
    if new_time_error is not None:
        show_error(form, new_time_error)
    elif is_valid:
        chosen = _chosen(form, choices)
        key = _time_key(chosen)
        tried = attempt(
            lambda: lifecycle.reschedule(
                training_request,
                chosen.starts_at,
                chosen.ends_at,
                current_user,
                now,
                reason=form.reason.data or "",
                confirmed=form.confirm.data,
                release=form.release.data and form.release_for.data == key,
            ),
            form,
        )
        if isinstance(tried.error, lifecycle.TrainerCannotMakeIt):
            # Asked afresh, for this time only.
            form.release.data = False
            form.release_for.data = key
        if tried.done:
            flash(*_rescheduled_message(tried.value, chosen.starts_at))
            return redirect(url_for(".show", request_id=request_id))
    return render_template(
        "requests/reschedule.html",
        form=form,
        training_request=training_request,
        training_session=training_session,
    )


def _typed_time(
    form: RescheduleForm, now: datetime
) -> tuple[tuple[datetime, datetime] | None, DomainError | None]:
    """The new time typed on the form, or the error to show on its field."""
    try:
        ((starts_at, ends_at),) = parse_slots([form.new_row()], now)
    except InvalidSlots as error:
        part = error.errors[0].field.rsplit("_", 1)[-1]
        return None, DomainError(error.message, field=f"new_{part}")
    return (starts_at, ends_at), None


def _chosen(form: RescheduleForm, choices: list) -> lifecycle.TimeChoice:
    wanted = None if form.slot.data == NEW_TIME else form.slot.data
    return next(c for c in choices if str(c.slot_id) == str(wanted))


def _time_key(choice: lifecycle.TimeChoice) -> str:
    return f"{choice.starts_at.isoformat()}/{choice.ends_at.isoformat()}"


def _choice_label(choice: lifecycle.TimeChoice) -> str:
    when = f"{format_datetime(choice.starts_at)}–{format_time(choice.ends_at)}"
    verdict = choice.verdict
    if verdict.is_free:
        return f"{when}: {verdict.name} can do this"
    return f"{when}: {verdict.name} can't ({verdict.reasons})"


def _rescheduled_message(
    outcome: lifecycle.Rescheduled, starts_at: datetime
) -> tuple[str, str]:
    moved = f"Moved to {format_datetime(starts_at)}."
    name = outcome.trainer_name
    if outcome.kept_trainer:
        return (
            f"{moved} {name} will still run it; everyone on the session has been "
            "told and their calendars updated.",
            "success",
        )
    released = f"{moved} {name} couldn't do that time, so they were released."
    if outcome.request_status == RequestStatus.OFFERED:
        trainers = "trainer" if outcome.offers_made == 1 else "trainers"
        return (
            f"{released} We have offered it to {outcome.offers_made} other "
            f"{trainers} and will email you when one accepts.",
            "warning",
        )
    return (
        f"{released} No other trainer is free and near enough then, so the "
        "national office will look for one.",
        "warning",
    )


@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
@organiser_or_office
def edit(request_id: int):
    training_request = get_request_for(current_user, request_id)
    try:
        services.ensure_editable(training_request)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".show", request_id=request_id))
    # Prefill only the first view; a sent form shows what was sent.
    form = RequestForm(
        data=request_form_data(training_request) if request.method == "GET" else None
    )
    del form.group_id
    topics = _offer_topics(form)
    now = utcnow()
    slots = _sent_slots(form, now, topics)
    if slots is not None:
        tried = attempt(
            lambda: lifecycle.change_request(
                training_request,
                get_topic(form.topic_id.data),
                slots,
                form.particulars(),
                **_warnings(form),
                by=current_user,
                now=now,
            ),
            form,
            handles=(NeedsConfirmation,),
        )
        _ask_to_confirm(form, tried.error)
        if tried.done:
            changes = tried.value
            if changes:
                flash(f"Request updated: {'; '.join(changes)}.", "success")
                _warn_if_short_notice(training_request, now)
            else:
                flash("Nothing was changed.", "info")
            return redirect(url_for(".show", request_id=request_id))
    return _form_page(form, training_request.group, training_request)


@bp.route("/<int:request_id>/cancel", methods=["GET", "POST"])
@organiser_or_office
def cancel(request_id: int):
    training_request = get_request_for(current_user, request_id)
    try:
        services.ensure_cancellable(training_request)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".show", request_id=request_id))
    form = CancelForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: lifecycle.cancel_training_request(
                training_request,
                form.reason.data,
                current_user,
                utcnow(),
                confirmed=form.confirm.data,
            ),
            form,
        )
        if tried.done:
            flash("The request has been cancelled.", "success")
            return redirect(url_for(".show", request_id=request_id))
    return render_template(
        "requests/cancel.html",
        form=form,
        training_request=training_request,
        training_session=booked_session_of(training_request.id),
    )


def _sent_slots(
    form: RequestForm, now: datetime, topics: dict[int, Topic]
) -> list[Slot] | None:
    """The slots of a sent form when it is all valid; else None, errors on the form.

    Slots are checked even when another field is wrong, so every error shows at
    once; an end left empty is the chosen topic's usual length after the start.
    """
    if not form.is_submitted() or form.is_adding_time():
        return None
    is_valid = form.validate()
    if any(field.errors for row in form.slot_fields() for field in row):
        return None
    topic = topics.get(form.topic_id.data)
    try:
        slots = parse_slots(
            form.slot_rows(), now, topic.default_minutes if topic else None
        )
    except InvalidSlots as error:
        for each in error.errors:
            show_error(form, each)
        return None
    except DomainError as error:
        show_error(form, error)
        return None
    return slots if is_valid else None


def _warn_if_short_notice(training_request: TrainingRequest, now: datetime) -> None:
    if services.is_short_notice(training_request, now):
        days = current_app.config["SHORT_NOTICE_DAYS"]
        flash(
            f"This request is at short notice: its first slot is less than {days} "
            "days away, so a trainer may be hard to find. Adding later slots helps.",
            "warning",
        )
