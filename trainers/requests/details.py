"""What a group says of a request, checked: its topic and proposed times, the
venue or meeting link, the numbers and notes; and what a change to them changes."""

from dataclasses import asdict, dataclass
from datetime import timedelta
from operator import attrgetter
from urllib.parse import urlsplit

from trainers.errors import DomainError
from trainers.geo import UnknownPostcode, distance_km, format_postcode, locate
from trainers.network.models import Group, Topic
from trainers.requests.models import RequestSlot, TrainingRequest
from trainers.requests.slots import MAX_SLOTS, Slot
from trainers.timeutil import duration_in_words, format_datetime

MAX_ATTENDANCE = 500
MAX_ADDRESS = 500
MAX_ACCESSIBILITY = 1000
MAX_NOTES = 2000
MAX_REASON = 500
MAX_MEETING_URL = 500


@dataclass(frozen=True)
class Venue:
    """Where a session takes place: a located venue, or online with its link."""

    # Named as the request's columns so it can be copied onto one.
    is_online: bool
    venue_postcode: str | None = None
    venue_district: str | None = None
    venue_latitude: float | None = None
    venue_longitude: float | None = None
    venue_address: str = ""
    meeting_url: str | None = None


@dataclass(frozen=True)
class Particulars:
    """What a group writes of a request besides its topic and times, as written."""

    is_online: bool
    venue_postcode: str | None
    venue_address: str | None
    expected_attendance: int
    meeting_url: str | None = None
    accessibility_needs: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Details:
    """A request's details as checked, ready to be written onto it."""

    topic: Topic
    slots: list[Slot]
    venue: Venue
    expected_attendance: int
    accessibility_needs: str
    notes: str


def check_choice(topic: Topic, slots: list[Slot]) -> None:
    """The topic and times a group chooses: an offered topic, 1 to MAX_SLOTS times."""
    if not topic.is_active:
        raise DomainError(
            f"{topic.name} is no longer offered. Choose another topic.",
            field="topic_id",
        )
    if not 1 <= len(slots) <= MAX_SLOTS:
        raise DomainError(f"Propose between 1 and {MAX_SLOTS} time slots.")


def checked_details(topic: Topic, slots: list[Slot], written: Particulars) -> Details:
    """What a group wrote, checked and tidied. Raises DomainError on the field."""
    if not 1 <= written.expected_attendance <= MAX_ATTENDANCE:
        raise DomainError(
            f"Expected attendance must be between 1 and {MAX_ATTENDANCE} people.",
            field="expected_attendance",
        )
    return Details(
        topic=topic,
        slots=sorted(slots),
        venue=_venue(topic, written),
        expected_attendance=written.expected_attendance,
        accessibility_needs=clean(written.accessibility_needs),
        notes=clean(written.notes),
    )


def _venue(topic: Topic, written: Particulars) -> Venue:
    if written.is_online:
        if not topic.is_online_capable:
            raise DomainError(
                f"{topic.name} cannot be run online. Choose a venue, or a topic that "
                "can run online.",
                field="is_online",
            )
        return Venue(is_online=True, meeting_url=_meeting_url(written.meeting_url))
    postcode = written.venue_postcode
    if not (postcode or "").strip():
        raise DomainError(
            "Enter the venue's postcode (or choose online if the topic allows it).",
            field="venue_postcode",
        )
    try:
        place = locate(postcode)
    except UnknownPostcode as error:
        raise DomainError(error.message, field="venue_postcode") from error
    address = clean(written.venue_address)
    if not address:
        raise DomainError(
            "Enter the venue's address, so the trainer can find it.",
            field="venue_address",
        )
    return Venue(
        is_online=False,
        venue_postcode=format_postcode(postcode),
        venue_district=place.district,
        venue_latitude=place.latitude,
        venue_longitude=place.longitude,
        venue_address=address,
    )


def _meeting_url(url: str | None) -> str | None:
    """An online session's meeting link: https, with a host, or none yet."""
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if (
        parts.scheme.lower() != "https"
        or not parts.hostname
        or any(char.isspace() or char < " " for char in url)
        or len(url) > MAX_MEETING_URL
    ):
        raise DomainError(
            "Enter the meeting's full https address, as your video call service "
            "gives it, such as https://meet.example.org/abc-defg.",
            field="meeting_url",
        )
    return url


