"""Forms to make, edit, cancel and filter training requests."""

from collections.abc import Sequence

from flask_wtf import FlaskForm
from sqlalchemy import Row
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from trainers.geo import REGIONS
from trainers.network.models import Group, Topic
from trainers.numbers import WholeNumberField, optional_whole_number
from trainers.requests.details import (
    MAX_ACCESSIBILITY,
    MAX_ADDRESS,
    MAX_ATTENDANCE,
    MAX_MEETING_URL,
    MAX_NOTES,
    MAX_REASON,
    Particulars,
)
from trainers.requests.models import RequestStatus, TrainingRequest
from trainers.requests.slots import MAX_SLOTS, SlotRow, slot_field
from trainers.timeutil import to_local
from trainers.viewhelpers import CONFIRM_LABEL, strip_whitespace

SLOT_PARTS = ("date", "start", "end")


def _is_filled(field: Field) -> bool:
    # What was typed counts, even when it is not a date or time.
    typed = field.raw_data[0] if field.raw_data else ""
    return field.data is not None or bool(str(typed).strip())


def _group_id(value) -> int | None:
    # An id edited in the address that no column could hold is no filter.
    try:
        return optional_whole_number(value)
    except ValueError:
        return None


def _is_online(value) -> bool:
    return value is True or value == "online"


def choices(
    items: Sequence[Group | Topic | Row], placeholder: str
) -> list[SelectChoice]:
    """Select options for groups or topics (or rows of their id and name), after
    an empty first option."""
    return [SelectChoice("", placeholder)] + [
        SelectChoice(str(item.id), item.name) for item in items
    ]


def topic_choices(topics: Sequence[Topic]) -> list[SelectChoice]:
    """The topic options, each saying its usual length and whether it can run
    online, and carrying both for the form's script."""
    return [SelectChoice("", "Choose a topic")] + [
        SelectChoice(
            str(topic.id),
            f"{topic.name} ({topic.usual_length}, "
            f"{'online or at a venue' if topic.is_online_capable else 'at a venue'})",
            render_kw={
                "data-minutes": topic.default_minutes,
                "data-online": "yes" if topic.is_online_capable else "no",
            },
        )
        for topic in topics
    ]


def online_hint(topics: Sequence[Topic]) -> str:
    """Which topics may run online, for the online choice's hint."""
    online = [topic.name for topic in topics if topic.is_online_capable]
    if not online:
        return "No topic can run online at the moment."
    return f"Online only for {', '.join(online)}."


