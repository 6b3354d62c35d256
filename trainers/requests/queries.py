"""Reading requests: who may see which (one scope), the list, one request's
page, and the groups and topics a person may ask for."""

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import (
    Row,
    Select,
    Subquery,
    bindparam,
    case,
    func,
    select,
    true,
)
from sqlalchemy.orm import aliased, joinedload, selectinload

from trainers.auth.models import User
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.listing import Page, contains, contains_pattern, page_number
from trainers.network.models import Group, Topic
from trainers.requests.models import (
    CANCELLABLE_STATUSES,
    OPEN_STATUSES,
    RequestEvent,
    RequestSlot,
    TrainingRequest,
    is_urgent_at,
    places_needed_for,
    request_start,
)
from trainers.requests.services import is_short_notice_at
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.sessions.services import ShownPlace, places_as_shown
from trainers.statements import AnyViewer, built_once

logger = logging.getLogger(__name__)


class ListedRequest(NamedTuple):
    """One line of the request list."""

    # The columns of _listed's rows, in their order, then the badges.
    id: int
    status: str
    created_at: datetime
    topic_name: str
    group_name: str
    # When it takes place: its session's start once booked, else the first
    # proposed start (requests.models.request_start).
    starts_at: datetime | None
    is_short_notice: bool
    is_urgent: bool


RequestListPage = Page[ListedRequest]


@dataclass(frozen=True)
class RequestFilters:
    """What the request list is narrowed to; None is no narrowing."""

    status: str | None = None
    group_id: int | None = None
    # Text someone typed: groups whose name holds it.
    group_name: str | None = None
    topic_id: int | None = None
    region: str | None = None

    def params(self) -> dict[str, object]:
        """The bound values of the filters in use, by their bindparam's name."""
        used = {name: value for name, value in asdict(self).items() if value}
        if "group_name" in used:
            used["group_name"] = contains_pattern(used["group_name"])
        return used


def list_page(
    user: User,
    filters: RequestFilters,
    *,
    page: int,
    per_page: int,
    now: datetime,
) -> RequestListPage:
    """Page `page` (from 1; see listing.page_number) of the requests `user` may
    see, narrowed by `filters`, newest first, read as rows rather than entities."""
    page = page_number(page)
    params = filters.params()
    rows, count = _listed(user.is_office, frozenset(params))
    params["viewer_id"] = user.id
    offset = (page - 1) * per_page
    # Core rows on the session's connection: the ORM's execute adds nothing
    # here but its own cost (a page that reads has nothing pending to flush).
    connection = db.session.connection()
    found = connection.execute(
        rows, {**params, "limit": per_page, "offset": offset}
    ).all()
    if len(found) < per_page and (found or page == 1):
        # The last page, so its rows tell the total: most lists fit on one page.
        total = offset + len(found)
    else:
        total = connection.execute(count, params).scalar_one()
    notice_days = current_app.config["SHORT_NOTICE_DAYS"]
    urgent_days = current_app.config["URGENT_DAYS"]
    return RequestListPage(
        items=[
            ListedRequest(
                *row,
                is_short_notice_at(row.status, row.starts_at, now, notice_days),
                is_urgent_at(row.status, row.starts_at, now, urgent_days),
            )
            for row in found
        ],
        page=page,
        per_page=per_page,
        total=total,
    )


@built_once
def _listed(is_office: bool, filtered_by: frozenset[str]) -> tuple[Select, Select]:
    # The list's rows and their count, for each set of filters in use.
    scope = [TrainingRequest.visible_to(AnyViewer(is_office))]
    if "status" in filtered_by:
        scope.append(TrainingRequest.status == bindparam("status"))
    if "group_id" in filtered_by:
        scope.append(TrainingRequest.group_id == bindparam("group_id"))
    if "topic_id" in filtered_by:
        scope.append(TrainingRequest.topic_id == bindparam("topic_id"))
    # A group's name and region narrow the groups first: there are far fewer
    # groups than requests.
    groups = []
    if "group_name" in filtered_by:
        groups.append(contains(Group.name, bindparam("group_name")))
    if "region" in filtered_by:
        groups.append(Group.region == bindparam("region"))
    if groups:
        scope.append(TrainingRequest.group_id.in_(select(Group.id).where(*groups)))
    newest_first = (TrainingRequest.created_at.desc(), TrainingRequest.id.desc())
    # The page's requests are found first, and only their 50 rows get names and
    # times: an offset still reads every row before it, and working out when
    # each skipped request takes place made a late page several times slower.
    paged = (
        select(TrainingRequest.id)
        .where(*scope)
        .order_by(*newest_first)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery("paged")
    )
    rows = (
        select(
            TrainingRequest.id,
            TrainingRequest.status,
            TrainingRequest.created_at,
            Topic.name.label("topic_name"),
            Group.name.label("group_name"),
            request_start().label("starts_at"),
        )
        .join(paged, paged.c.id == TrainingRequest.id)
        .join(TrainingRequest.topic)
        .join(TrainingRequest.group)
        .order_by(*newest_first)
    )
    count = select(func.count()).select_from(TrainingRequest).where(*scope)
    return rows, count


