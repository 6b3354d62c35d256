"""Trainer profiles: topics, home district and reach, monthly cap, weekly
availability and days off.

Every function flushes and leaves the commit to the caller.
"""

import logging
from datetime import date, datetime, time
from typing import NamedTuple, TypeVar

from sqlalchemy import Select, bindparam, select

from trainers.auth.models import User
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.geo import Place, UnknownPostcode, locate
from trainers.network.models import Topic
from trainers.network.services import active_topics
from trainers.profiles.models import (
    LEVELS,
    WEEKDAYS,
    AvailabilityWindow,
    DayOff,
    TrainerProfile,
    TrainerTopic,
)
from trainers.statements import built_once
from trainers.timeutil import format_date

logger = logging.getLogger(__name__)

Row = TypeVar("Row", AvailabilityWindow, DayOff)

MAX_RADIUS_KM = 300
MAX_MONTHLY_CAP = 20
MAX_NOTE_LENGTH = 200


def topic_field(topic_id: int) -> str:
    """The topics form's field name for a topic, so errors land next to it."""
    return f"topic_{topic_id}"


def window_label(window: AvailabilityWindow) -> str:
    """'Tuesday 18:00–21:00'."""
    return f"{window.weekday_name} {window.start_time:%H:%M}–{window.end_time:%H:%M}"


def days_label(day_off: DayOff) -> str:
    """'Tue 1 Dec 2026', or 'Tue 1 Dec 2026 to Thu 3 Dec 2026'."""
    first, last = format_date(day_off.first_on), format_date(day_off.last_on)
    return first if first == last else f"{first} to {last}"


def get_trainer_profile(viewer: User, user_id: int) -> TrainerProfile:
    """The profile of trainer `user_id` if `viewer` is that trainer or the office.

    Raises NotFound otherwise, and for an unknown id or a user who is no trainer.
    """
    profile = db.session.scalar(
        select(TrainerProfile).where(
            TrainerProfile.user_id == user_id, TrainerProfile.visible_to(viewer)
        )
    )
    if profile is None:
        raise NotFound()
    return profile


def update_basics(
    profile: TrainerProfile, home_postcode: str, travel_radius_km: int, monthly_cap: int
) -> TrainerProfile:
    """Set the home district (from a postcode or district), radius and cap.

    Only the district is kept, never a full postcode. Raises DomainError; flushes.
    """
    place = home_place(home_postcode)
    check_travel_radius(travel_radius_km)
    if not 0 <= monthly_cap <= MAX_MONTHLY_CAP:
        raise DomainError(
            f"Choose a monthly cap from 0 to {MAX_MONTHLY_CAP} sessions (0 means "
            "you are not taking sessions).",
            field="monthly_cap",
        )
    profile.home_district = place.district
    profile.latitude, profile.longitude = place.latitude, place.longitude
    profile.region = place.region
    profile.travel_radius_km = travel_radius_km
    profile.monthly_cap = monthly_cap
    db.session.flush()
    logger.info(
        "Trainer %s basics set: district %s, radius %s km, cap %s",
        profile.user_id,
        place.district,
        travel_radius_km,
        monthly_cap,
    )
    return profile


def home_place(home_postcode: str) -> Place:
    """The district a trainer's home postcode lies in. Raises DomainError."""
    try:
        return locate(home_postcode)
    except UnknownPostcode as error:
        raise DomainError(error.message, field="home_postcode") from error


def check_travel_radius(travel_radius_km: int) -> None:
    """Raise DomainError for a travel radius no trainer may choose."""
    if not 0 <= travel_radius_km <= MAX_RADIUS_KM:
        raise DomainError(
            f"Choose a travel radius from 0 to {MAX_RADIUS_KM} km (0 means online "
            "only).",
            field="travel_radius_km",
        )


