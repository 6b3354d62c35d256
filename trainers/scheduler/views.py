"""The office sees what the scheduler is doing."""

from flask import Blueprint, render_template

from trainers import scheduler
from trainers.auth.access import office_required

bp = Blueprint("scheduler", __name__, url_prefix="/office/scheduler")


@bp.route("/")
@office_required
def index():
    leader, jobs = scheduler.status()
    return render_template("scheduler/index.html", leader=leader, jobs=jobs)
