"""Sign in and out, accept an invitation, reset or change a password."""

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from trainers.auth import services
from trainers.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ContactForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
)
from trainers.extensions import db
from trainers.limits import allow, client_address, limit
from trainers.timeutil import utcnow
from trainers.viewhelpers import attempt, safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limit("RATELIMIT_SIGN_IN", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.email.data, form.password.data, client_address(), utcnow()
            )
        except services.SignInRefused as error:
            db.session.commit()  # keep the failure count
            flash(error.message, "error")
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("home.index")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limit("RATELIMIT_ACCEPT_INVITATION")
def accept_invitation(token: str):
    try:
        invitation = services.usable_invitation(token, utcnow())
    except services.InvalidToken as error:
        return _link_invalid(error)
    form = AcceptInvitationForm(
        name=invitation.name if request.method == "GET" else None
    )
    if form.validate_on_submit():
        tried = attempt(
            lambda: services.accept_invitation(
                token, form.name.data, form.password.data, utcnow()
            ),
            form,
            handles=(services.InvalidToken,),
        )
        if isinstance(tried.error, services.InvalidToken):
            return _link_invalid(tried.error)
        if tried.done:
            user = tried.value
            logout_user()
            login_user(user)
            flash(f"Welcome to Trainers' Network, {user.name}.", "success")
            return redirect(url_for("home.index"))
    return render_template(
        "auth/accept_invitation.html", form=form, invitation=invitation
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
@limit("RATELIMIT_PASSWORD_RESET", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        started = time.monotonic()
        # Counted for every address, known or not, and answered alike either way.
        address = services.normalise_email(form.email.data)
        if allow("RATELIMIT_RESET_EMAILS", address):
            services.request_password_reset(address, utcnow())
            db.session.commit()
        # Emailing a known address takes longer than ignoring an unknown one.
        floor = current_app.config["PASSWORD_RESET_ANSWER_SECONDS"]
        time.sleep(max(0.0, floor - (time.monotonic() - started)))
        flash(
            "If that address has an account, we have emailed it a link to reset the "
            "password. Check your inbox (and spam folder).",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.usable_reset(token, utcnow())
    except services.InvalidToken as error:
        return _link_invalid(error)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: services.reset_password(token, form.password.data, utcnow()),
            form,
            handles=(services.InvalidToken,),
        )
        if isinstance(tried.error, services.InvalidToken):
            return _link_invalid(tried.error)
        if tried.done:
            logout_user()
            flash(
                "Your password has been changed. Sign in with the new one.", "success"
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: services.change_password(
                current_user, form.current_password.data, form.password.data
            ),
            form,
        )
        if tried.done:
            flash("Your password has been changed.", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/contact", methods=["GET", "POST"])
@login_required
def contact():
    form = ContactForm(
        data={"phone": current_user.phone} if request.method == "GET" else None
    )
    if form.validate_on_submit():
        tried = attempt(lambda: services.set_phone(current_user, form.phone.data), form)
        if tried.done:
            flash(
                "Phone number saved."
                if current_user.phone
                else "Phone number removed.",
                "success",
            )
            return redirect(url_for("auth.contact"))
    return render_template("auth/contact.html", form=form)


def _link_invalid(error: services.InvalidToken):
    return render_template("auth/link_invalid.html", message=error.message), 404