# A time under three quarters of the topic's usual length leaves out part of
# the workshop; 90 minutes for a two-hour topic, a common evening, still passes.
SHORT_SHARE = 0.75
# Farther than most trainers travel (radii run 15 to 50 km): a venue this far
# from its group is more often a mistyped postcode than a trip, and it sends
# the offers to trainers near the wrong town.
FAR_KM = 40


class NeedsConfirmation(DomainError):
    """Something unusual the group must tick to confirm; `warnings` each name
    their box (as InvalidSlots names its rows)."""

    def __init__(self, warnings: list[DomainError]):
        super().__init__(warnings[0].message, warnings[0].field)
        self.warnings = warnings


def unusual(
    group: Group, details: Details, *, warn_of_short: bool, warn_of_distance: bool
) -> list[DomainError]:
    """What is unusual in `details` and not yet confirmed: times much shorter
    than the topic's usual length, a venue far from the group."""
    warnings = []
    usual = timedelta(minutes=details.topic.default_minutes)
    short = [slot for slot in details.slots if slot[1] - slot[0] < usual * SHORT_SHARE]
    if warn_of_short and short:
        times = ", ".join(
            f"{format_datetime(starts_at)} ({duration_in_words(ends_at - starts_at)})"
            for starts_at, ends_at in short
        )
        warnings.append(
            DomainError(
                f"{details.topic.name} usually takes {duration_in_words(usual)}, and "
                f"{'this time is' if len(short) == 1 else 'these times are'} much "
                f"shorter: {times}. Tick the box if that is long enough, or give a "
                "later end.",
                field="confirm_short",
            )
        )
    venue = details.venue
    if warn_of_distance and not venue.is_online:
        km = distance_km(
            group.latitude, group.longitude, venue.venue_latitude, venue.venue_longitude
        )
        if km > FAR_KM:
            warnings.append(
                DomainError(
                    f"{venue.venue_postcode} is about {km:.0f} km from "
                    f"{group.name} ({group.postcode_district}). Check the postcode; "
                    "tick the box if the venue really is there.",
                    field="confirm_far",
                )
            )
    return warnings


def changes_between(training_request: TrainingRequest, details: Details) -> list[str]:
    """What writing `details` would change, as the request's history says it."""
    changes = []
    if details.topic.id != training_request.topic_id:
        changes.append(
            f"topic from {training_request.topic.name} to {details.topic.name}"
        )
    if set(details.slots) != {(s.starts_at, s.ends_at) for s in training_request.slots}:
        changes.append("slots changed")
    old_place, new_place = _place(training_request), _place(details.venue)
    if old_place != new_place:
        changes.append(f"venue from {old_place} to {new_place}")
    elif details.venue.venue_address != training_request.venue_address:
        changes.append("address changed")
    if details.venue.meeting_url != training_request.meeting_url:
        changes.append(
            "meeting link added"
            if training_request.meeting_url is None
            else "meeting link changed"
        )
    if details.expected_attendance != training_request.expected_attendance:
        changes.append(
            f"expected attendance from {training_request.expected_attendance} to "
            f"{details.expected_attendance}"
        )
    if details.accessibility_needs != training_request.accessibility_needs:
        changes.append("accessibility needs changed")
    if details.notes != training_request.notes:
        changes.append("notes changed")
    return changes


def _place(venue: Venue | TrainingRequest) -> str:
    return "online" if venue.is_online else venue.venue_postcode or ""


def apply_details(training_request: TrainingRequest, details: Details) -> None:
    """Write `details` onto the request, keeping the slots that stay."""
    training_request.topic = details.topic
    for name, value in asdict(details.venue).items():
        setattr(training_request, name, value)
    training_request.expected_attendance = details.expected_attendance
    training_request.accessibility_needs = details.accessibility_needs
    training_request.notes = details.notes
    # Keep slots that stay (offers may point at them); drop and add the rest.
    wanted = set(details.slots)
    for slot in list(training_request.slots):
        if (slot.starts_at, slot.ends_at) not in wanted:
            training_request.slots.remove(slot)
    kept = {(slot.starts_at, slot.ends_at) for slot in training_request.slots}
    for starts_at, ends_at in sorted(wanted - kept):
        training_request.slots.append(RequestSlot(starts_at=starts_at, ends_at=ends_at))
    training_request.slots.sort(key=attrgetter("starts_at"))


def clean(text: str | None) -> str:
    """Trimmed text with tidy line ends; lines are kept for addresses and notes."""
    return "\n".join(line.rstrip() for line in (text or "").strip().splitlines())
