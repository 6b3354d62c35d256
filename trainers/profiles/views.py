"""A trainer's profile: their own to keep, and the office's to manage for anyone."""

from datetime import date

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

from trainers.auth.access import role_required
from trainers.busy import services as busy
from trainers.busy.forms import CalendarFeedForm
from trainers.extensions import db
from trainers.matching import absence
from trainers.network.services import active_topics
from trainers.profiles import services
from trainers.profiles.forms import (
    AvailabilityForm,
    BasicsForm,
    BoardEmailsForm,
    DayOffForm,
    topics_form,
)
from trainers.timeutil import to_local, utcnow
from trainers.viewhelpers import attempt

bp = Blueprint("profiles", __name__)

trainer_or_office = role_required("trainer", "office")


def _today() -> date:
    return to_local(utcnow()).date()


def _saved(message: str, endpoint: str, user_id: int):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, user_id=user_id))


@bp.get("/profile")
@role_required("trainer")
def show():
    return redirect(url_for("profiles.detail", user_id=current_user.id))


@bp.get("/trainers/<int:user_id>/profile")
@trainer_or_office
def detail(user_id: int):
    profile = services.get_trainer_profile(current_user, user_id)
    return render_template(
        "profiles/show.html",
        profile=profile,
        gaps=services.profile_gaps(profile),
        today=_today(),
        calendar=busy.calendar_state(user_id, utcnow()),
    )


@bp.route("/trainers/<int:user_id>/profile/basics", methods=["GET", "POST"])
@trainer_or_office
def edit_basics(user_id: int):
    profile = services.get_trainer_profile(current_user, user_id)
    current = {
        "home_postcode": profile.home_district,
        "travel_radius_km": profile.travel_radius_km,
        "monthly_cap": profile.monthly_cap,
    }
    form = BasicsForm(data=current if request.method == "GET" else None)
    if form.validate_on_submit():
        tried = attempt(
            lambda: services.update_basics(
                profile,
                form.home_postcode.data,
                form.travel_radius_km.data,
                form.monthly_cap.data,
            ),
            form,
        )
        if tried.done:
            return _saved(
                "Home district, travel radius and monthly cap saved.",
                "profiles.detail",
                user_id,
            )
    return render_template("profiles/basics.html", profile=profile, form=form)


@bp.route("/trainers/<int:user_id>/profile/emails", methods=["GET", "POST"])
@trainer_or_office
def board_emails(user_id: int):
    profile = services.get_trainer_profile(current_user, user_id)
    form = BoardEmailsForm(
        data={"has_board_emails": profile.has_board_emails}
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        wanted = form.has_board_emails.data
        tried = attempt(
            lambda: services.set_board_emails(profile, wanted, utcnow()), form
        )
        if tried.done:
            said = "You will be emailed" if wanted else "No more emails"
            return _saved(
                f"{said} about new requests near you.", "profiles.detail", user_id
            )
    return render_template("profiles/board_emails.html", profile=profile, form=form)


@bp.route("/trainers/<int:user_id>/profile/topics", methods=["GET", "POST"])
@trainer_or_office
def edit_topics(user_id: int):
    profile = services.get_trainer_profile(current_user, user_id)
    topics = active_topics()
    form = topics_form(topics, {row.topic_id: row.level for row in profile.topics})
    if form.validate_on_submit():
        tried = attempt(lambda: services.set_topics(profile, form.levels(topics)), form)
        if tried.done:
            return _saved("Topics saved.", "profiles.detail", user_id)
    return render_template(
        "profiles/topics.html", profile=profile, form=form, topics=topics
    )


@bp.route("/trainers/<int:user_id>/profile/availability", methods=["GET", "POST"])
@trainer_or_office
def availability(user_id: int):
    profile = services.get_trainer_profile(current_user, user_id)
    form = AvailabilityForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: services.add_availability(
                profile, form.weekday.data, form.start_time.data, form.end_time.data
            ),
            form,
        )
        if tried.done:
            window = tried.value
            label = services.window_label(window)
            return _saved(f"Added {label}.", "profiles.availability", user_id)
    return render_template("profiles/availability.html", profile=profile, form=form)


@bp.post("/trainers/<int:user_id>/profile/availability/<int:window_id>/remove")
@trainer_or_office
def remove_availability(user_id: int, window_id: int):
    profile = services.get_trainer_profile(current_user, user_id)
    window = services.remove_availability(profile, window_id)
    label = services.window_label(window)
    return _saved(f"Removed {label}.", "profiles.availability", user_id)


@bp.route("/trainers/<int:user_id>/profile/days-off", methods=["GET", "POST"])
@trainer_or_office
def days_off(user_id: int):
    profile = services.get_trainer_profile(current_user, user_id)
    form = DayOffForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: absence.add_days_off(
                profile,
                form.first_on.data,
                form.last_on.data,
                form.note.data,
                _today(),
                utcnow(),
                hand_back=form.hand_back.data,
                by=current_user,
            ),
            form,
        )
        if tried.done:
            day_off = tried.value
            label = services.days_label(day_off)
            return _saved(f"Added days off: {label}.", "profiles.days_off", user_id)
    return render_template(
        "profiles/days_off.html", profile=profile, form=form, today=_today()
    )


@bp.post("/trainers/<int:user_id>/profile/days-off/<int:day_off_id>/remove")
@trainer_or_office
def remove_day_off(user_id: int, day_off_id: int):
    profile = services.get_trainer_profile(current_user, user_id)
    day_off = services.remove_day_off(profile, day_off_id)
    label = services.days_label(day_off)
    return _saved(f"Removed days off: {label}.", "profiles.days_off", user_id)


@bp.route("/trainers/<int:user_id>/profile/calendar", methods=["GET", "POST"])
@trainer_or_office
def calendar(user_id: int):
    profile = services.get_trainer_profile(current_user, user_id)
    form = CalendarFeedForm()
    if form.validate_on_submit():
        tried = attempt(lambda: busy.set_feed(user_id, form.url.data, utcnow()), form)
        if tried.done:
            return _saved(
                "Calendar address saved. It will be read within a few minutes.",
                "profiles.calendar",
                user_id,
            )
    return render_template(
        "profiles/calendar.html",
        profile=profile,
        form=form,
        calendar=busy.calendar_state(user_id, utcnow()),
        stale_hours=current_app.config["BUSY_STALE_HOURS"],
    )


@bp.post("/trainers/<int:user_id>/profile/calendar/remove")
@trainer_or_office
def remove_calendar(user_id: int):
    services.get_trainer_profile(current_user, user_id)
    busy.remove_feed(user_id)
    return _saved(
        "Calendar address removed, with the busy times read from it.",
        "profiles.calendar",
        user_id,
    )
