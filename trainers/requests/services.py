"""Training requests: make, edit and cancel them; list what each person may see.

Every function that changes something flushes and leaves the commit to the caller.
"""

import functools
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from math import ceil
from operator import attrgetter
from typing import NamedTuple
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload

from trainers.auth.models import User
from trainers.errors import DomainError, NotFound
from trainers.extensions import db
from trainers.geo import UnknownPostcode, format_postcode, locate
from trainers.network.models import Group, Topic, group_organisers
from trainers.requests.models import (
    CANCELLABLE_STATUSES,
    OPEN_STATUSES,
    RequestEvent,
    RequestSlot,
    RequestStatus,
    TrainingRequest,
    is_urgent_at,
    matching_slot,
    request_start,
)
from trainers.sessions.models import SessionStatus, TrainingSession
from trainers.timeutil import LocalTimeError, format_datetime, local_to_utc

logger = logging.getLogger(__name__)

MAX_SLOTS = 5
MAX_ATTENDANCE = 500
MAX_ADDRESS = 500
MAX_ACCESSIBILITY = 1000
MAX_NOTES = 2000
MAX_REASON = 500
MAX_MEETING_URL = 500
# Nobody plans a workshop further ahead; later dates only break month arithmetic.
MAX_YEARS_AHEAD = 2

# A slot as typed on the form: a local date, start and end time, any of them empty.
SlotRow = tuple[date | None, time | None, time | None]
# A proposed slot as stored: aware UTC start and end.
Slot = tuple[datetime, datetime]


def slot_field(row: int, part: str) -> str:
    """The form field of one part ("date", "start", "end") of slot row `row`, from 0."""
    return f"slot_{row + 1}_{part}"


class SlotError(DomainError):
    """One proposed slot breaks a rule; `row` is its place on the form, from 0."""

    def __init__(self, row: int, part: str, message: str):
        super().__init__(message, field=slot_field(row, part))
        self.row = row


class InvalidSlots(DomainError):
    """Some proposed slots break rules; `errors` holds one SlotError per bad row."""

    def __init__(self, errors: list[SlotError]):
        super().__init__(errors[0].message, errors[0].field)
        self.errors = errors


@dataclass(frozen=True)
class _Venue:
    # Named as the request's columns so it can be copied onto one.
    is_online: bool
    venue_postcode: str | None = None
    venue_district: str | None = None
    venue_latitude: float | None = None
    venue_longitude: float | None = None
    venue_address: str = ""
    meeting_url: str | None = None


@dataclass(frozen=True)
class _Details:
    topic: Topic
    slots: list[Slot]
    venue: _Venue
    expected_attendance: int
    accessibility_needs: str
    notes: str


def parse_slots(rows: list[SlotRow], now: datetime) -> list[Slot]:
    """The proposed slots as UTC (start, end) pairs, earliest first; empty rows skipped.

    Raises InvalidSlots naming every bad row: half filled, a time the clocks skip,
    ending at or before its start, in the past, too long, or a repeat of another.
    """
    filled = [
        (row, values)
        for row, values in enumerate(rows)
        if any(value is not None for value in values)
    ]
    if len(filled) > MAX_SLOTS:
        raise DomainError(f"Propose at most {MAX_SLOTS} time slots.")
    if not filled:
        raise InvalidSlots(
            [
                SlotError(
                    0,
                    "date",
                    "Propose at least one time slot: a date, a start time and an "
                    "end time.",
                )
            ]
        )
    rows_by_slot: dict[Slot, int] = {}
    errors = []
    for row, values in filled:
        try:
            slot = _parse_slot(row, *values, now)
            if slot in rows_by_slot:
                raise SlotError(
                    row,
                    "date",
                    f"This slot is the same as slot {rows_by_slot[slot] + 1}.",
                )
        except SlotError as error:
            errors.append(error)
        else:
            rows_by_slot[slot] = row
    if errors:
        raise InvalidSlots(errors)
    return sorted(rows_by_slot)


