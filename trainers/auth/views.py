"""Sign in and out, accept an invitation, reset or change a password."""

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from trainers.auth import api_tokens, services, sign_ins
from trainers.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ContactForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
)
from trainers.auth.models import User
from trainers.auth.token_pages import make_from_form
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
            _sign_in(user, kept=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("home.index")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    _sign_out()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/sign-ins")
@login_required
def sign_ins_list():
    return render_template(
        "auth/sign_ins.html",
        sign_ins=sign_ins.live_sign_ins(current_user, utcnow()),
        this_sign_in=g.sign_in_id,
        limits=sign_ins.limits(current_user, kept=False),
        kept_limits=sign_ins.limits(current_user, kept=True),
    )


@bp.route("/account/sign-ins/end", methods=["POST"])
@login_required
def sign_out_everywhere():
    sign_ins.end_all(current_user.id)
    db.session.commit()
    _sign_out()
    flash("You are signed out everywhere, on this device too.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@login_required
def api_tokens_page():
    form, made = make_from_form(current_user)
    return render_template(
        "auth/api_tokens.html",
        form=form,
        made=made,
        tokens=api_tokens.tokens_of(current_user),
        now=utcnow(),
    )


@bp.route("/account/api-tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_api_token(token_id: int):
    tried = attempt(
        lambda: api_tokens.revoke_token(current_user, token_id, utcnow()).name
    )
    if tried.done:
        flash(f'The token "{tried.value}" is revoked.', "success")
    return redirect(url_for("auth.api_tokens_page"))


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
            _sign_out()
            _sign_in(user, kept=False)
            flash(f"Welcome to Trainers' Network, {user.name}.", "success")
            return redirect(url_for("home.index"))
    return render_template(
        "auth/accept_invitation.html",
        form=form,
        invitation=invitation,
        joining_as=services.invitation_in_words(invitation),
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
            _sign_out()
            flash(
                "Your password has been changed and you are signed out everywhere. "
                "Sign in with the new one.",
                "success",
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
                current_user,
                form.current_password.data,
                form.password.data,
                g.sign_in_id,
            ),
            form,
        )
        if tried.done:
            flash(
                "Your password has been changed, and you are signed out on every "
                "other device.",
                "success",
            )
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


def _sign_in(user: User, kept: bool) -> None:
    # A new token at every sign-in: none known beforehand is ever signed in.
    token = sign_ins.start(user, kept, request.user_agent.string, utcnow())
    db.session.commit()
    session[sign_ins.SESSION_KEY] = token
    # A kept sign-in's cookie outlives the browser; the server still ends it.
    session.permanent = kept and sign_ins.may_keep(user)
    login_user(user)


def _sign_out() -> None:
    # This browser's sign-in ends on the server, so a copy of its cookie is
    # worth nothing either.
    if g.get("sign_in_id") is not None:
        sign_ins.end(g.pop("sign_in_id"))
        db.session.commit()
    session.pop(sign_ins.SESSION_KEY, None)
    session.permanent = False
    logout_user()


def _link_invalid(error: services.InvalidToken):
    return render_template("auth/link_invalid.html", message=error.message), 404
