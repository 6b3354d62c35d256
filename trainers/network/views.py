"""The national office manages groups, topics and people."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from trainers.auth import services as accounts
from trainers.auth import sign_ins
from trainers.auth.access import office_required
from trainers.auth.token_pages import make_from_form
from trainers.extensions import db
from trainers.geo import REGIONS
from trainers.limits import limit
from trainers.listing import filters_chosen
from trainers.matching import absence
from trainers.network import services
from trainers.network.forms import (
    DeactivateForm,
    GroupForm,
    InviteForm,
    PeopleFilterForm,
    TopicForm,
)
from trainers.network.people import PeopleFilters, people_page
from trainers.timeutil import utcnow
from trainers.viewhelpers import attempt

bp = Blueprint("network", __name__, url_prefix="/office")

PER_PAGE = 50


@bp.before_request
@office_required
def require_office():
    """Every page here is the national office's alone."""


@bp.route("/groups")
def groups():
    region = request.args.get("region") or None
    if region not in REGIONS:
        region = None
    return render_template(
        "network/groups.html",
        rows=services.group_list(region),
        regions=REGIONS,
        region=region,
    )


@bp.route("/groups/new", methods=["GET", "POST"])
def new_group():
    return _group_form(None)


@bp.route("/groups/<int:group_id>")
def group(group_id: int):
    return render_template("network/group.html", group=services.get_group(group_id))


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
def edit_group(group_id: int):
    return _group_form(services.get_group(group_id))


def _group_form(group):
    form = GroupForm(obj=group)
    if group is not None and request.method == "GET":
        form.postcode.data = group.postcode_district
    if form.validate_on_submit():
        tried = attempt(
            lambda: services.save_group(
                group,
                form.name.data,
                form.postcode.data,
                form.region.data,
                form.is_active.data,
            ),
            form,
        )
        if tried.done:
            group = tried.value
            flash(f"{group.name} saved.", "success")
            return redirect(url_for("network.group", group_id=group.id))
    return render_template("network/group_form.html", form=form, group=group)


@bp.route("/groups/<int:group_id>/organisers/<int:user_id>/remove", methods=["POST"])
def remove_organiser(group_id: int, user_id: int):
    group = services.get_group(group_id)
    user = services.remove_organiser(group, user_id)
    db.session.commit()
    flash(f"{user.name} no longer organises {group.name}.", "success")
    return redirect(url_for("network.group", group_id=group.id))


@bp.route("/topics")
def topics():
    return render_template("network/topics.html", topics=services.all_topics())


@bp.route("/topics/new", methods=["GET", "POST"])
def new_topic():
    return _topic_form(None)


@bp.route("/topics/<int:topic_id>/edit", methods=["GET", "POST"])
def edit_topic(topic_id: int):
    return _topic_form(services.get_topic(topic_id))


def _topic_form(topic):
    form = TopicForm(obj=topic)
    if form.validate_on_submit():
        tried = attempt(
            lambda: services.save_topic(
                topic,
                form.name.data,
                form.summary.data,
                form.default_minutes.data,
                form.is_online_capable.data,
                form.is_active.data,
                trainers_needed=form.trainers_needed.data or 1,
                extra_trainer_above=form.extra_trainer_above.data,
            ),
            form,
        )
        if tried.done:
            topic = tried.value
            flash(f"{topic.name} saved.", "success")
            return redirect(url_for("network.topics"))
    return render_template("network/topic_form.html", form=form, topic=topic)


@bp.route("/people")
def people():
    form = PeopleFilterForm(formdata=request.args)
    form.topic_id.choices = [SelectChoice("", "Any topic")] + [
        SelectChoice(str(topic.id), topic.name) for topic in services.all_topics()
    ]
    form.validate()
    filters = filters_chosen(form)
    invitations = services.open_invitations(utcnow())
    return render_template(
        "network/people.html",
        form=form,
        filters=filters,
        page=people_page(
            PeopleFilters.chosen(filters),
            page=request.args.get("page", 1, type=int),
            per_page=PER_PAGE,
        ),
        invitations=invitations,
        joining_as={
            invitation.id: accounts.invitation_in_words(invitation)
            for invitation in invitations
        },
        now=utcnow(),
    )


