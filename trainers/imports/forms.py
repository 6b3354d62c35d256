"""The office's forms to upload a CSV file and to confirm its import."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, TextAreaField

from trainers.imports.services import MAX_BYTES


class UploadForm(FlaskForm):
    file = FileField(
        "A CSV file",
        description="Saved from a spreadsheet as CSV (UTF-8, comma delimited), up "
        f"to {MAX_BYTES // 1024} KB.",
        render_kw={"accept": ".csv,text/csv"},
    )
    text = TextAreaField(
        "Or paste the rows here",
        description="The header row first, then one line per row, as in the "
        "example file.",
        render_kw={"rows": 8},
    )


class ConfirmForm(FlaskForm):
    """The checked file travels with its seal, so nothing else can be saved."""

    checked_file = HiddenField()
    seal = HiddenField()