def _parse_slot(
    row: int, day: date | None, start: time | None, end: time | None, now: datetime
) -> Slot:
    for part, value, wanted in (
        ("date", day, "a date"),
        ("start", start, "a start time"),
        ("end", end, "an end time"),
    ):
        if value is None:
            raise SlotError(
                row,
                part,
                f"This slot needs {wanted} too, or leave the whole row empty.",
            )
    starts_at = _to_utc(row, "start", day, start)
    ends_at = _to_utc(row, "end", day, end)
    if ends_at <= starts_at:
        raise SlotError(
            row,
            "end",
            "This slot ends at or before its start. Give an end time later the "
            "same day.",
        )
    if starts_at <= now:
        raise SlotError(
            row, "date", "This slot is in the past. Choose a time still to come."
        )
    if starts_at > now + timedelta(days=366 * MAX_YEARS_AHEAD):
        raise SlotError(
            row,
            "date",
            f"This slot is more than {MAX_YEARS_AHEAD} years away. Choose a nearer "
            "date.",
        )
    longest = current_app.config["MAX_SLOT_HOURS"]
    if ends_at - starts_at > timedelta(hours=longest):
        raise SlotError(
            row,
            "end",
            f"This slot is longer than {longest} hours. Propose a shorter session.",
        )
    return starts_at, ends_at


def _to_utc(row: int, part: str, day: date, clock: time) -> datetime:
    try:
        return local_to_utc(day, clock)
    except LocalTimeError as error:
        raise SlotError(row, part, str(error)) from error


def create_request(
    group: Group,
    topic: Topic,
    slots: list[Slot],
    *,
    is_online: bool,
    venue_postcode: str | None,
    venue_address: str | None,
    expected_attendance: int,
    accessibility_needs: str | None,
    notes: str | None,
    by: User,
    now: datetime,
    meeting_url: str | None = None,
    submission_key: str | None = None,
    warn_of_overlap: bool = False,
) -> TrainingRequest:
    """Submit a group's request for a topic in one of `slots` (from parse_slots).

    Records it in the history; matching may run on the result straight after.
    Raises AlreadySubmitted when the form with `submission_key` made a request
    before, OverlapsOpenRequest (with `warn_of_overlap`) when the group has one
    for the topic at an overlapping time, or DomainError naming the field at
    fault. Flushes; the caller commits.
    """
    if not group.is_active:
        raise DomainError(
            f"{group.name} is no longer active, so it cannot ask for training."
        )
    _check_choice(topic, slots)
    details = _validate(
        topic,
        slots,
        is_online=is_online,
        venue_postcode=venue_postcode,
        venue_address=venue_address,
        meeting_url=meeting_url,
        expected_attendance=expected_attendance,
        accessibility_needs=accessibility_needs,
        notes=notes,
    )
    _ensure_not_sent(submission_key)
    if warn_of_overlap:
        overlapping = overlapping_requests(group, topic, slots)
        if overlapping:
            raise OverlapsOpenRequest(group, topic, overlapping)
    training_request = TrainingRequest(
        group=group,
        created_by=by,
        status=RequestStatus.SUBMITTED,
        submission_key=submission_key,
        created_at=now,
        status_changed_at=now,
    )
    _apply(training_request, details)
    try:
        # A savepoint: the same form sent twice at once loses here, not at commit.
        with db.session.begin_nested():
            db.session.add(training_request)
    except IntegrityError:
        _ensure_not_sent(submission_key)
        raise
    training_request.note(
        "submitted",
        _plural(len(slots), "slot") + " proposed",
        by,
        now,
    )
    db.session.flush()
    logger.info(
        "Training request %s created for group %s (topic %s) by user %s",
        training_request.id,
        group.id,
        topic.id,
        by.id,
    )
    return training_request


class AlreadySubmitted(DomainError):
    """The same form was sent before; `training_request` is what it made."""

    def __init__(self, training_request: TrainingRequest):
        super().__init__("You had already sent this request: here it is.")
        self.training_request = training_request


