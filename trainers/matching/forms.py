"""Forms to answer offers and for the office to steer matching."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import HiddenInput

from trainers.network.models import MAX_TRAINERS
from trainers.numbers import WholeNumberField, optional_whole_number, whole_number
from trainers.viewhelpers import CONFIRM_LABEL, strip_whitespace


def _an_id(message: str) -> list:
    return [InputRequired(message), NumberRange(min=1, message=message)]


class AcceptForm(FlaskForm):
    """Accepting needs nothing but the click (and its CSRF token), or, for
    another of the request's times, which one."""

    slot_id = WholeNumberField(
        "Time",
        validators=[
            Optional(),
            NumberRange(min=1, message="Choose one of the times."),
        ],
        invalid_value_message="Choose one of the times.",
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        "Reason (optional)",
        validators=[
            Optional(),
            Length(max=500, message="Keep it under 500 characters."),
        ],
        filters=[strip_whitespace],
        description="Helps the national office, e.g. 'away that weekend'.",
    )


class OfferToForm(FlaskForm):
    trainer_id = WholeNumberField(
        "Trainer", validators=_an_id("Choose a trainer."), widget=HiddenInput()
    )
    slot_id = WholeNumberField(
        "Time", validators=_an_id("Choose a time."), widget=HiddenInput()
    )


class AssignForm(FlaskForm):
    # The service checks the trainer and time against the request and every rule.
    trainer_id = SelectField(
        "Trainer",
        coerce=whole_number,
        validate_choice=False,
        validators=_an_id("Choose a trainer from the list."),
        invalid_value_message="Choose a trainer from the list.",
    )
    slot_id = SelectField(
        "Time",
        coerce=whole_number,
        validate_choice=False,
        validators=_an_id("Choose a time from the list."),
        invalid_value_message="Choose a time from the list.",
    )
    cap_override_reason = TextAreaField(
        "Reason for going over the trainer's monthly cap (only if needed)",
        validators=[
            Optional(),
            Length(max=500, message="Keep it under 500 characters."),
        ],
        filters=[strip_whitespace],
    )


def _why_not_field(who_sees: str) -> TextAreaField:
    return TextAreaField(
        "Why can't you do it?",
        validators=[
            DataRequired("Say why you can no longer do it."),
            Length(max=500, message="Keep it under 500 characters."),
        ],
        filters=[strip_whitespace],
        description=f"{who_sees} see this.",
    )


class HandBackForm(FlaskForm):
    reason = _why_not_field("The group and the national office")
    confirm = BooleanField(CONFIRM_LABEL)


class DropOutForm(FlaskForm):
    reason = _why_not_field("The other trainers, the group and the national office")


class TrainersForm(FlaskForm):
    """The office's say on how many trainers a request's session needs."""

    trainers_override = SelectField(
        "Trainers its session needs",
        coerce=optional_whole_number,
        validate_choice=True,
    )
    allows_shadowing = BooleanField(
        "A trainer shadowing the topic may take a co-trainer place"
    )

    def offer_numbers(self, topic_rule: int) -> None:
        """The choices: the topic's rule (saying what it gives now), or 1 to 5."""
        self.trainers_override.choices = [
            SelectChoice("", f"As the topic says ({topic_rule} now)"),
            *(SelectChoice(str(n), str(n)) for n in range(1, MAX_TRAINERS + 1)),
        ]


class ShadowForm(FlaskForm):
    trainer_id = SelectField(
        "Shadowing trainer",
        coerce=whole_number,
        validators=[InputRequired("Choose a trainer.")],
    )


class PlanForm(FlaskForm):
    """The plan's assignments the office turns into offers: a box ticked for
    each. Their keys are checked against the plan made afresh, not here."""

    assignment = SelectMultipleField(
        "Make this offer",
        validate_choice=False,
        validators=[DataRequired("Tick at least one offer to make.")],
    )
