"""The office's webhook pages: endpoints, their delivery logs, and what the
office may do to each. A secret is shown once, on the page that answers the
form that made it, and never again."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from trainers.auth.access import office_required
from trainers.timeutil import utcnow
from trainers.viewhelpers import attempt, read_only
from trainers.webhooks import services
from trainers.webhooks.forms import EndpointForm, EventsForm

bp = Blueprint("webhooks", __name__, url_prefix="/office/webhooks")


@bp.route("/")
@read_only
@office_required
def index():
    return render_template("webhooks/index.html", endpoints=services.endpoints())


@bp.route("/new", methods=["GET", "POST"])
@office_required
def new():
    form = EndpointForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: _with_secret(
                *services.add_endpoint(form.url.data, form.events.data, utcnow())
            ),
            form,
        )
        if tried.done:
            return _secret_page(*tried.value, made=True)
    return render_template("webhooks/new.html", form=form)


@bp.route("/<int:endpoint_id>")
@read_only
@office_required
def show(endpoint_id: int):
    endpoint = services.get_endpoint(endpoint_id)
    return _show(endpoint_id, EventsForm(data={"events": endpoint.event_types}))


def _show(endpoint_id: int, form: EventsForm, status: int = 200):
    return (
        render_template(
            "webhooks/show.html",
            endpoint=services.get_endpoint(endpoint_id),
            deliveries=services.deliveries(
                endpoint_id, request.args.get("page", 1, type=int)
            ),
            form=form,
            now=utcnow(),
        ),
        status,
    )


@bp.route("/<int:endpoint_id>/events", methods=["POST"])
@office_required
def change_events(endpoint_id: int):
    form = EventsForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: services.change_events(endpoint_id, form.events.data), form
        )
        if tried.done:
            flash("The endpoint's events are saved.", "success")
            return redirect(url_for(".show", endpoint_id=endpoint_id))
    return _show(endpoint_id, form, 400)


@bp.route("/<int:endpoint_id>/rotate", methods=["POST"])
@office_required
def rotate(endpoint_id: int):
    tried = attempt(
        lambda: _with_secret(*services.rotate_secret(endpoint_id, utcnow()))
    )
    return _secret_page(*tried.value, made=False)


@bp.route("/<int:endpoint_id>/disable", methods=["POST"])
@office_required
def disable(endpoint_id: int):
    if attempt(lambda: services.disable(endpoint_id, utcnow())).done:
        flash("Nothing more will be sent to that endpoint.", "success")
    return redirect(url_for(".show", endpoint_id=endpoint_id))


@bp.route("/<int:endpoint_id>/enable", methods=["POST"])
@office_required
def enable(endpoint_id: int):
    if attempt(lambda: services.enable(endpoint_id)).done:
        flash(
            "The endpoint is enabled: new events will be sent to it. Send again "
            "any message it missed from its log.",
            "success",
        )
    return redirect(url_for(".show", endpoint_id=endpoint_id))


@bp.route("/<int:endpoint_id>/test", methods=["POST"])
@office_required
def send_test(endpoint_id: int):
    if attempt(lambda: services.send_test(endpoint_id, utcnow())).done:
        flash("A test event will be sent in a moment: see it below.", "success")
    return redirect(url_for(".show", endpoint_id=endpoint_id))


@bp.route("/messages/<int:delivery_id>/send-again", methods=["POST"])
@office_required
def send_again(delivery_id: int):
    tried = attempt(lambda: services.send_again(delivery_id, utcnow()).endpoint_id)
    if tried.done:
        flash("That message will be sent again in a moment.", "success")
        return redirect(url_for(".show", endpoint_id=tried.value))
    return redirect(url_for(".index"))


def _with_secret(endpoint, secret: str) -> tuple[int, str, str]:
    # Read before the commit expires the endpoint.
    return endpoint.id, endpoint.url, secret


def _secret_page(endpoint_id: int, url: str, secret: str, made: bool):
    return render_template(
        "webhooks/secret.html",
        endpoint_id=endpoint_id,
        url=url,
        secret=secret,
        made=made,
    )