def start_profile(
    profile: TrainerProfile,
    home_postcode: str | None,
    travel_radius_km: int | None,
    topic_ids: list[int],
) -> None:
    """Set up a new trainer's profile as the office's bulk import prepared it:
    home and radius, and qualified in those topics still in the catalogue.
    Flushes; raises DomainError for a home or radius refused since."""
    radius = profile.travel_radius_km if travel_radius_km is None else travel_radius_km
    if home_postcode:
        update_basics(profile, home_postcode, radius, profile.monthly_cap)
    else:
        check_travel_radius(radius)
        profile.travel_radius_km = radius
    offered = {topic.id for topic in active_topics()}
    set_topics(profile, {id_: "qualified" for id_ in topic_ids if id_ in offered})


def set_board_emails(profile: TrainerProfile, wanted: bool, now: datetime) -> None:
    """Opt in to, or out of, the daily email of new requests the trainer could
    take; opting in makes only requests from now on news. Flushes."""
    if wanted and not profile.has_board_emails:
        profile.board_news_seen_at = now
    profile.has_board_emails = wanted
    db.session.flush()
    logger.info(
        "Trainer %s board emails %s", profile.user_id, "on" if wanted else "off"
    )


def set_topics(profile: TrainerProfile, levels: dict[int, str | None]) -> None:
    """Set the level of each given topic id; None stops teaching it.

    Topics not in `levels` are left as they are. Raises DomainError for an
    unknown or inactive topic or an unknown level, before changing anything.
    """
    topics = {topic.id: topic for topic in active_topics()}
    for topic_id, level in levels.items():
        if topic_id not in topics:
            raise DomainError(
                "One of those topics is not in the catalogue any more. Reload the "
                "page and choose again."
            )
        if level is not None and level not in LEVELS:
            raise DomainError(
                f"Choose not taught, shadowing or qualified for "
                f"{topics[topic_id].name}.",
                field=topic_field(topic_id),
            )
    current = {row.topic_id: row for row in profile.topics}
    for topic_id, level in levels.items():
        row = current.get(topic_id)
        if level is None:
            if row is not None:
                profile.topics.remove(row)
        elif row is None:
            profile.topics.append(TrainerTopic(topic=topics[topic_id], level=level))
        else:
            row.level = level
    db.session.flush()
    logger.info(
        "Trainer %s topics set: %s",
        profile.user_id,
        {row.topic_id: row.level for row in profile.topics},
    )


def add_availability(
    profile: TrainerProfile, weekday: int, start: time, end: time
) -> AvailabilityWindow:
    """Add a weekly window (Europe/London wall clock). Raises DomainError; flushes.

    A window that overlaps or touches another on the same day is refused: the
    trainer should widen the existing one instead.
    """
    if weekday not in range(len(WEEKDAYS)):
        raise DomainError("Choose a day of the week.", field="weekday")
    if end <= start:
        raise DomainError(
            "The end time must be after the start time. A window cannot run past "
            "midnight: add the rest on the next day.",
            field="end_time",
        )
    for other in profile.availability:
        if (
            other.weekday == weekday
            and start <= other.end_time
            and other.start_time <= end
        ):
            raise DomainError(
                f"That overlaps or runs on from your window "
                f"{window_label(other)}. "
                "Remove that one and add a single longer window instead.",
                field="start_time",
            )
    window = AvailabilityWindow(weekday=weekday, start_time=start, end_time=end)
    profile.availability.append(window)
    db.session.flush()
    logger.info("Trainer %s added availability window %s", profile.user_id, window.id)
    return window


def remove_availability(profile: TrainerProfile, window_id: int) -> AvailabilityWindow:
    """Remove one of the trainer's windows and return it. Raises NotFound; flushes."""
    return _remove_own(profile, profile.availability, window_id, "availability window")


