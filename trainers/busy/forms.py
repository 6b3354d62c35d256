"""The form for a trainer's own calendar address. It only parses; the
services check the address."""

from flask_wtf import FlaskForm
from wtforms import URLField
from wtforms.validators import InputRequired

from trainers.viewhelpers import strip_whitespace


class CalendarFeedForm(FlaskForm):
    url = URLField(
        "Your calendar's secret address (iCal or ICS)",
        validators=[
            InputRequired(
                "Paste your calendar's secret address, starting https:// or webcal://"
            )
        ],
        filters=[strip_whitespace],
    )
