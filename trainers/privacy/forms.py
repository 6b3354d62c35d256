"""The office's forms for finding, erasing and auditing personal data."""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from trainers.viewhelpers import strip_whitespace

ANY_ACTION = ""
_DATE_MESSAGE = "Enter a date as year-month-day, for example 2026-03-31."
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _within_range(form, field) -> None:
    if field.data and not EARLIEST_DAY <= field.data <= LATEST_DAY:
        raise ValidationError("Enter a date between 2000 and 2099.")


class LookupForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter the email address to look up."),
            Length(max=254, message="An email address has at most 254 characters."),
        ],
        filters=[strip_whitespace],
        description="Finds roster entries, invitations, failed sign-ins and emails "
        "kept under this address, whether or not it has an account.",
    )


class EraseForm(FlaskForm):
    confirmation = StringField(
        "Type their email address to confirm",
        validators=[
            DataRequired("Type their email address to confirm."),
            Length(max=254, message="An email address has at most 254 characters."),
        ],
        filters=[strip_whitespace],
    )


class ExportAddressForm(FlaskForm):
    email = HiddenField(
        validators=[DataRequired("Look the address up again."), Length(max=254)],
        filters=[strip_whitespace],
    )


class EraseAddressForm(ExportAddressForm, EraseForm):
    """The address looked up, and the same address typed to confirm."""


class AuditFilterForm(FlaskForm):
    """Read from the query string (a GET form, bookmarkable): `AuditFilterForm(request.args)`."""

    class Meta:
        csrf = False

    person = StringField(
        "Person",
        validators=[Optional(), Length(max=254)],
        filters=[strip_whitespace],
        description="An account number, an email address or part of a name: "
        "entries about them or by them.",
    )
    action = SelectField(
        "What was done",
        default=ANY_ACTION,
        validators=[Optional()],
        invalid_choice_message="Choose an action from the list.",
    )
    from_ = DateField(
        "From",
        name="from",
        validators=[Optional(), _within_range],
        invalid_value_message=_DATE_MESSAGE,
    )
    to = DateField(
        "To",
        validators=[Optional(), _within_range],
        invalid_value_message=_DATE_MESSAGE,
    )
