"""The board's forms. They only parse; the services check the domain rules."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired, NumberRange

from trainers.board.services import ONLINE
from trainers.numbers import WholeNumberField

ANY = ""
DISTANCES = [
    SelectChoice(ANY, "Any distance"),
    *(SelectChoice(str(km), f"Within {km} km") for km in (5, 10, 25, 50, 100)),
    SelectChoice(ONLINE, "Online only"),
]


class BoardFilterForm(FlaskForm):
    """Read from the query string (a GET form: bookmarkable, no CSRF needed):
    `BoardFilterForm(request.args)`, then `set_topics`."""

    class Meta:
        csrf = False

    # No Optional(): it would let a blank such as " " past the choice check.
    topic = SelectField(
        "Topic",
        default=ANY,
        invalid_choice_message="Choose a topic from the list.",
    )
    within = SelectField(
        "Distance",
        choices=DISTANCES,
        default=ANY,
        invalid_choice_message="Choose a distance from the list.",
    )

    def set_topics(self, topics: list[tuple[int, str]]) -> None:
        """The topic choices: the trainer's qualified topics."""
        self.topic.choices = [SelectChoice(ANY, "Any of my topics")] + [
            SelectChoice(str(topic_id), name) for topic_id, name in topics
        ]


class TakeForm(FlaskForm):
    """'I can do this' at one proposed time."""

    slot_id = WholeNumberField(
        "Time",
        validators=[
            InputRequired("Choose one of the times."),
            NumberRange(min=1, message="Choose one of the times."),
        ],
        invalid_value_message="Choose one of the times.",
    )


class StopEmailsForm(FlaskForm):
    """The stop link's confirmation: only its POST stops the emails."""
