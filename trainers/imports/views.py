"""The office imports groups and people from CSV: check a file, then confirm."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from trainers.auth.access import office_required
from trainers.csvexport import csv_response
from trainers.errors import DomainError
from trainers.imports import services
from trainers.imports.forms import ConfirmForm, UploadForm
from trainers.timeutil import utcnow
from trainers.viewhelpers import attempt, read_only, show_error

bp = Blueprint("imports", __name__, url_prefix="/office/import")


@bp.before_request
@office_required
def require_office():
    """Every page here is the national office's alone."""


@bp.route("/")
@read_only
def index():
    return render_template("imports/index.html", columns=services.COLUMNS)


@bp.route("/groups", methods=["GET", "POST"], defaults={"kind": services.GROUPS})
@bp.route("/people", methods=["GET", "POST"], defaults={"kind": services.PEOPLE})
def upload(kind: str):
    form = UploadForm()
    checked = None
    if form.validate_on_submit():
        try:
            text = _uploaded(form)
            checked = services.preview(kind, text, utcnow())
        except DomainError as error:
            show_error(form, error)
    return _page(kind, form, checked)


@bp.route("/groups/confirm", methods=["POST"], defaults={"kind": services.GROUPS})
@bp.route("/people/confirm", methods=["POST"], defaults={"kind": services.PEOPLE})
def confirm(kind: str):
    # The global CSRF check has passed; the seal vouches for the rest.
    form = ConfirmForm()
    text = form.checked_file.data or ""
    tried = attempt(
        lambda: _imported(kind, text, form.seal.data),
        handles=(services.ImportRefused,),
    )
    if isinstance(tried.error, services.ImportRefused):
        flash(tried.error.message, "error")
        refused = tried.error.preview
        return _page(kind, UploadForm(formdata=None, text=refused.text), refused)
    if tried.done:
        flash(f"Imported {tried.value}.", "success")
        done = "network.groups" if kind == services.GROUPS else "network.people"
        return redirect(url_for(done))
    return redirect(url_for("imports.upload", kind=kind))


@bp.route("/groups/example.csv", defaults={"kind": services.GROUPS})
@bp.route("/people/example.csv", defaults={"kind": services.PEOPLE})
@read_only
def example(kind: str):
    return csv_response(
        f"{kind}-example.csv",
        [column.name for column in services.COLUMNS[kind]],
        services.EXAMPLES[kind],
    )


def _uploaded(form: UploadForm) -> str:
    upload = form.file.data
    if upload and upload.filename:
        return services.decode(upload.read(services.MAX_BYTES + 1))
    text = form.text.data or ""
    if not text.strip():
        raise DomainError("Choose a CSV file, or paste its rows.", "file")
    return text


def _imported(kind: str, text: str, seal: str) -> str:
    services.check_seal(kind, text, seal)
    done = services.apply(kind, text, current_user, utcnow())
    return done.rows


def _page(kind: str, form: UploadForm, checked: services.Preview | None):
    confirm_form = None
    if checked is not None and checked.is_good:
        confirm_form = ConfirmForm(formdata=None)
        confirm_form.checked_file.data = checked.text
        confirm_form.seal.data = services.seal(kind, checked.text)
    return render_template(
        "imports/upload.html",
        kind=kind,
        columns=services.COLUMNS[kind],
        form=form,
        checked=checked,
        confirm_form=confirm_form,
    )
