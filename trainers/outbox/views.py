"""The office's view of outgoing mail: what was sent, what is retrying, what failed."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from trainers.auth.access import office_required
from trainers.outbox import services
from trainers.outbox.models import OutboxStatus
from trainers.timeutil import utcnow
from trainers.viewhelpers import attempt

bp = Blueprint("outbox", __name__, url_prefix="/office/mail")


@bp.route("/")
@office_required
def index():
    status = request.args.get("status") or None
    if status not in {s.value for s in OutboxStatus}:
        status = None
    return render_template(
        "outbox/index.html",
        messages=services.listing(status),
        counts=services.counts(),
        status=status,
    )


@bp.route("/<int:message_id>/retry", methods=["POST"])
@office_required
def retry(message_id: int):
    tried = attempt(lambda: services.retry(message_id, utcnow()))
    if tried.done:
        message = tried.value
        flash(
            f"The email to {message.to_address} will be sent again shortly.", "success"
        )
    return redirect(url_for(".index", status="failed"))
