"""The office's view of everything held about a person, its export and erasure."""

import json
from datetime import time, timedelta

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms import SelectChoice

from trainers.auth.access import office_required
from trainers.extensions import db
from trainers.network.services import get_person
from trainers.privacy import erasure, services
from trainers.privacy.audit_log import (
    actor_label,
    audit_actions,
    audit_entries,
    record_audit_view,
    subject_label,
)
from trainers.privacy.forms import (
    ANY_ACTION,
    AuditFilterForm,
    EraseAddressForm,
    EraseForm,
    ExportAddressForm,
    LookupForm,
)
from trainers.timeutil import local_to_utc, utcnow
from trainers.viewhelpers import attempt

bp = Blueprint("privacy", __name__, url_prefix="/office/privacy")

PER_PAGE = 50


@bp.before_request
@office_required
def require_office():
    """Every page here is the national office's alone."""


@bp.get("/")
def index():
    return render_template("privacy/index.html", form=LookupForm())


@bp.get("/people/<int:user_id>")
def person(user_id: int):
    data = services.person_data(user_id)
    services.record_access(current_user, data, exported=False)
    db.session.commit()
    return render_template(
        "privacy/person.html",
        data=data,
        person=data.user,
        show=services.display,
    )


@bp.get("/people/<int:user_id>/export")
def export_person(user_id: int):
    data = services.person_data(user_id)
    return _download(data, f"personal-data-account-{user_id}.json")


@bp.route("/people/<int:user_id>/erase", methods=["GET", "POST"])
def erase(user_id: int):
    person = get_person(user_id)
    form = EraseForm()
    status = 200
    if form.validate_on_submit():
        tried = attempt(
            lambda: erasure.erase_person(
                user_id, current_user, form.confirmation.data, utcnow()
            ),
            form,
        )
        if tried.done:
            flash(f"Erased. {_sentence(tried.value.describe())}", "success")
            return redirect(url_for(".person", user_id=user_id))
    if request.method == "POST":
        status = 400
    return render_template("privacy/erase.html", form=form, person=person), status


@bp.post("/lookup")
def lookup():
    form = LookupForm()
    if not form.validate_on_submit():
        return render_template("privacy/index.html", form=form), 400
    return _show_address(form.email.data)


@bp.post("/lookup/export")
def export_address():
    form = ExportAddressForm()
    if not form.validate_on_submit():
        flash("Look the address up again, then download it.", "error")
        return render_template("privacy/index.html", form=LookupForm()), 400
    data = services.address_data(form.email.data)
    return _download(data, "personal-data-address.json")


@bp.post("/lookup/erase")
def erase_address():
    form = EraseAddressForm()
    if form.validate_on_submit():
        tried = attempt(
            lambda: erasure.erase_address(
                form.email.data, current_user, form.confirmation.data, utcnow()
            ),
            form,
        )
        if tried.done:
            flash(
                "Erased what was held under that address. "
                + _sentence(tried.value.describe()),
                "success",
            )
            return redirect(url_for(".index"))
    if not form.email.data:
        return render_template("privacy/index.html", form=LookupForm()), 400
    return _show_address(form.email.data, erase_form=form, status=400)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _show_address(email: str, erase_form: EraseAddressForm | None = None, status=200):
    data = services.address_data(email)
    services.record_access(current_user, data, exported=False)
    db.session.commit()
    return (
        render_template(
            "privacy/address.html",
            data=data,
            show=services.display,
            export_form=ExportAddressForm(email=data.email),
            erase_form=erase_form or EraseAddressForm(email=data.email),
        ),
        status,
    )


def _download(data: services.PersonalData, filename: str) -> Response:
    services.record_access(current_user, data, exported=True)
    db.session.commit()
    document = services.export_document(data, utcnow())
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/audit")
def audit_log():
    form = AuditFilterForm(request.args)
    form.action.choices = [SelectChoice(ANY_ACTION, "Anything")] + [
        SelectChoice(action) for action in audit_actions()
    ]
    is_valid = form.validate()
    person = form.person.data if is_valid else None
    action = form.action.data if is_valid else None
    first, last = (form.from_.data, form.to.data) if is_valid else (None, None)
    filters = {
        "person": person or "",
        "action": action or "",
        "from": first.isoformat() if first else "",
        "to": last.isoformat() if last else "",
    }
    page = db.paginate(
        audit_entries(
            person,
            action,
            local_to_utc(first, time(0)) if first else None,
            local_to_utc(last + timedelta(days=1), time(0)) if last else None,
        ),
        page=request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
        error_out=False,
    )
    page_html = render_template(
        "privacy/audit.html",
        form=form,
        page=page,
        filters={name: value for name, value in filters.items() if value},
        actor_label=actor_label,
        subject_label=subject_label,
    )
    # Logged after the page is drawn, so the list never starts with this look.
    record_audit_view(
        current_user, person, {k: v for k, v in filters.items() if k != "person"}
    )
    db.session.commit()
    return page_html