class TakingSession(NamedTuple):
    """The session that took a request, as its page shows it."""

    id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    trainer_name: str


class ShownSlot(NamedTuple):
    """A proposed time as the request's page shows it."""

    starts_at: datetime
    ends_at: datetime
    is_settled: bool  # the time the group settled on (see RequestSlot)


@dataclass(frozen=True)
class ShownRequest:
    """A request as its page shows it, read as rows rather than entities."""

    request: Row  # its columns, with topic_name, group_name and created_by_name
    slots: list["ShownSlot"]  # earliest first
    events: Sequence[Row]  # at, action, detail, is_flagged, actor_name; oldest first
    is_open: bool
    can_cancel: bool
    is_short_notice: bool
    is_urgent: bool
    # The session that took it: its booked one, else the one that delivered it
    # (the latest, if several); at most one of the two.
    booked: TakingSession | None
    delivered: TakingSession | None
    # The places beside the lead of the session that took it (see
    # sessions.services.places_as_shown).
    places: list[ShownPlace]
    # How many trainers its session needs: the office's number, else the topic's.
    places_needed: int
    topic_places_needed: int


def request_as_shown(user: User, request_id: int, now: datetime) -> ShownRequest:
    """The request `user` may see (as get_request_for) as its page shows it.

    Raises NotFound otherwise.
    """
    request_and_slots, history = _shown(user.is_office)
    # Core rows on the session's connection, as in list_page.
    connection = db.session.connection()
    found = connection.execute(
        request_and_slots, {"request_id": request_id, "viewer_id": user.id}
    ).all()
    if not found:
        raise NotFound()
    details = found[0]
    slots = [
        ShownSlot(row.slot_starts_at, row.slot_ends_at, row.slot_is_settled)
        for row in found
        if row.slot_starts_at is not None
    ]
    settled = [slot for slot in slots if slot.is_settled]
    first = (settled or slots)[0].starts_at if slots else None
    taken = _session_taking(details)
    return ShownRequest(
        request=details,
        slots=slots,
        events=connection.execute(history, {"request_id": request_id}).all(),
        is_open=details.status in OPEN_STATUSES,
        can_cancel=details.status in CANCELLABLE_STATUSES,
        is_short_notice=is_short_notice_at(
            details.status, first, now, current_app.config["SHORT_NOTICE_DAYS"]
        ),
        is_urgent=is_urgent_at(
            details.status, first, now, current_app.config["URGENT_DAYS"]
        ),
        booked=taken if taken and taken.status == SessionStatus.BOOKED else None,
        delivered=taken if taken and taken.status == SessionStatus.DELIVERED else None,
        places=places_as_shown(taken.id) if taken else [],
        places_needed=places_needed_for(
            details.trainers_override,
            details.topic_trainers_needed,
            details.topic_extra_trainer_above,
            details.expected_attendance,
        ),
        topic_places_needed=places_needed_for(
            None,
            details.topic_trainers_needed,
            details.topic_extra_trainer_above,
            details.expected_attendance,
        ),
    )


def _session_taking(details: Row) -> TakingSession | None:
    if details.session_id is None:
        return None
    return TakingSession(
        details.session_id,
        details.session_status,
        details.session_starts_at,
        details.session_ends_at,
        details.session_trainer_name,
    )


@built_once
def _shown(is_office: bool) -> tuple[Select, Select]:
    return _request_and_slots(is_office), _history()


