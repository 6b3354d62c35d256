"""The office's forms for webhook endpoints."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from trainers.viewhelpers import strip_whitespace
from trainers.webhooks.models import EventType

EVENT_LABELS = {
    EventType.REQUEST_CREATED: "A request is made",
    EventType.REQUEST_BOOKED: "A request is booked",
    EventType.REQUEST_UNFILLED: "A request finds no trainer (unfilled)",
    EventType.REQUEST_CANCELLED: "A request is cancelled",
    EventType.SESSION_RESCHEDULED: "A session is moved to a new time",
    EventType.SESSION_CHANGED: "A session's venue or meeting link changes",
    EventType.SESSION_CANCELLED: "A session is cancelled",
    EventType.ATTENDANCE_RECORDED: "A session's attendance is recorded",
}


class EventsField(SelectMultipleField):
    """A box to tick for each event type."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label: str = "Events to send", **kwargs):
        super().__init__(
            label,
            choices=[
                SelectChoice(kind.value, f"{text} ({kind})")
                for kind, text in EVENT_LABELS.items()
            ],
            validators=[DataRequired("Tick at least one event to send.")],
            **kwargs,
        )


class EventsForm(FlaskForm):
    events = EventsField()


class EndpointForm(EventsForm):
    url = StringField(
        "Endpoint address",
        filters=[strip_whitespace],
        validators=[
            DataRequired("Enter the endpoint's address."),
            Length(max=2000, message="That address is too long."),
        ],
        description="Where each event is sent, for example https://crm.example.org/hooks/trainers.",
    )
