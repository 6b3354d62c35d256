"""The office's list of people: a page of accounts at a time, searched by name,
email and group, and narrowed by role, region, status and topic."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import selectinload

from trainers.auth.models import User
from trainers.extensions import db
from trainers.listing import Page, contains, contains_pattern, page_number
from trainers.network.models import Group, group_organisers
from trainers.profiles.models import TrainerProfile, TrainerTopic

ACTIVE, DEACTIVATED = "active", "deactivated"


@dataclass(frozen=True)
class PeopleFilters:
    """What the list of people is narrowed to; None is no narrowing."""

    # Text someone typed: a name or email address holding it.
    search: str | None = None
    # Text someone typed: organisers of groups whose name holds it.
    group_name: str | None = None
    role: str | None = None  # one of auth.models.ROLES
    region: str | None = None  # a trainer's home, or an organiser's group's
    status: str | None = None  # ACTIVE or DEACTIVATED
    topic_id: int | None = None  # trainers teaching or shadowing it

    @classmethod
    def chosen(cls, values: Mapping[str, object]) -> "PeopleFilters":
        """The filters a page's form or an API call chose, by their names there
        (`group` for the group's name); what is left out narrows nothing."""
        return cls(
            search=values.get("search"),
            group_name=values.get("group"),
            role=values.get("role"),
            region=values.get("region"),
            status=values.get("status"),
            topic_id=values.get("topic_id"),
        )

    @property
    def used(self) -> dict[str, object]:
        return {name: value for name, value in asdict(self).items() if value}


def people_page(filters: PeopleFilters, *, page: int, per_page: int) -> Page[User]:
    """Page `page` (from 1; see listing.page_number) of the accounts `filters`
    leave, by name, with the groups and profile their roles need shown."""
    page = page_number(page)
    narrowed = narrowed_to(filters)
    offset = (page - 1) * per_page
    found = list(
        db.session.scalars(
            select(User)
            .where(*narrowed)
            .options(selectinload(User.groups), selectinload(User.trainer_profile))
            .order_by(User.name, User.id)
            .limit(per_page)
            .offset(offset)
        )
    )
    if len(found) < per_page and (found or page == 1):
        # The last page, so its rows tell the total.
        total = offset + len(found)
    else:
        total = db.session.scalar(
            select(func.count()).select_from(User).where(*narrowed)
        )
    return Page(items=found, page=page, per_page=per_page, total=total)


def narrowed_to(filters: PeopleFilters) -> list[ColumnElement[bool]]:
    """The conditions on User that leave the accounts `filters` name."""
    used = filters.used
    where = []
    if "search" in used:
        pattern = contains_pattern(filters.search)
        where.append(or_(contains(User.name, pattern), contains(User.email, pattern)))
    if "group_name" in used:
        where.append(
            User.id.in_(
                _organisers_of(
                    contains(Group.name, contains_pattern(filters.group_name))
                )
            )
        )
    if "role" in used:
        where.append(_holds(filters.role))
    if "region" in used:
        where.append(
            or_(
                User.id.in_(
                    select(TrainerProfile.user_id).where(
                        TrainerProfile.region == filters.region
                    )
                ),
                User.id.in_(_organisers_of(Group.region == filters.region)),
            )
        )
    if "status" in used:
        where.append(User.is_active.is_(filters.status == ACTIVE))
    if "topic_id" in used:
        where.append(
            User.id.in_(
                select(TrainerTopic.trainer_id).where(
                    TrainerTopic.topic_id == filters.topic_id
                )
            )
        )
    return where


def _organisers_of(groups: ColumnElement[bool]) -> Select:
    return (
        select(group_organisers.c.user_id)
        .join(Group, Group.id == group_organisers.c.group_id)
        .where(groups)
    )


def _holds(role: str) -> ColumnElement[bool]:
    # The SQL of User.roles: the office flag, a group organised, a trainer profile.
    if role == "office":
        return User.is_office
    if role == "organiser":
        return User.id.in_(select(group_organisers.c.user_id))
    return User.id.in_(select(TrainerProfile.user_id))
