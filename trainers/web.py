"""HTTP wiring: blueprints, error pages, security headers, template filters."""

import logging
from datetime import timedelta

from flask import (
    Flask,
    Request,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_url
from flask_wtf.csrf import CSRFError
from sqlalchemy import Select, bindparam, select
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from trainers import limits
from trainers.api import problems, wiring
from trainers.errors import NotFound
from trainers.extensions import db, login_manager
from trainers.numbers import LARGEST, whole_number
from trainers.statements import built_once
from trainers.timeutil import (
    duration_in_words,
    format_date,
    format_datetime,
    format_time,
    utcnow,
)

logger = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class IdConverter(IntegerConverter):
    """`<int:...>` in a route: an id no column can hold is 404 at once."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST)
        super().__init__(url_map, *args, **kwargs)


class Parameters(ImmutableMultiDict):
    """A query string's or a form's values: `get(name, type=int)` gives the
    default, as for any text that is not a number, for one no column can hold."""

    def get(self, key, default=None, type=None):  # noqa: A002 - Werkzeug's name
        return super().get(key, default, whole_number if type is int else type)


class TrainersRequest(Request):
    parameter_storage_class = Parameters


def init_app(app: Flask) -> None:
    """Register blueprints, handlers, filters and commands on the app."""
    from trainers.attendance.views import bp as attendance_bp
    from trainers.auth.views import bp as auth_bp
    from trainers.board.views import bp as board_bp
    from trainers.calendar.views import bp as calendar_bp
    from trainers.cli import register_commands
    from trainers.coverage.dashboard.views import bp as coverage_bp
    from trainers.coverage.recruiting.views import bp as recruiting_bp
    from trainers.home.views import bp as home_bp
    from trainers.imports.views import bp as imports_bp
    from trainers.matching.views import bp as matching_bp
    from trainers.network.catalogue import bp as catalogue_bp
    from trainers.network.views import bp as network_bp
    from trainers.outbox.views import bp as outbox_bp
    from trainers.privacy.views import bp as privacy_bp
    from trainers.profiles.views import bp as profiles_bp
    from trainers.requests.views import bp as requests_bp
    from trainers.scheduler.views import bp as scheduler_bp
    from trainers.sessions.views import bp as sessions_bp
    from trainers.webhooks.views import bp as webhooks_bp

    # Set before any route is added: each rule takes its converters when added.
    app.url_map.converters["int"] = IdConverter
    app.request_class = TrainersRequest
    for blueprint in (
        home_bp,
        auth_bp,
        network_bp,
        imports_bp,
        catalogue_bp,
        profiles_bp,
        requests_bp,
        matching_bp,
        board_bp,
        sessions_bp,
        outbox_bp,
        webhooks_bp,
        calendar_bp,
        scheduler_bp,
        attendance_bp,
        coverage_bp,
        recruiting_bp,
        privacy_bp,
    ):
        app.register_blueprint(blueprint)

    wiring.init_app(app)
    _init_login()
    _init_errors(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.before_request(_refuse_nul_characters)
    app.before_request(_read_only_without_transaction)
    app.before_request(_load_signed_in_user)
    app.after_request(_security_headers)
    app.context_processor(_site_links)
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_time, "time")
    app.add_template_filter(duration_in_words, "duration")
    register_commands(app)


def _init_login() -> None:
    from trainers.auth import sign_ins
    from trainers.auth.models import SignIn, User
    from trainers.auth.tokens import hash_token
    from trainers.profiles.roles import with_roles

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"

    # One statement per page finds the account and the sign-in its cookie
    # names. The navigation on every page asks for the roles: read with the
    # account as a count and a flag, not by loading the groups and profile (as
    # objects they cost more than the rest of the lookup).
    @built_once
    def signed_in_with_roles() -> Select:
        return (
            select(
                User,
                SignIn.id.label("sign_in_id"),
                SignIn.created_at,
                SignIn.last_seen_at,
                SignIn.kept,
            )
            .join(SignIn, SignIn.user_id == User.id)
            .options(*with_roles())
            .where(
                User.id == bindparam("user_id"),
                SignIn.token_hash == bindparam("token_hash"),
            )
        )

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        token = session.get(sign_ins.SESSION_KEY)
        if not user_id.isdigit() or not isinstance(token, str):
            return _signed_out(None)
        row = db.session.execute(
            signed_in_with_roles(),
            {"user_id": int(user_id), "token_hash": hash_token(token)},
        ).first()
        if row is None or not row.User.is_active:
            return _signed_out(sign_ins.ENDED_ELSEWHERE)
        # The sign-in's times as plain columns: building it as an object too
        # would cost a page more than the check itself.
        user, sign_in = row.User, row
        now = utcnow()
        reason = sign_ins.why_ended(sign_in, user, now)
        if reason is not None:
            sign_ins.forget(sign_in.sign_in_id)
            return _signed_out(reason)
        if sign_ins.is_stale(sign_in, now):
            sign_ins.touch(sign_in.sign_in_id, now)
        g.sign_in_id = sign_in.sign_in_id
        return user

    def _signed_out(reason: str | None) -> None:
        # The cookie names a sign-in that has ended (or one from before sign-ins
        # were kept on the server): forget it, so the next page looks no more.
        for key in ("_user_id", "_fresh", "_id", sign_ins.SESSION_KEY):
            session.pop(key, None)
        session.permanent = False
        if reason:
            flash(reason, "info")
            g.signed_out_because = reason

    @login_manager.unauthorized_handler
    def unauthorized():
        # Whoever was just signed out has been told why, not asked to sign in.
        if not g.get("signed_out_because"):
            flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(login_url(login_manager.login_view, request.url))


def _load_signed_in_user():
    # Read before the page writes anything: a sign-in that has run out or is
    # due a new "last seen" is written on a connection of its own, which must
    # not wait behind this page's own writes (SQLite locks the whole file).
    # The API never reads the session cookie: its calls carry a token instead.
    if request.endpoint != "static" and not problems.is_api_call():
        _ = current_user.is_authenticated


def _init_errors(app: Flask) -> None:
    def page(status: int, title: str, message: str):
        if problems.is_api_call():
            problem = problems.Problem(status, message, title=title)
            return problems.response(problem), status
        return (
            render_template(
                "errors/error.html", status=status, title=title, message=message
            ),
            status,
        )

    @app.errorhandler(400)
    def bad_request(error):
        return page(
            400, "Something was wrong with that request", str(error.description)
        )

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return page(
            400,
            "That form had expired",
            "For your security the form could not be sent. Go back, reload the "
            "page and try again.",
        )

    @app.errorhandler(403)
    def forbidden(error):
        return page(403, "Not for your account", "Your account cannot open this page.")

    @app.errorhandler(404)
    @app.errorhandler(NotFound)
    def not_found(error):
        return page(
            404, "Page not found", "There is nothing here, or it is not yours to see."
        )

    @app.errorhandler(413)
    def too_large(error):
        megabytes = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return page(
            413,
            "That was too big to send",
            f"Nothing was saved. Files and forms can be at most {megabytes} MB.",
        )

    @app.errorhandler(429)
    def too_many_requests(error):
        wait = limits.seconds_to_wait()
        in_words = duration_in_words(timedelta(seconds=wait))
        body, status = page(
            429,
            "Too many tries",
            "You (or someone sharing your internet connection) have done this "
            f"too many times in a short while. Please wait {in_words} and try again.",
        )
        return body, status, {"Retry-After": str(wait)}

    @app.errorhandler(405)
    def method_not_allowed(error):
        body, status = page(405, "Not allowed", "That page cannot be used that way.")
        # As HTTP asks: the methods it can be used with.
        return body, status, {"Allow": ", ".join(error.valid_methods or ())}

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return page(
            500,
            "Something went wrong on our side",
            "Nothing you sent was half-saved. Please try again in a moment; if it "
            "keeps happening, tell the national office.",
        )


# The links every page's header and footer carry (endpoint, then any values).
SITE_LINKS = (
    ("static", {"filename": "css/app.css"}),
    ("static", {"filename": "coverage.css"}),
    ("home.index", {}),
    ("home.about", {}),
    ("home.welcome", {}),
    ("home.privacy", {}),
    ("auth.login", {}),
    ("requests.index", {}),
    ("profiles.show", {}),
    ("network.groups", {}),
    ("network.topics", {}),
    ("network.people", {}),
    ("imports.index", {}),
    ("matching.plan", {}),
    ("coverage.dashboard", {}),
    ("recruiting.cold_spots", {}),
    ("recruiting.data_quality", {}),
    ("outbox.index", {}),
    ("webhooks.index", {}),
    ("calendar.manage", {}),
    ("auth.contact", {}),
    ("auth.change_password", {}),
    ("auth.sign_ins_list", {}),
    ("auth.api_tokens_page", {}),
    ("auth.logout", {}),
)


def _site_links() -> dict:
    # The same on every page, so built once per mount point rather than by a
    # dozen url_for calls each time a page is drawn. Mail is drawn outside any
    # request and has no use for them.
    if not has_request_context():
        return {}
    built = current_app.extensions.setdefault("site_links", {})
    root = request.script_root
    if root not in built:
        built[root] = {
            values.get("filename", endpoint): url_for(endpoint, **values)
            for endpoint, values in SITE_LINKS
        }
    return {"site": built[root]}


def _refuse_nul_characters():
    # Nobody types a NUL character, and PostgreSQL cannot store one: a form
    # (or the API's JSON) holding one would otherwise fail half-way through
    # saving. Only what was sent is parsed: most requests are GETs with neither
    # query nor form.
    sent = []
    if request.query_string:
        sent.append(request.args)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sent.append(request.form)
    for values in sent:
        for name, value in values.items(multi=True):
            if "\x00" in name or "\x00" in value:
                abort(400, "That form held a character that cannot be stored.")
    if request.is_json:
        try:
            document = request.get_json(silent=True)
        except RecursionError:
            abort(400, "What was sent nests too deeply to be read.")
        if _holds_nul(document):
            abort(400, "What was sent held a character that cannot be stored.")


def _holds_nul(document) -> bool:
    """Whether a JSON document holds a NUL character in any key or text."""
    # A stack rather than recursion: a document may nest deeper than Python.
    waiting = [document]
    while waiting:
        value = waiting.pop()
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, dict):
            waiting.extend(value.keys())
            waiting.extend(value.values())
        elif isinstance(value, list):
            waiting.extend(value)
    return False


def _read_only_without_transaction():
    # A page that only reads needs no transaction (PostgreSQL gives each
    # statement its own snapshot either way): in autocommit it is spared a
    # BEGIN and a ROLLBACK, and its statements stay prepared on the pooled
    # connection, planned once rather than on every request (psycopg forgets
    # prepared statements on every rollback).
    view = current_app.view_functions.get(request.endpoint)
    if request.method in ("GET", "HEAD") and getattr(view, "is_read_only", False):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        # Any page, feed or download may hold personal data: no browser or
        # proxy may keep a copy, whoever asked. Only our own files may be kept.
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["APP_ENV"] == "production":
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    return response