@bp.route("/people/invite", methods=["GET", "POST"])
@limit("RATELIMIT_INVITE", methods=["POST"])
def invite():
    form = InviteForm()
    form.group_id.choices = [SelectChoice("0", "Not an organiser")] + [
        SelectChoice(str(g.id), f"{g.name} ({g.postcode_district})")
        for g in services.active_groups()
    ]
    asked_for = request.args.get("group_id", type=int)
    if request.method == "GET" and asked_for is not None:
        form.role.data = "organiser"
        form.group_id.data = asked_for
    if form.validate_on_submit():
        group = (
            services.get_group(form.group_id.data)
            if form.role.data == "organiser" and form.group_id.data
            else None
        )
        tried = attempt(
            lambda: accounts.invite(
                form.email.data,
                form.name.data,
                form.role.data,
                current_user,
                utcnow(),
                group,
            ),
            form,
        )
        if tried.done:
            invitation = tried.value
            if invitation is None:
                flash(
                    f"{form.email.data} already has an account: the role was added "
                    "and they have been told by email.",
                    "success",
                )
            else:
                flash(f"Invitation emailed to {invitation.email}.", "success")
            return redirect(url_for("network.people"))
    return render_template("network/invite.html", form=form)


@bp.route("/people/<int:user_id>/deactivate", methods=["GET", "POST"])
def deactivate(user_id: int):
    person = services.get_person(user_id)
    form = DeactivateForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: absence.deactivate(
                user_id, current_user, utcnow(), form.confirm.data
            ),
            form,
        )
        if tried.error is not None and not isinstance(
            tried.error, absence.StillCommitted
        ):
            return redirect(url_for("network.people"))
        if tried.done:
            flash(f"{person.name} is deactivated and cannot sign in.", "success")
            return redirect(url_for("network.people"))
    return render_template(
        "network/deactivate.html",
        person=person,
        held=absence.commitments(user_id, utcnow()),
        form=form,
    )


@bp.route("/people/<int:user_id>/reactivate", methods=["POST"])
def reactivate(user_id: int):
    tried = attempt(lambda: accounts.set_active(user_id, True, current_user))
    if tried.done:
        user = tried.value
        flash(f"{user.name} can sign in again.", "success")
    return redirect(url_for("network.people"))


@bp.route("/people/<int:user_id>/sign-out", methods=["POST"])
def sign_out_everywhere(user_id: int):
    person = services.get_person(user_id)
    tried = attempt(lambda: sign_ins.end_all(person.id))
    if tried.done:
        flash(f"{person.name} is signed out everywhere.", "success")
    return redirect(url_for("network.people"))


@bp.route("/people/<int:user_id>/api-token", methods=["GET", "POST"])
def person_api_token(user_id: int):
    # For a service account, or anyone active; shown once.
    person = services.get_person(user_id)
    form, made = make_from_form(person)
    return render_template(
        "network/api_token.html", person=person, form=form, made=made
    )


@bp.route("/invitations/<int:invitation_id>/resend", methods=["POST"])
def resend_invitation(invitation_id: int):
    return _change_invitation(accounts.resend_invitation, invitation_id, "sent again")


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
def revoke_invitation(invitation_id: int):
    return _change_invitation(accounts.revoke_invitation, invitation_id, "revoked")


def _change_invitation(change, invitation_id: int, done: str):
    tried = attempt(lambda: change(invitation_id, utcnow()))
    if tried.done:
        invitation = tried.value
        flash(f"Invitation to {invitation.email} {done}.", "success")
    return redirect(url_for("network.people"))
