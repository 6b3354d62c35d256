"""Sign-in, invitation and password forms."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    NumberRange,
    ValidationError,
)

from trainers.auth.api_tokens import DEFAULT_DAYS, MAX_DAYS, MAX_NAME
from trainers.auth.passwords import MIN_PASSWORD_LENGTH
from trainers.auth.services import check_email
from trainers.errors import DomainError
from trainers.viewhelpers import strip_whitespace


def email_address(form, field) -> None:
    """A WTForms validator holding an address to services.check_email's rule."""
    try:
        check_email(field.data or "")
    except DomainError as error:
        raise ValidationError(error.message) from None


EMAIL = [
    DataRequired("Enter your email address."),
    email_address,
    Length(max=254),
]


def _new_password(label: str = "New password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired("Choose a password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=f"Use between {MIN_PASSWORD_LENGTH} and 200 characters.",
            ),
        ],
        description=(
            f"At least {MIN_PASSWORD_LENGTH} characters; not a common password, nor "
            "your name or email address. A few random words work well."
        ),
    )


def _confirm() -> PasswordField:
    return PasswordField(
        "Type the password again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", "The two passwords do not match."),
        ],
    )


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=EMAIL, filters=[strip_whitespace])
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=200)]
    )
    remember = BooleanField(
        "Keep me signed in on this device",
        description="For up to a month, on a device no one else uses. National "
        "office accounts are always signed out after a short while.",
    )


class AcceptInvitationForm(FlaskForm):
    name = StringField(
        "Your name",
        validators=[
            DataRequired("Enter your name."),
            Length(max=120, message="Keep your name under 120 characters."),
        ],
        description="As other volunteers will see it.",
    )
    password = _new_password("Choose a password")
    confirm = _confirm()


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email address", validators=EMAIL, filters=[strip_whitespace])


class ResetPasswordForm(FlaskForm):
    password = _new_password()
    confirm = _confirm()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=200)],
    )
    password = _new_password()
    confirm = _confirm()


class ContactForm(FlaskForm):
    phone = StringField(
        "Phone number (optional)",
        validators=[Length(max=30, message="That is too long for a phone number.")],
        filters=[strip_whitespace],
        description="Shown only to the people you have a session with (its trainer, "
        "or the group's organisers), so they can reach you on the day.",
    )


class ApiTokenForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[
            DataRequired("Give the token a name, such as the system it is for."),
            Length(max=MAX_NAME, message=f"Keep the name under {MAX_NAME} characters."),
        ],
        filters=[strip_whitespace],
        description='What it is for, such as "CRM sync".',
    )
    scope = RadioField(
        "What it may do",
        choices=[
            SelectChoice("read", "Read only"),
            SelectChoice("write", "Read and write (make requests, answer offers)"),
        ],
        default="read",
        validators=[DataRequired("Choose read or write.")],
    )
    days = IntegerField(
        "Days until it expires",
        default=DEFAULT_DAYS,
        validators=[
            DataRequired("Say how many days it should last."),
            NumberRange(1, MAX_DAYS, f"A token lasts from 1 to {MAX_DAYS} days."),
        ],
        description=f"From 1 to {MAX_DAYS}.",
    )
