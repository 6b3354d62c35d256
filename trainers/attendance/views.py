"""Recording who came to a session, the organiser's rating and the trainer's report."""

from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from trainers.attendance import services
from trainers.attendance.forms import (
    HeadcountForm,
    PersonForm,
    RatingForm,
    ReportForm,
    RosterUploadForm,
)
from trainers.attendance.roster_csv import InvalidPerson, RosterFileError
from trainers.extensions import db
from trainers.sessions.services import get_session_for
from trainers.timeutil import utcnow
from trainers.viewhelpers import attempt, show_error

bp = Blueprint("attendance", __name__, url_prefix="/sessions")


@bp.route("/<int:session_id>/attendance")
@login_required
def show(session_id: int):
    return _page(session_id)


def _page(session_id: int, status: int = 200, **forms):
    """The attendance page; reading the roster is written to the audit log."""
    training_session = services.session_for_roster(current_user, session_id)
    attendance = services.attendance_of(session_id)
    headcount_form = forms.get("headcount_form") or HeadcountForm(
        headcount=attendance.headcount if attendance else None
    )
    upload_form = forms.get("upload_form") or RosterUploadForm()
    page = render_template(
        "attendance/show.html",
        training_session=training_session,
        attendance=attendance,
        problem=services.recording_problem(training_session, utcnow()),
        roster=services.show_roster(training_session, current_user),
        headcount_form=headcount_form,
        person_form=forms.get("person_form") or PersonForm(),
        upload_form=upload_form,
        row_errors=getattr(upload_form, "row_errors", []),
    )
    db.session.commit()  # the audit entry for reading the roster
    return page, status


@bp.route("/<int:session_id>/attendance", methods=["POST"])
@login_required
def record(session_id: int):
    training_session = services.session_for_roster(current_user, session_id)
    form = HeadcountForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: (
                services.record_attendance(
                    training_session, form.headcount.data, current_user, utcnow()
                ).people_count
            ),
            form,
        )
        if tried.done:
            people = tried.value
            flash(
                f"Attendance recorded: {people} {'person' if people == 1 else 'people'}.",
                "success",
            )
            return redirect(url_for(".show", session_id=session_id))
    return _page(session_id, status=400, headcount_form=form)


@bp.route("/<int:session_id>/attendance/people", methods=["POST"])
@login_required
def add_person(session_id: int):
    training_session = services.session_for_roster(current_user, session_id)
    form = PersonForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: services.add_attendee(
                training_session,
                form.name.data,
                form.email.data,
                consent=form.consent.data,
                is_walk_in=form.is_walk_in.data,
                by=current_user,
                now=utcnow(),
            ),
            form,
            handles=(InvalidPerson,),
        )
        if isinstance(tried.error, InvalidPerson):
            for each in tried.error.errors:
                show_error(form, each)
        if tried.done:
            # Never the name: flashed messages travel in the session cookie.
            flash("Added to the roster.", "success")
            return redirect(url_for(".show", session_id=session_id) + "#roster")
    return _page(session_id, status=400, person_form=form)


@bp.route("/<int:session_id>/attendance/upload", methods=["POST"])
@login_required
def upload(session_id: int):
    training_session = services.session_for_roster(current_user, session_id)
    form = RosterUploadForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: len(
                services.upload_roster(
                    training_session,
                    form.roster_file.data.read(
                        current_app.config["ROSTER_UPLOAD_MAX_BYTES"] + 1
                    ),
                    current_user,
                    utcnow(),
                )
            ),
            form,
        )
        if isinstance(tried.error, RosterFileError):
            form.row_errors = tried.error.errors
        if tried.done:
            added = tried.value
            flash(
                f"{added} {'person' if added == 1 else 'people'} added to the roster.",
                "success",
            )
            return redirect(url_for(".show", session_id=session_id) + "#roster")
    return _page(session_id, status=400, upload_form=form)


@bp.route(
    "/<int:session_id>/attendance/people/<int:attendee_id>/remove", methods=["POST"]
)
@login_required
def remove_person(session_id: int, attendee_id: int):
    training_session = services.session_for_roster(current_user, session_id)
    services.remove_attendee(training_session, attendee_id, current_user, utcnow())
    db.session.commit()
    flash("Removed from the roster.", "success")
    return redirect(url_for(".show", session_id=session_id) + "#roster")


@bp.route("/<int:session_id>/rating", methods=["GET", "POST"])
@login_required
def rate(session_id: int):
    return _feedback_page(
        session_id,
        may=services.may_rate,
        form_class=RatingForm,
        saved=lambda a: (
            a.rated_at and {"rating": a.rating, "comment": a.rating_comment}
        ),
        save=lambda training_session, form: services.rate_session(
            training_session,
            current_user,
            form.rating.data,
            form.comment.data,
            utcnow(),
        ),
        template="attendance/rate.html",
        thanks="Thank you: your rating is saved.",
    )


@bp.route("/<int:session_id>/report", methods=["GET", "POST"])
@login_required
def report(session_id: int):
    return _feedback_page(
        session_id,
        may=services.may_report,
        form_class=ReportForm,
        saved=lambda a: (
            a.reported_at
            and {"went_well": a.went_well, "follow_up_requested": a.follow_up_requested}
        ),
        save=lambda training_session, form: services.report_session(
            training_session,
            current_user,
            form.went_well.data,
            form.follow_up_requested.data,
            utcnow(),
        ),
        template="attendance/report.html",
        thanks="Thank you: your report is saved.",
    )


def _feedback_page(
    session_id: int,
    *,
    may: Callable,
    form_class: type[FlaskForm],
    saved: Callable,
    save: Callable,
    template: str,
    thanks: str,
):
    """A rating or report page: only for whom `may` allows (others get 404), the
    saved answer shown for editing."""
    training_session = get_session_for(current_user, session_id)
    if not may(current_user, training_session):
        abort(404)
    attendance = services.attendance_of(session_id)
    answer = saved(attendance) if attendance is not None else None
    # Prefill only the first view; a sent form shows what was sent.
    form = form_class(data=answer if request.method == "GET" and answer else None)
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            if attempt(lambda: save(training_session, form), form).done:
                flash(thanks, "success")
                return redirect(url_for("sessions.show", session_id=session_id))
    page = render_template(
        template, training_session=training_session, attendance=attendance, form=form
    )
    return page, status