class RequestForm(FlaskForm):
    """A training request; the slot fields `slot_N_date|start|end` are added below."""

    group_id = SelectField(
        "Group",
        coerce=optional_whole_number,
        validators=[InputRequired("Choose the group this request is for.")],
        invalid_value_message="Choose a group from the list.",
        invalid_choice_message="Choose a group from the list.",
    )
    topic_id = SelectField(
        "Topic",
        coerce=optional_whole_number,
        validators=[InputRequired("Choose a topic.")],
        invalid_value_message="Choose a topic from the list.",
        invalid_choice_message="Choose a topic from the list.",
    )
    is_online = RadioField(
        "Where?",
        choices=[SelectChoice("venue", "At a venue"), SelectChoice("online", "Online")],
        coerce=_is_online,
        default=False,
    )
    venue_postcode = StringField(
        "Venue postcode",
        validators=[Length(max=20, message="That is too long for a postcode.")],
        description="Or just its district, such as TN34.",
    )
    venue_address = TextAreaField(
        "Venue address",
        validators=[
            Length(
                max=MAX_ADDRESS,
                message=f"Keep the address under {MAX_ADDRESS} characters.",
            )
        ],
        description="Building, street and town, and how to find the room.",
    )
    meeting_url = StringField(
        "Meeting link (optional)",
        validators=[
            Length(max=MAX_MEETING_URL, message="That link is too long."),
        ],
        filters=[strip_whitespace],
        description="For an online session: the https address of your video call. "
        "You can add it later, from the session's page.",
    )
    expected_attendance = WholeNumberField(
        "Expected attendance",
        validators=[InputRequired("Enter how many people you expect.")],
        invalid_value_message="Enter the number of people as a whole number, "
        "such as 12.",
        description=f"How many people you expect, from 1 to {MAX_ATTENDANCE}.",
    )
    accessibility_needs = TextAreaField(
        "Accessibility needs (optional)",
        validators=[
            Length(
                max=MAX_ACCESSIBILITY,
                message=f"Keep this under {MAX_ACCESSIBILITY} characters.",
            )
        ],
        description="For example step-free access, a hearing loop, or large print.",
    )
    notes = TextAreaField(
        "Notes for the trainer (optional)",
        validators=[
            Length(
                max=MAX_NOTES, message=f"Keep the notes under {MAX_NOTES} characters."
            )
        ],
    )
    # Made when the form is first shown: the same form sent twice makes one request.
    submission_key = HiddenField()
    confirm_overlap = BooleanField("Yes, send this request as well", default=False)
    confirm_short = BooleanField("Yes, these times are long enough", default=False)
    confirm_far = BooleanField("Yes, the venue is at that postcode", default=False)
    # How many time rows the page showed; "Add another time" shows one more.
    times_shown = HiddenField()
    add_time = SubmitField("Add another time")

    def is_adding_time(self) -> bool:
        """Sent by "Add another time": shown again with a row more, not saved."""
        return self.is_submitted() and bool(self.add_time.data)

    def times_to_show(self, at_least: int = 1) -> int:
        """How many time rows to show (1 to MAX_SLOTS): as many as before, every
        row with something typed in it, and one more after "Add another time"."""
        shown = self.times_shown.data
        before = int(shown) if shown and shown.isdecimal() and len(shown) < 3 else 0
        filled = [
            row + 1
            for row, fields in enumerate(self.slot_fields())
            if any(_is_filled(field) for field in fields)
        ]
        wanted = max(before, at_least, *filled) + self.is_adding_time()
        return max(1, min(wanted, MAX_SLOTS))

    def slot_rows(self) -> list[SlotRow]:
        """Each slot row's (date, start, end) as typed, empty parts as None."""
        return [tuple(field.data for field in row) for row in self.slot_fields()]

    def slot_fields(self) -> list[tuple[Field, Field, Field]]:
        """Each slot row's date, start and end fields, for the template."""
        return [
            tuple(self[slot_field(row, part)] for part in SLOT_PARTS)
            for row in range(MAX_SLOTS)
        ]

    def particulars(self) -> Particulars:
        """What the group wrote besides its group, topic and times."""
        return Particulars(**{name: self[name].data for name in PARTICULARS})


for _row in range(MAX_SLOTS):
    _name = f"Slot {_row + 1}"
    setattr(
        RequestForm,
        slot_field(_row, "date"),
        DateField(
            f"{_name} date",
            validators=[Optional()],
            format=["%Y-%m-%d", "%d/%m/%Y"],
            invalid_value_message="Enter a real date, such as 28/03/2027.",
        ),
    )
    for _part, _label, _hint in (
        ("start", "start time", ""),
        ("end", "end time", "Leave End empty for the usual length."),
    ):
        setattr(
            RequestForm,
            slot_field(_row, _part),
            TimeField(
                f"{_name} {_label}",
                validators=[Optional()],
                format=["%H:%M", "%H:%M:%S"],
                invalid_value_message="Enter a time on the 24-hour clock, "
                "such as 18:30.",
                description=_hint,
            ),
        )


def request_form_data(training_request: TrainingRequest) -> dict:
    """The form's starting values for editing a request; slots on the UK clock."""
    data = {
        "topic_id": training_request.topic_id,
        **{name: getattr(training_request, name) for name in PARTICULARS},
    }
    for row, slot in enumerate(training_request.slots):
        starts, ends = to_local(slot.starts_at), to_local(slot.ends_at)
        data[slot_field(row, "date")] = starts.date()
        data[slot_field(row, "start")] = starts.time()
        data[slot_field(row, "end")] = ends.time()
    return data


