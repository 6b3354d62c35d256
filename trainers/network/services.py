"""The office's management of groups, organisers and the topic catalogue.

Every function flushes and leaves the commit to the caller.
"""

import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from trainers.auth.models import Invitation, User
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.geo import REGIONS, Place, locate
from trainers.network.models import MAX_TRAINERS, Group, Topic, group_organisers

logger = logging.getLogger(__name__)


def get_group(group_id: int) -> Group:
    """The group with this id. Raises NotFound."""
    group = db.session.get(Group, group_id)
    if group is None:
        raise NotFound()
    return group


def get_person(user_id: int) -> User:
    """The account with this id. Raises NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def get_topic(topic_id: int) -> Topic:
    """The topic with this id. Raises NotFound."""
    topic = db.session.get(Topic, topic_id)
    if topic is None:
        raise NotFound()
    return topic


def save_group(
    group: Group | None, name: str, postcode: str, region: str, is_active: bool
) -> Group:
    """Create (group=None) or update a group placed at its postcode district.

    An empty region takes the district's own. Raises DomainError (name taken,
    unknown district, unknown region).
    """
    name = group_name(name, group)
    place = group_place(postcode)
    check_region(region)
    if group is None:
        group = Group()
        db.session.add(group)
    group.name = name
    group.postcode_district = place.district
    group.latitude, group.longitude = place.latitude, place.longitude
    group.region = region or place.region
    group.is_active = is_active
    db.session.flush()
    logger.info(
        "Group %s saved (%s, %s)", group.id, group.postcode_district, group.region
    )
    return group


def group_name(name: str, current: Group | None = None) -> str:
    """A group's name with its spacing tidied. Raises DomainError if another
    group has it, whatever its case."""
    name = " ".join(name.split())
    _require_unique(Group, name, current, "A group called “{}” already exists.")
    return name


def group_place(postcode: str) -> Place:
    """The district a group's postcode lies in. Raises DomainError on `postcode`."""
    try:
        return locate(postcode)
    except DomainError as error:
        raise DomainError(error.message, "postcode") from None


def check_region(region: str) -> None:
    """Raise DomainError unless `region` is empty (the district's own) or one
    of the UK's nations and regions."""
    if region and region not in REGIONS:
        raise DomainError("Choose one of the UK's nations and regions.", "region")


def save_topic(
    topic: Topic | None,
    name: str,
    summary: str,
    default_minutes: int,
    is_online_capable: bool,
    is_active: bool,
    *,
    trainers_needed: int = 1,
    extra_trainer_above: int | None = None,
) -> Topic:
    """Create (topic=None) or update a catalogue topic, with how many trainers
    its sessions need. Raises DomainError if the name is taken."""
    name = " ".join(name.split())
    _require_unique(Topic, name, topic, "A topic called “{}” already exists.")
    if topic is None:
        topic = Topic()
        db.session.add(topic)
    topic.name = name
    topic.summary = summary.strip()
    topic.default_minutes = default_minutes
    topic.is_online_capable = is_online_capable
    topic.is_active = is_active
    if not 1 <= trainers_needed <= MAX_TRAINERS:
        raise DomainError(
            f"A session needs from 1 to {MAX_TRAINERS} trainers.", "trainers_needed"
        )
    topic.trainers_needed = trainers_needed
    topic.extra_trainer_above = extra_trainer_above
    db.session.flush()
    logger.info("Topic %s saved", topic.id)
    return topic


def _require_unique(model, name: str, current, message: str) -> None:
    clash = db.session.scalar(
        select(model).where(func.lower(model.name) == name.lower())
    )
    if clash is not None and clash is not current:
        raise DomainError(message.format(name), "name")


def remove_organiser(group: Group, user_id: int) -> User:
    """Take an organiser off a group. Raises NotFound if they do not organise it."""
    user = next((u for u in group.organisers if u.id == user_id), None)
    if user is None:
        raise NotFound()
    group.organisers.remove(user)
    db.session.flush()
    logger.info("User %s removed as organiser of group %s", user.id, group.id)
    return user


def group_list(region: str | None = None) -> list[tuple[Group, int]]:
    """Every group with its organiser count, by region then name."""
    organiser_count = (
        select(func.count())
        .select_from(group_organisers)
        .where(group_organisers.c.group_id == Group.id)
        .correlate(Group)
        .scalar_subquery()
    )
    query = select(Group, organiser_count).order_by(Group.region, Group.name)
    if region:
        query = query.where(Group.region == region)
    return list(db.session.execute(query).tuples())


def active_groups() -> list[Group]:
    """Groups that may request sessions, by name."""
    return list(
        db.session.scalars(select(Group).where(Group.is_active).order_by(Group.name))
    )


def active_topics() -> list[Topic]:
    """The topics groups may ask for and trainers may teach, by name."""
    return list(
        db.session.scalars(select(Topic).where(Topic.is_active).order_by(Topic.name))
    )


def all_topics() -> list[Topic]:
    """The whole catalogue, active topics first."""
    return list(
        db.session.scalars(select(Topic).order_by(Topic.is_active.desc(), Topic.name))
    )


def open_invitations(now: datetime) -> list[Invitation]:
    """Invitations not yet accepted or revoked, newest first (expired ones included)."""
    return list(
        db.session.scalars(
            select(Invitation)
            .options(selectinload(Invitation.group))
            .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
            .order_by(Invitation.created_at.desc())
        )
    )
