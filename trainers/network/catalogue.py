"""The topic catalogue as groups and trainers read it: what each active topic
covers, how long it usually takes and whether it can run online. The office
manages the catalogue itself in views.py."""

from flask import Blueprint, render_template

from trainers.auth.access import role_required
from trainers.network.services import active_topics
from trainers.viewhelpers import read_only

bp = Blueprint("catalogue", __name__, url_prefix="/topics")


@bp.route("/")
@read_only
@role_required("organiser", "trainer", "office")
def topics():
    return render_template("network/catalogue.html", topics=active_topics())