def _request_and_slots(is_office: bool) -> Select:
    # The request's columns come once per proposed slot (at most MAX_SLOTS), and
    # with them the session that took it: a row more, or columns more, cost
    # less than a statement more.
    taking = _taking_session()
    return (
        select(
            TrainingRequest.id,
            TrainingRequest.status,
            TrainingRequest.is_online,
            TrainingRequest.venue_postcode,
            TrainingRequest.venue_address,
            TrainingRequest.meeting_url,
            TrainingRequest.expected_attendance,
            TrainingRequest.accessibility_needs,
            TrainingRequest.notes,
            TrainingRequest.cancel_reason,
            TrainingRequest.created_at,
            TrainingRequest.status_changed_at,
            TrainingRequest.trainers_override,
            TrainingRequest.allows_shadowing,
            Topic.name.label("topic_name"),
            Topic.trainers_needed.label("topic_trainers_needed"),
            Topic.extra_trainer_above.label("topic_extra_trainer_above"),
            Group.name.label("group_name"),
            User.name.label("created_by_name"),
            RequestSlot.starts_at.label("slot_starts_at"),
            RequestSlot.ends_at.label("slot_ends_at"),
            RequestSlot.is_settled.label("slot_is_settled"),
            taking.c.id.label("session_id"),
            taking.c.status.label("session_status"),
            taking.c.starts_at.label("session_starts_at"),
            taking.c.ends_at.label("session_ends_at"),
            taking.c.trainer_name.label("session_trainer_name"),
        )
        .join(TrainingRequest.topic)
        .join(TrainingRequest.group)
        .outerjoin(TrainingRequest.created_by)
        .outerjoin(TrainingRequest.slots)
        .outerjoin(taking, true())
        .where(
            TrainingRequest.id == bindparam("request_id"),
            TrainingRequest.visible_to(AnyViewer(is_office)),
        )
        .order_by(RequestSlot.starts_at)
    )


def _taking_session() -> Subquery:
    # The session that took the request: its booked one, else the latest that
    # delivered it.
    trainer = aliased(User)
    return (
        select(
            TrainingSession.id,
            TrainingSession.status,
            TrainingSession.starts_at,
            TrainingSession.ends_at,
            trainer.name.label("trainer_name"),
        )
        .join(trainer, trainer.id == TrainingSession.trainer_id)
        .where(
            TrainingSession.request_id == bindparam("request_id"),
            TrainingSession.status.in_((SessionStatus.BOOKED, SessionStatus.DELIVERED)),
        )
        .order_by(
            case((TrainingSession.status == SessionStatus.BOOKED, 0), else_=1),
            TrainingSession.id.desc(),
        )
        .limit(1)
        .subquery("taking")
    )


def _history() -> Select:
    return (
        select(
            RequestEvent.at,
            RequestEvent.action,
            RequestEvent.detail,
            RequestEvent.is_flagged,
            User.name.label("actor_name"),
        )
        .outerjoin(RequestEvent.actor)
        .where(RequestEvent.request_id == bindparam("request_id"))
        .order_by(RequestEvent.at, RequestEvent.id)
    )


def visible_requests(
    user: User, *, status: str | None = None, group_id: int | None = None
) -> Select:
    """The requests `user` may see (office: all; organiser: own groups'), newest first.

    Loads the group, topic and slots their pages show.
    """
    query = (
        select(TrainingRequest)
        .options(
            joinedload(TrainingRequest.group),
            joinedload(TrainingRequest.topic),
            selectinload(TrainingRequest.slots),
        )
        .where(TrainingRequest.visible_to(user))
    )
    if status is not None:
        query = query.where(TrainingRequest.status == status)
    if group_id is not None:
        query = query.where(TrainingRequest.group_id == group_id)
    return query.order_by(TrainingRequest.created_at.desc(), TrainingRequest.id.desc())


def get_request_for(user: User, request_id: int) -> TrainingRequest:
    """A request `user` may see, with its history. Raises NotFound otherwise."""
    training_request = db.session.scalar(
        visible_requests(user)
        .where(TrainingRequest.id == request_id)
        .options(
            joinedload(TrainingRequest.created_by),
            selectinload(TrainingRequest.events).joinedload(RequestEvent.actor),
        )
    )
    if training_request is None:
        raise NotFound()
    return training_request


def groups_for(user: User, *, active_only: bool = True) -> list[Row]:
    """The groups `user` may ask for training for (office: every group), by
    name, as rows of their id and name."""
    return (
        db.session.connection()
        .execute(_groups_for(user.is_office, active_only), {"viewer_id": user.id})
        .all()
    )


@built_once
def _groups_for(is_office: bool, active_only: bool) -> Select:
    # Rows, not the account's groups: the signed-in account comes without
    # them, and loading them as objects costs more than this statement.
    return _group_scope(select(Group.id, Group.name), AnyViewer(is_office), active_only)


def group_for(user: User, group_id: int | None) -> Group:
    """An active group `user` may ask for training for. Raises NotFound otherwise."""
    group = db.session.scalar(
        _group_scope(select(Group), user, True).where(Group.id == group_id)
    )
    if group is None:
        raise NotFound()
    return group


def get_topic(topic_id: int | None) -> Topic:
    """A topic by id. Raises DomainError on the topic field when there is none."""
    topic = db.session.get(Topic, topic_id) if topic_id is not None else None
    if topic is None:
        raise DomainError("Choose a topic from the list.", field="topic_id")
    return topic


def _group_scope(query: Select, user: User | AnyViewer, active_only: bool) -> Select:
    query = query.where(Group.visible_to(user)).order_by(Group.name)
    return query.where(Group.is_active) if active_only else query
