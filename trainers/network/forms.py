"""The office's forms for groups, topics and invitations."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
)

from trainers.auth.forms import email_address
from trainers.geo import REGIONS
from trainers.network.people import ACTIVE, DEACTIVATED
from trainers.numbers import WholeNumberField, optional_whole_number, whole_number
from trainers.viewhelpers import strip_whitespace

REGION_FROM_POSTCODE = ""


class GroupForm(FlaskForm):
    name = StringField(
        "Group name",
        validators=[DataRequired("Enter the group's name."), Length(max=120)],
    )
    postcode = StringField(
        "Postcode district",
        validators=[
            DataRequired("Enter the group's postcode district."),
            Length(max=10),
        ],
        description="For example TN34, or a full postcode such as TN34 1AA (only the district is kept).",
    )
    region = SelectField(
        "Region",
        choices=[
            SelectChoice(REGION_FROM_POSTCODE, "Work it out from the postcode district")
        ]
        + [SelectChoice(region) for region in REGIONS],
        default=REGION_FROM_POSTCODE,
        description="Only change this for a group that sits on a regional boundary.",
    )
    is_active = BooleanField("Active (can request sessions)", default=True)


class TopicForm(FlaskForm):
    name = StringField(
        "Topic name",
        validators=[DataRequired("Enter the topic's name."), Length(max=120)],
    )
    summary = TextAreaField(
        "Summary",
        validators=[
            DataRequired("Describe the session in a sentence or two."),
            Length(max=2000),
        ],
        description="What a group gets from this session. Organisers see it when they request one.",
    )
    default_minutes = WholeNumberField(
        "Usual length (minutes)",
        default=120,
        validators=[
            DataRequired("Enter the usual length in minutes, as a whole number."),
            NumberRange(30, 720, "Enter a length from 30 to 720 minutes."),
        ],
    )
    is_online_capable = BooleanField("Can run online")
    is_active = BooleanField("Offered to groups", default=True)
    trainers_needed = WholeNumberField(
        "Trainers a session needs",
        default=1,
        validators=[Optional(), NumberRange(1, 5, "Enter from 1 to 5 trainers.")],
        description="The lead and any co-trainers; empty means one.",
    )
    extra_trainer_above = WholeNumberField(
        "One more trainer above this many people (optional)",
        validators=[
            Optional(),
            NumberRange(
                1, 10000, "Enter a headcount of at least 1, or leave it empty."
            ),
        ],
        description="A request expecting more people than this needs one more trainer. "
        "Leave empty if headcount changes nothing.",
    )


class InviteForm(FlaskForm):
    name = StringField(
        "Their name",
        validators=[DataRequired("Enter the person's name."), Length(max=120)],
    )
    email = EmailField(
        "Their email address",
        validators=[
            DataRequired("Enter the person's email address."),
            email_address,
            Length(max=254),
        ],
        filters=[strip_whitespace],
    )
    role = SelectField(
        "Role",
        choices=[
            SelectChoice("organiser", "Organiser of a local group"),
            SelectChoice("trainer", "Trainer"),
            SelectChoice("office", "National office"),
        ],
        validators=[DataRequired("Choose a role.")],
    )
    group_id = SelectField(
        "Group (for organisers)",
        coerce=whole_number,
        validators=[Optional()],
        description="Which local group this organiser will request sessions for.",
    )


class DeactivateForm(FlaskForm):
    confirm = BooleanField(
        "Yes: hand back their sessions, end their shadowing and withdraw their "
        "offers, telling everyone concerned"
    )


class PeopleFilterForm(FlaskForm):
    """The list of people's search and filters, sent in the URL."""

    class Meta:
        csrf = False

    search = StringField(
        "Name or email",
        validators=[Optional(), Length(max=254)],
        filters=[strip_whitespace],
    )
    group = StringField(
        "Group name",
        validators=[Optional(), Length(max=120)],
        filters=[strip_whitespace],
    )
    role = SelectField(
        "Role",
        choices=[
            SelectChoice("", "Any role"),
            SelectChoice("office", "National office"),
            SelectChoice("organiser", "Organiser"),
            SelectChoice("trainer", "Trainer"),
        ],
        validators=[Optional()],
        invalid_choice_message="Choose a role from the list.",
    )
    region = SelectField(
        "Region",
        choices=[SelectChoice("", "Any region")]
        + [SelectChoice(region) for region in REGIONS],
        validators=[Optional()],
        invalid_choice_message="Choose a region from the list.",
    )
    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Any status"),
            SelectChoice(ACTIVE, "Active"),
            SelectChoice(DEACTIVATED, "Deactivated"),
        ],
        validators=[Optional()],
        invalid_choice_message="Choose a status from the list.",
    )
    topic_id = SelectField(
        "Topic",
        coerce=optional_whole_number,
        validators=[Optional()],
        invalid_value_message="Choose a topic from the list.",
        invalid_choice_message="Choose a topic from the list.",
    )