class OverlapsOpenRequest(DomainError):
    """The group already has a request for the topic at an overlapping time."""

    def __init__(self, group: Group, topic: Topic, others: list[TrainingRequest]):
        when = ", ".join(format_datetime(when) for _, when in others)
        super().__init__(
            f"{group.name} already has a request for {topic.name} at an overlapping "
            f"time ({when}): see its requests. If this is another session, tick the "
            "box to send it as well.",
            field="confirm_overlap",
        )
        self.others = others


def _ensure_not_sent(submission_key: str | None) -> None:
    if submission_key:
        sent = db.session.scalar(
            select(TrainingRequest).where(
                TrainingRequest.submission_key == submission_key
            )
        )
        if sent is not None:
            raise AlreadySubmitted(sent)


def overlapping_requests(
    group: Group, topic: Topic, slots: list[Slot]
) -> list[tuple[TrainingRequest, datetime]]:
    """The group's open or booked requests for the topic at a time overlapping one
    of `slots` (a booked one at its session's time), each with when it is."""
    when = request_start()
    found = db.session.execute(
        select(TrainingRequest, when)
        .where(
            TrainingRequest.group_id == group.id,
            TrainingRequest.topic_id == topic.id,
            TrainingRequest.status.in_(CANCELLABLE_STATUSES),
            or_(*(_overlaps(starts_at, ends_at) for starts_at, ends_at in slots)),
        )
        .order_by(when)
    )
    return [(training_request, starts_at) for training_request, starts_at in found]


def _overlaps(starts_at: datetime, ends_at: datetime) -> ColumnElement[bool]:
    """SQL: the request takes place at a time overlapping [starts_at, ends_at):
    its booked session's, or, while open, a time matching may offer."""
    booked = (
        select(TrainingSession.id)
        .where(
            TrainingSession.request_id == TrainingRequest.id,
            TrainingSession.status == SessionStatus.BOOKED,
            TrainingSession.starts_at < ends_at,
            TrainingSession.ends_at > starts_at,
        )
        .exists()
    )
    proposed = (
        select(RequestSlot.id)
        .where(
            RequestSlot.request_id == TrainingRequest.id,
            matching_slot(),
            RequestSlot.starts_at < ends_at,
            RequestSlot.ends_at > starts_at,
        )
        .exists()
    )
    return or_(
        and_(TrainingRequest.status == RequestStatus.BOOKED, booked),
        and_(TrainingRequest.status.in_(OPEN_STATUSES), proposed),
    )


def update_request(
    training_request: TrainingRequest,
    topic: Topic,
    slots: list[Slot],
    *,
    is_online: bool,
    venue_postcode: str | None,
    venue_address: str | None,
    expected_attendance: int,
    accessibility_needs: str | None,
    notes: str | None,
    by: User,
    now: datetime,
    meeting_url: str | None = None,
) -> list[str]:
    """Change an open request and record what changed; returns the changes (none: []).

    Raises DomainError if the request is no longer open or a field is wrong.
    Flushes; the caller commits.
    """
    ensure_editable(training_request)
    _check_choice(topic, slots)
    details = _validate(
        topic,
        slots,
        is_online=is_online,
        venue_postcode=venue_postcode,
        venue_address=venue_address,
        meeting_url=meeting_url,
        expected_attendance=expected_attendance,
        accessibility_needs=accessibility_needs,
        notes=notes,
    )
    return _save_changes(training_request, details, by, now)