# The request's fields a booked session's organisers and the office may change.
BOOKED_DETAILS = (
    "venue_postcode",
    "venue_address",
    "meeting_url",
    "expected_attendance",
    "accessibility_needs",
    "notes",
)
# Everything a group writes besides group, topic and times.
PARTICULARS = ("is_online", *BOOKED_DETAILS)


class BookedDetailsForm(FlaskForm):
    """What may change once a session is booked: its place and particulars."""

    venue_postcode = RequestForm.venue_postcode
    venue_address = RequestForm.venue_address
    meeting_url = RequestForm.meeting_url
    expected_attendance = RequestForm.expected_attendance
    accessibility_needs = RequestForm.accessibility_needs
    notes = RequestForm.notes
    confirm = BooleanField(CONFIRM_LABEL)

    def particulars(self, is_online: bool) -> Particulars:
        """What the group wrote; whether it is online stays as booked."""
        return Particulars(
            is_online=is_online, **{name: self[name].data for name in BOOKED_DETAILS}
        )


def booked_details_data(training_request: TrainingRequest) -> dict:
    """The details form's starting values: what the group asks for now."""
    return {name: getattr(training_request, name) for name in BOOKED_DETAILS}


class CancelForm(FlaskForm):
    reason = TextAreaField(
        "Why is it being cancelled?",
        validators=[
            DataRequired("Say why the request is being cancelled."),
            Length(
                max=MAX_REASON,
                message=f"Keep the reason under {MAX_REASON} characters.",
            ),
        ],
        description="The national office, and any trainer already booked, will "
        "see this.",
    )
    confirm = BooleanField(CONFIRM_LABEL)


NEW_TIME = "new"


class RescheduleForm(FlaskForm):
    """Move a booked session to one of the proposed times (by slot id) or a new one."""

    slot = RadioField("New time", validators=[InputRequired("Choose the new time.")])
    new_date = DateField(
        "Date",
        validators=[Optional()],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        invalid_value_message="Enter a real date, such as 28/03/2027.",
    )
    new_start = TimeField(
        "Start time",
        validators=[Optional()],
        format=["%H:%M", "%H:%M:%S"],
        invalid_value_message="Enter a time on the 24-hour clock, such as 18:30.",
    )
    new_end = TimeField(
        "End time",
        validators=[Optional()],
        format=["%H:%M", "%H:%M:%S"],
        invalid_value_message="Enter a time on the 24-hour clock, such as 18:30.",
    )
    reason = TextAreaField(
        "Why is it moving? (optional)",
        validators=[
            Length(
                max=MAX_REASON,
                message=f"Keep the reason under {MAX_REASON} characters.",
            )
        ],
        description="Everyone on the session is told, and it goes in the history.",
    )
    confirm = BooleanField(CONFIRM_LABEL)
    # Ticked only once the page has said what releasing the trainer means, for
    # the time in `release_for`: a different time must be confirmed afresh.
    release = BooleanField("Yes, move it and release the trainer")
    release_for = HiddenField()

    def new_row(self) -> SlotRow:
        return (self.new_date.data, self.new_start.data, self.new_end.data)


class RequestFilterForm(FlaskForm):
    """The list's filters, sent in the URL so a filtered list can be shared."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status")]
        + [
            SelectChoice(status.value, status.value.capitalize())
            for status in RequestStatus
        ],
        validators=[Optional()],
        invalid_choice_message="Choose a status from the list.",
    )
    # A search box, not a list of every group: the office has thousands.
    group = StringField(
        "Group name",
        validators=[Optional(), Length(max=120)],
        filters=[strip_whitespace],
    )
    # One group's requests, as its page links to them.
    group_id = HiddenField("Group", filters=[_group_id], validators=[Optional()])
    topic_id = SelectField(
        "Topic",
        coerce=optional_whole_number,
        validators=[Optional()],
        invalid_value_message="Choose a topic from the list.",
        invalid_choice_message="Choose a topic from the list.",
    )
    region = SelectField(
        "Region",
        choices=[SelectChoice("", "Any region")]
        + [SelectChoice(region) for region in REGIONS],
        validators=[Optional()],
        invalid_choice_message="Choose a region from the list.",
    )