def add_day_off(
    profile: TrainerProfile, first_on: date, last_on: date, note: str, today: date
) -> DayOff:
    """Add days off, first and last inclusive. Raises DomainError; flushes.

    `today` is the Europe/London date: a range wholly before it is refused.
    """
    note = (note or "").strip()
    if last_on < first_on:
        raise DomainError(
            "The last day off must be the same as the first day or after it.",
            field="last_on",
        )
    if last_on < today:
        raise DomainError(
            "Those days are all in the past. Choose days from today onwards.",
            field="last_on",
        )
    if len(note) > MAX_NOTE_LENGTH:
        raise DomainError(
            f"Keep the note to {MAX_NOTE_LENGTH} characters or fewer.", field="note"
        )
    for other in profile.days_off:
        if first_on <= other.last_on and other.first_on <= last_on:
            raise DomainError(
                f"You already have days off {days_label(other)}"
                ". Remove them first, or choose days that do not overlap.",
                field="first_on",
            )
    day_off = DayOff(first_on=first_on, last_on=last_on, note=note)
    profile.days_off.append(day_off)
    db.session.flush()
    logger.info("Trainer %s added days off %s", profile.user_id, day_off.id)
    return day_off


def remove_day_off(profile: TrainerProfile, day_off_id: int) -> DayOff:
    """Remove one of the trainer's day-off ranges and return it. Raises NotFound."""
    return _remove_own(profile, profile.days_off, day_off_id, "days off")


def _remove_own(
    profile: TrainerProfile, rows: list[Row], row_id: int, what: str
) -> Row:
    row = _own_row(rows, row_id)
    rows.remove(row)
    db.session.flush()
    logger.info("Trainer %s removed %s %s", profile.user_id, what, row_id)
    return row


def _own_row(rows: list[Row], row_id: int) -> Row:
    # Looking only in the trainer's own rows makes another trainer's id a 404.
    for row in rows:
        if row.id == row_id:
            return row
    raise NotFound()


class ProfileFacts(NamedTuple):
    """What a profile's gaps are decided from."""

    has_home: bool
    teaches: bool  # an active topic, at any level
    qualified: bool  # qualified in an active topic
    has_availability: bool
    monthly_cap: int


def profile_gaps(profile: TrainerProfile) -> list[str]:
    """What stops this trainer being offered sessions, as sentences to show them."""
    taught = [row for row in profile.topics if row.topic.is_active]
    return gaps_from(
        ProfileFacts(
            has_home=profile.home_district is not None,
            teaches=bool(taught),
            qualified=any(row.level == "qualified" for row in taught),
            has_availability=bool(profile.availability),
            monthly_cap=profile.monthly_cap,
        )
    )


@built_once
def profile_facts() -> Select:
    """The statement of one trainer's ProfileFacts (parameter `trainer_id`), for
    a page that reads them beside other things rather than loading the profile."""
    taught = (
        select(TrainerTopic.topic_id)
        .join(Topic, Topic.id == TrainerTopic.topic_id)
        .where(TrainerTopic.trainer_id == TrainerProfile.user_id, Topic.is_active)
    )
    windows = select(AvailabilityWindow.id).where(
        AvailabilityWindow.trainer_id == TrainerProfile.user_id
    )
    return select(
        TrainerProfile.home_district.is_not(None),
        taught.exists(),
        taught.where(TrainerTopic.level == "qualified").exists(),
        windows.exists(),
        TrainerProfile.monthly_cap,
    ).where(TrainerProfile.user_id == bindparam("trainer_id"))


def gaps_from(facts: ProfileFacts) -> list[str]:
    """The sentences for a profile's gaps, from its facts."""
    gaps = []
    if not facts.has_home:
        gaps.append(
            "Add your home postcode district so we can offer you sessions nearby."
        )
    if not facts.teaches:
        gaps.append("Choose the topics you teach.")
    elif not facts.qualified:
        gaps.append(
            "You are shadowing every topic you chose: you will be offered sessions "
            "once you are qualified in one."
        )
    if not facts.has_availability:
        gaps.append("Add the times in the week you are usually free.")
    if facts.monthly_cap == 0:
        gaps.append("Your monthly cap is 0, so you won't be offered sessions.")
    return gaps
