"""Trainer profile forms. They only parse; the services check the domain rules."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import InputRequired

from trainers.network.models import Topic
from trainers.numbers import WholeNumberField, whole_number
from trainers.profiles.models import WEEKDAYS
from trainers.profiles.services import (
    MAX_MONTHLY_CAP,
    MAX_NOTE_LENGTH,
    MAX_RADIUS_KM,
    topic_field,
)

NOT_TAUGHT = ""
LEVEL_CHOICES = [
    SelectChoice(NOT_TAUGHT, "Not taught"),
    SelectChoice("shadowing", "Shadowing"),
    SelectChoice("qualified", "Qualified"),
]
# Browsers send "18:00", or "18:00:00" when a step is set.
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def _time(label: str) -> TimeField:
    return TimeField(
        label,
        validators=[InputRequired(f"Enter the {label.lower()}, like 18:00.")],
        format=TIME_FORMATS,
        invalid_value_message="Enter a time on the 24-hour clock, like 18:00.",
    )


def _date(label: str) -> DateField:
    return DateField(
        label,
        validators=[InputRequired(f"Enter the {label.lower()}.")],
        invalid_value_message="Enter a real date, like 2026-12-24.",
    )


class BasicsForm(FlaskForm):
    home_postcode = StringField(
        "Home postcode district",
        validators=[InputRequired("Enter your home postcode district, like TN34.")],
        description="The first half of your postcode, like TN34. We keep only "
        "the district, never your full postcode.",
        render_kw={"autocomplete": "off", "maxlength": 10},
    )
    travel_radius_km = WholeNumberField(
        "Travel radius (km)",
        validators=[InputRequired("Enter how far you will travel, in km.")],
        invalid_value_message="Enter the travel radius as a whole number of km.",
        description=f"How far from home you will travel to a group: 0 to "
        f"{MAX_RADIUS_KM} km. 0 means online sessions only.",
        render_kw={"min": 0, "max": MAX_RADIUS_KM, "inputmode": "numeric"},
    )
    monthly_cap = WholeNumberField(
        "Monthly cap",
        validators=[InputRequired("Enter the most sessions you will take a month.")],
        invalid_value_message="Enter the monthly cap as a whole number of sessions.",
        description=f"The most sessions you will take in a calendar month: 0 to "
        f"{MAX_MONTHLY_CAP}. 0 means you are not taking sessions for now.",
        render_kw={"min": 0, "max": MAX_MONTHLY_CAP, "inputmode": "numeric"},
    )


class TopicsForm(FlaskForm):
    """A radio group per active topic, named by `topic_field(topic.id)`."""

    def levels(self, topics: list[Topic]) -> dict[int, str | None]:
        """The chosen level per topic id, None for not taught."""
        return {topic.id: self[topic_field(topic.id)].data or None for topic in topics}


def topics_form(topics: list[Topic], current: dict[int, str]) -> TopicsForm:
    """A TopicsForm for these topics, each starting at its `current` level."""
    fields = {
        topic_field(topic.id): RadioField(
            topic.name,
            choices=LEVEL_CHOICES,
            default=current.get(topic.id, NOT_TAUGHT),
            description=topic.summary,
            # The service names the topic in its own message for a bad level.
            validate_choice=False,
        )
        for topic in topics
    }
    return type("BoundTopicsForm", (TopicsForm,), fields)()


class AvailabilityForm(FlaskForm):
    weekday = SelectField(
        "Day of the week",
        choices=[SelectChoice(str(day), name) for day, name in enumerate(WEEKDAYS)],
        validators=[InputRequired("Choose a day of the week.")],
        coerce=whole_number,
        validate_choice=False,
    )
    start_time = _time("Start time")
    end_time = _time("End time")


class DayOffForm(FlaskForm):
    first_on = _date("First day off")
    last_on = _date("Last day off")
    note = StringField(
        "Note (optional)",
        description=f"For example “holiday”. Up to {MAX_NOTE_LENGTH} characters; "
        "the national office can see it.",
        render_kw={"maxlength": MAX_NOTE_LENGTH},
    )
    # Offered once the page has listed the booked sessions the days cover.
    hand_back = BooleanField("Hand those sessions back and add the days off")


class BoardEmailsForm(FlaskForm):
    has_board_emails = BooleanField(
        "Email me about new requests near me",
        description="At most once a day, the new requests you could take: your "
        "topics, within your travel radius (or online) and at times you are free.",
    )
