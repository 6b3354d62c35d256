"""Forms to record who came, name consenting people, rate and report on a session.

The rules live in the services; these forms only read what was sent.
"""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired

from trainers.attendance.services import (
    HEADCOUNT_MESSAGE,
    MAX_COMMENT,
    MAX_HEADCOUNT,
    MAX_REPORT,
    RATING_MESSAGE,
)
from trainers.numbers import WholeNumberField, whole_number
from trainers.viewhelpers import strip_whitespace

RATING_LABELS = ("1: poor", "2: fair", "3: good", "4: very good", "5: excellent")


class HeadcountForm(FlaskForm):
    """How many came, named or not."""

    headcount = WholeNumberField(
        "How many people came?",
        validators=[InputRequired(HEADCOUNT_MESSAGE)],
        invalid_value_message=HEADCOUNT_MESSAGE,
        description=f"Everyone who came, whether or not they are named below: a "
        f"whole number from 0 to {MAX_HEADCOUNT}.",
    )


class PersonForm(FlaskForm):
    """One person, named only with their consent."""

    name = StringField(
        "Name",
        filters=[strip_whitespace],
        description="Required: as they gave it, for example on the sign-in sheet.",
    )
    email = EmailField(
        "Email address (optional)",
        filters=[strip_whitespace],
        render_kw={"autocomplete": "off"},
    )
    consent = BooleanField(
        "They ticked \u201cmay we contact you?\u201d",
        description="Without this, do not name them: count them in the headcount "
        "instead.",
    )
    is_walk_in = BooleanField(
        "A walk-in",
        description="Came on the day without signing up. Anyone added after "
        "attendance was first recorded is marked as a walk-in anyway.",
    )


class RosterUploadForm(FlaskForm):
    """A CSV file of consenting people."""

    roster_file = FileField(
        "Roster file (CSV)",
        validators=[FileRequired("Choose a CSV file to upload.")],
        render_kw={"accept": ".csv,text/csv"},
    )


class RatingForm(FlaskForm):
    """The organiser's view of how the session went."""

    rating = RadioField(
        "How was the session?",
        choices=[
            SelectChoice(str(value), label)
            for value, label in enumerate(RATING_LABELS, 1)
        ],
        coerce=whole_number,
        validators=[InputRequired(RATING_MESSAGE)],
        invalid_value_message=RATING_MESSAGE,
        invalid_choice_message=RATING_MESSAGE,
    )
    comment = TextAreaField(
        "Comment (optional)",
        description=f"What worked for your group, what could be better. Up to "
        f"{MAX_COMMENT} characters; the trainer and the national office read it.",
    )


class ReportForm(FlaskForm):
    """The trainer's short report."""

    went_well = TextAreaField(
        "What went well",
        description=f"Up to {MAX_REPORT} characters. The group's organisers and the "
        "national office read it.",
    )
    follow_up_requested = TextAreaField(
        "Follow-up the group asked for",
        description="Another topic, a second session, help with something specific.",
    )