def change_booked_request(
    training_request: TrainingRequest,
    *,
    venue_postcode: str | None,
    venue_address: str | None,
    meeting_url: str | None,
    expected_attendance: int,
    accessibility_needs: str | None,
    notes: str | None,
    by: User,
    now: datetime,
) -> list[str]:
    """Change where a booked request takes place (venue and address, or meeting
    link), how many are expected, access needs and notes: not its topic, times,
    or whether it is online. Records and returns the changes (none: []).

    The booked session is the caller's to follow (see matching.details).
    Raises DomainError if it is not booked or a field is wrong. Flushes.
    """
    if training_request.status != RequestStatus.BOOKED:
        raise DomainError(
            f"This request is {training_request.status}: only a booked session's "
            "details can be changed here."
        )
    details = _validate(
        training_request.topic,
        [(slot.starts_at, slot.ends_at) for slot in training_request.slots],
        is_online=training_request.is_online,
        venue_postcode=venue_postcode,
        venue_address=venue_address,
        meeting_url=meeting_url,
        expected_attendance=expected_attendance,
        accessibility_needs=accessibility_needs,
        notes=notes,
    )
    return _save_changes(training_request, details, by, now)


def _save_changes(
    training_request: TrainingRequest, details: "_Details", by: User, now: datetime
) -> list[str]:
    changes = _changes(training_request, details)
    if not changes:
        return []
    _apply(training_request, details)
    training_request.note("edited", "; ".join(changes), by, now)
    db.session.flush()
    # Slots were edited in memory; reload them in their stored order when next read.
    db.session.expire(training_request, ["slots"])
    logger.info(
        "Training request %s edited by user %s: %s",
        training_request.id,
        by.id,
        "; ".join(changes),
    )
    return changes


def cancel_request(
    training_request: TrainingRequest, reason: str, by: User, now: datetime
) -> TrainingRequest:
    """Mark a request cancelled with a reason, in its history.

    Its offers and booked session are matching's to wind down (see
    trainers.matching.lifecycle). Raises DomainError if it cannot be cancelled
    or the reason is blank. Flushes; the caller commits.
    """
    ensure_cancellable(training_request)
    reason = _clean(reason)
    if not reason:
        raise DomainError("Say why the request is being cancelled.", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(
            f"Keep the reason under {MAX_REASON} characters.", field="reason"
        )
    training_request.move_to(RequestStatus.CANCELLED, now)
    training_request.cancel_reason = reason
    training_request.note("cancelled", reason, by, now)
    db.session.flush()
    logger.info("Training request %s cancelled by user %s", training_request.id, by.id)
    return training_request


def ensure_editable(training_request: TrainingRequest) -> None:
    """Raises DomainError unless the request is still open to changes."""
    if not training_request.is_open:
        raise DomainError(
            f"This request is {training_request.status}, so it can no longer be "
            "changed."
        )


def ensure_cancellable(training_request: TrainingRequest) -> None:
    """Raises DomainError unless the request can still be cancelled."""
    if training_request.status == RequestStatus.CANCELLED:
        raise DomainError("This request is already cancelled.")
    if training_request.status not in CANCELLABLE_STATUSES:
        raise DomainError(
            f"This request is {training_request.status}, so it can no longer be "
            "cancelled."
        )


def is_short_notice(training_request: TrainingRequest, now: datetime) -> bool:
    """Whether an open request's first slot starts within SHORT_NOTICE_DAYS of now."""
    return _is_short_notice_at(
        training_request.status,
        training_request.first_slot_starts_at,
        now,
        current_app.config["SHORT_NOTICE_DAYS"],
    )


def _is_short_notice_at(
    status: str, first_slot_starts_at: datetime | None, now: datetime, days: int
) -> bool:
    return (
        status in OPEN_STATUSES
        and first_slot_starts_at is not None
        and first_slot_starts_at - now < timedelta(days=days)
    )


# Far past any real list's end, and small enough for an offset to stay in range.
LAST_PAGE = 1_000_000


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


@dataclass(frozen=True)
class RequestListPage:
    """One page of the request list, with what its links to other pages need."""

    items: list[ListedRequest]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return ceil(self.total / self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def list_page(
    user: User,
    *,
    status: str | None,
    group_id: int | None,
    page: int,
    per_page: int,
    now: datetime,
) -> RequestListPage:
    """Page `page` (from 1; less counts as 1, more than LAST_PAGE as LAST_PAGE)
    of the requests `user` may see, as visible_requests filters and orders
    them, read as rows rather than entities."""
    # A page number typed into the address can be any size; its offset must
    # still fit the databases' 64-bit integers.
    page = min(max(page, 1), LAST_PAGE)
    rows, count = _listed(user.is_office, status is not None, group_id is not None)
    params = {"user_id": user.id, "status": status, "group_id": group_id}
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
                _is_short_notice_at(row.status, row.starts_at, now, notice_days),
                is_urgent_at(row.status, row.starts_at, now, urgent_days),
            )
            for row in found
        ],
        page=page,
        per_page=per_page,
        total=total,
    )


