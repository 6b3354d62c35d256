"""Private calendar feeds, the page to manage one's link, and .ics downloads."""

from datetime import timedelta

from flask import Blueprint, Response, abort, make_response, render_template, request
from flask_login import current_user, login_required
from werkzeug.http import http_date, is_resource_modified, quote_etag

from trainers.calendar import feed_links, services
from trainers.calendar.feed import feed_body, feed_version, feed_window
from trainers.extensions import db
from trainers.limits import allow, client_address
from trainers.links import absolute_url
from trainers.sessions.services import get_session_for
from trainers.timeutil import utcnow

bp = Blueprint("calendar", __name__)

ICS = "text/calendar; charset=utf-8"


@bp.route("/calendar/<token>.ics")
def feed(token: str):
    # Polled far more often than any page is opened, and most polls are one
    # statement: read on a pooled connection in autocommit, without the ORM
    # session around it (read_only's way), which cost a twentieth of a poll.
    with db.engine.connect().execution_options(
        isolation_level="AUTOCOMMIT"
    ) as connection:
        version = feed_version(token, utcnow(), connection)
        if version is None:
            # Only a token nobody holds counts against the client: guessing is
            # what the limit stops, and a known feed's poll stays one statement
            # (calendar services poll many people's feeds from few addresses).
            if not allow("RATELIMIT_CALENDAR_FEED", client_address()):
                abort(429)
            abort(404)
        # Headers given whole, not set one by one on a response: most polls end
        # at 304, and there Werkzeug's header bookkeeping is a fifth of the cost.
        headers = {"ETag": quote_etag(version.etag)}
        if version.changed is not None:
            headers["Last-Modified"] = http_date(version.changed)
        if not is_resource_modified(
            request.environ, etag=version.etag, last_modified=version.changed
        ):
            return Response(status=304, headers=headers)
        # Drawn only for a client whose copy is stale.
        body = feed_body(version)
    return Response(body, headers=headers, content_type=ICS)


@bp.route("/account/calendar", methods=["GET", "POST"])
@login_required
def manage():
    link = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "start":
            token = feed_links.start_feed(current_user, utcnow())
            link = absolute_url("calendar.feed", token=token)
        elif action == "stop":
            feed_links.stop_feed(current_user)
        else:
            abort(400)
        db.session.commit()
    past, ahead = feed_window(current_user)
    return render_template(
        "calendar/manage.html",
        link=link,
        webcal=link and "webcal://" + link.split("://", 1)[1],
        has_feed=feed_links.has_feed(current_user),
        window=(_span(past), _span(ahead)),
    )


def _span(length: timedelta) -> str:
    """A feed window's reach as people say it: "1 day", "3 months"."""
    if length.days < 60:
        return f"{length.days} day{'' if length.days == 1 else 's'}"
    return f"{round(length.days / 30.44)} months"


@bp.route("/sessions/<int:session_id>/calendar.ics")
@login_required
def session_file(session_id: int):
    training_session = get_session_for(current_user, session_id)
    response = make_response(services.session_download(training_session))
    response.content_type = ICS
    response.headers["Content-Disposition"] = (
        f'attachment; filename="session-{training_session.id}.ics"'
    )
    return response