@functools.cache
def _listed(is_office: bool, by_status: bool, by_group: bool) -> tuple[Select, Select]:
    # The list's rows and their count, built once for each kind of filter:
    # building a statement and its cache key costs more than running it.
    scope = []
    if not is_office:
        scope.append(TrainingRequest.group_id.in_(_own_group_ids(bindparam("user_id"))))
    if by_status:
        scope.append(TrainingRequest.status == bindparam("status"))
    if by_group:
        scope.append(TrainingRequest.group_id == bindparam("group_id"))
    rows = (
        select(
            TrainingRequest.id,
            TrainingRequest.status,
            TrainingRequest.created_at,
            Topic.name.label("topic_name"),
            Group.name.label("group_name"),
            request_start().label("starts_at"),
        )
        .join(TrainingRequest.topic)
        .join(TrainingRequest.group)
        .where(*scope)
        .order_by(TrainingRequest.created_at.desc(), TrainingRequest.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
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


def request_as_shown(user: User, request_id: int, now: datetime) -> ShownRequest:
    """The request `user` may see (as get_request_for) as its page shows it.

    Raises NotFound otherwise.
    """
    request_and_slots, history = _shown(user.is_office)
    # Core rows on the session's connection, as in list_page.
    connection = db.session.connection()
    found = connection.execute(
        request_and_slots, {"request_id": request_id, "user_id": user.id}
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
        is_short_notice=_is_short_notice_at(
            details.status, first, now, current_app.config["SHORT_NOTICE_DAYS"]
        ),
        is_urgent=is_urgent_at(
            details.status, first, now, current_app.config["URGENT_DAYS"]
        ),
        booked=taken if taken and taken.status == SessionStatus.BOOKED else None,
        delivered=taken if taken and taken.status == SessionStatus.DELIVERED else None,
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


@functools.cache
def _shown(is_office: bool) -> tuple[Select, Select]:
    # Built once, as building a statement costs more than running it. The
    # request's columns come once per proposed slot (at most MAX_SLOTS), and
    # with them the session that took it: a row more, or columns more, cost
    # less than a statement more.
    trainer = aliased(User)
    taking = (
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
    request_and_slots = (
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
            Topic.name.label("topic_name"),
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
        .where(TrainingRequest.id == bindparam("request_id"))
        .order_by(RequestSlot.starts_at)
    )
    if not is_office:
        request_and_slots = request_and_slots.where(
            TrainingRequest.group_id.in_(_own_group_ids(bindparam("user_id")))
        )
    history = (
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
    return request_and_slots, history


def visible_requests(
    user: User, *, status: str | None = None, group_id: int | None = None
) -> Select:
    """The requests `user` may see (office: all; organiser: own groups'), newest first.

    Loads the group, topic and slots their pages show.
    """
    query = select(TrainingRequest).options(
        joinedload(TrainingRequest.group),
        joinedload(TrainingRequest.topic),
        selectinload(TrainingRequest.slots),
    )
    if not user.is_office:
        query = query.where(TrainingRequest.group_id.in_(_own_group_ids(user.id)))
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
        .execute(_groups_for(user.is_office, active_only), {"user_id": user.id})
        .all()
    )


@functools.cache
def _groups_for(is_office: bool, active_only: bool) -> Select:
    # Rows, not the account's groups: the signed-in account comes without
    # them, and loading them as objects costs more than this statement.
    query = select(Group.id, Group.name).order_by(Group.name)
    if active_only:
        query = query.where(Group.is_active)
    if not is_office:
        query = query.where(Group.id.in_(_own_group_ids(bindparam("user_id"))))
    return query


def group_for(user: User, group_id: int | None) -> Group:
    """An active group `user` may ask for training for. Raises NotFound otherwise."""
    group = db.session.scalar(_group_scope(user, True).where(Group.id == group_id))
    if group is None:
        raise NotFound()
    return group


def get_topic(topic_id: int | None) -> Topic:
    """A topic by id. Raises DomainError on the topic field when there is none."""
    topic = db.session.get(Topic, topic_id) if topic_id is not None else None
    if topic is None:
        raise DomainError("Choose a topic from the list.", field="topic_id")
    return topic


def _group_scope(user: User, active_only: bool) -> Select:
    query = select(Group).order_by(Group.name)
    if active_only:
        query = query.where(Group.is_active)
    if not user.is_office:
        query = query.where(Group.id.in_(_own_group_ids(user.id)))
    return query


def _own_group_ids(user_id: int | BindParameter[int]) -> Select:
    return select(group_organisers.c.group_id).where(
        group_organisers.c.user_id == user_id
    )


def _check_choice(topic: Topic, slots: list[Slot]) -> None:
    """The topic and times a group chooses: an offered topic, 1 to MAX_SLOTS times."""
    if not topic.is_active:
        raise DomainError(
            f"{topic.name} is no longer offered. Choose another topic.",
            field="topic_id",
        )
    if not 1 <= len(slots) <= MAX_SLOTS:
        raise DomainError(f"Propose between 1 and {MAX_SLOTS} time slots.")


def _validate(
    topic: Topic,
    slots: list[Slot],
    *,
    is_online: bool,
    venue_postcode: str | None,
    venue_address: str | None,
    meeting_url: str | None,
    expected_attendance: int,
    accessibility_needs: str | None,
    notes: str | None,
) -> _Details:
    if not 1 <= expected_attendance <= MAX_ATTENDANCE:
        raise DomainError(
            f"Expected attendance must be between 1 and {MAX_ATTENDANCE} people.",
            field="expected_attendance",
        )
    return _Details(
        topic=topic,
        slots=sorted(slots),
        venue=_venue(topic, is_online, venue_postcode, venue_address, meeting_url),
        expected_attendance=expected_attendance,
        accessibility_needs=_clean(accessibility_needs),
        notes=_clean(notes),
    )


def _venue(
    topic: Topic,
    is_online: bool,
    postcode: str | None,
    address: str | None,
    meeting_url: str | None,
) -> _Venue:
    if is_online:
        if not topic.is_online_capable:
            raise DomainError(
                f"{topic.name} cannot be run online. Choose a venue, or a topic that "
                "can run online.",
                field="is_online",
            )
        return _Venue(is_online=True, meeting_url=_meeting_url(meeting_url))
    if not (postcode or "").strip():
        raise DomainError(
            "Enter the venue's postcode (or choose online if the topic allows it).",
            field="venue_postcode",
        )
    try:
        place = locate(postcode)
    except UnknownPostcode as error:
        raise DomainError(error.message, field="venue_postcode") from error
    address = _clean(address)
    if not address:
        raise DomainError(
            "Enter the venue's address, so the trainer can find it.",
            field="venue_address",
        )
    return _Venue(
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


def _changes(training_request: TrainingRequest, details: _Details) -> list[str]:
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


def _place(venue: _Venue | TrainingRequest) -> str:
    return "online" if venue.is_online else venue.venue_postcode or ""


def _apply(training_request: TrainingRequest, details: _Details) -> None:
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


def _clean(text: str | None) -> str:
    """Trimmed text with tidy line ends; lines are kept for addresses and notes."""
    return "\n".join(line.rstrip() for line in (text or "").strip().splitlines())


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
