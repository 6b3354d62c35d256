"""Bulk import of groups and people from CSV: a file is read and checked into
a preview of what each row will do and every row's problems, and applied all
or nothing. Each value is checked by the rule the office's own forms use.

Nothing here reads the request; `apply` flushes and the caller commits.
"""

import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trainers import audit, csvfile
from trainers.auth import services as accounts
from trainers.auth.models import User
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.network import services as network
from trainers.network.models import Group, Topic
from trainers.profiles.services import check_travel_radius, home_place

logger = logging.getLogger(__name__)

T = TypeVar("T")

GROUPS, PEOPLE = "groups", "people"
KINDS = (GROUPS, PEOPLE)
MAX_BYTES = 200 * 1024
MAX_ROWS = 1000
# Between several values in one cell: commas already part the cells.
SEPARATOR = ";"
IMPORTED = "bulk import"
ROLES = ("organiser", "trainer")


@dataclass(frozen=True)
class Column:
    """A column of an import file, as the page explains it."""

    name: str
    is_required: bool
    meaning: str


COLUMNS: dict[str, tuple[Column, ...]] = {
    GROUPS: (
        Column("name", True, "The group's name, as its members know it."),
        Column(
            "postcode",
            True,
            "Its postcode district, such as TN34, or a full postcode (only the "
            "district is kept).",
        ),
        Column(
            "region",
            False,
            "Only for a group on a regional boundary: one of the UK's nations and "
            "regions, as the group form lists them. Empty takes the district's own.",
        ),
        Column(
            "organiser_emails",
            False,
            "The email addresses of people who already have an account and will "
            "organise the group, separated by semicolons. Import new people in a "
            "people file instead, naming this group.",
        ),
    ),
    PEOPLE: (
        Column("name", True, "Their name, as other volunteers will see it."),
        Column("email", True, "Their email address; their invitation goes there."),
        Column(
            "roles",
            True,
            "organiser, trainer, or both separated by a semicolon.",
        ),
        Column(
            "groups",
            False,
            "For organisers: the names of the groups they organise, separated by "
            "semicolons. Each must be in the network already.",
        ),
        Column(
            "topics",
            False,
            "For trainers: the topics they are qualified to teach, by their names "
            "in the catalogue, separated by semicolons.",
        ),
        Column(
            "home_postcode",
            False,
            "For trainers: their home postcode or district (only the district is "
            "kept). They can add it later.",
        ),
        Column(
            "travel_radius_km",
            False,
            "For trainers: how far they will travel, in km, from 0 (online only) "
            "to 300. Empty for 25.",
        ),
    ),
}

EXAMPLES: dict[str, tuple[tuple[str, ...], ...]] = {
    GROUPS: (
        ("Hastings Action", "TN34", "", ""),
        ("Leeds Tenants Union", "LS6 1AA", "", ""),
        ("Berwick Climate Group", "TD15", "North East", "sam@example.org"),
    ),
    PEOPLE: (
        ("Olive Organiser", "olive@example.org", "organiser", "Hastings Action", "", "", ""),
        ("Tom Trainer", "tom@example.org", "trainer", "", "First aid; Canvassing", "BN1", "40"),
        ("Lena Lowe", "lena@example.org", "organiser; trainer", "Leeds Tenants Union", "Canvassing", "LS6", ""),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """What is wrong with one value of the file; row 1 is the header row."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class Planned:
    """What a good row will do, in words, and what applying it needs."""

    row: int
    does: str
    save: Callable[[User, datetime], None] = field(repr=False, compare=False)


@dataclass
class Preview:
    """A checked file: every row's plan and every problem. Saves nothing."""

    kind: str
    text: str
    planned: list[Planned] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_good(self) -> bool:
        return bool(self.planned) and not self.problems

    @property
    def rows(self) -> str:
        """How many rows it will import, in words: "150 groups"."""
        return _count(self.planned, "group" if self.kind == GROUPS else "person")


class ImportRefused(DomainError):
    """The file has problems, so nothing was saved; `preview` lists them."""

    def __init__(self, preview: Preview):
        super().__init__(
            f"Nothing was imported: the file has {_count(preview.problems, 'problem')}."
        )
        self.preview = preview


def decode(data: bytes) -> str:
    """An uploaded file's text, UTF-8 with or without a byte-order mark.
    Raises DomainError for a file too large or not UTF-8."""
    try:
        return csvfile.decoded(data, MAX_BYTES)
    except csvfile.UnreadableFile as error:
        raise DomainError(error.message, "file") from None


def seal(kind: str, text: str) -> str:
    """A keyed digest of the checked file, carried with it to the confirmation
    so that what is saved is exactly what was previewed."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"bulk import\n{kind}\n{normalised(text)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def normalised(text: str) -> str:
    """The text as a browser gives it back from a form: line endings come back
    as CR LF from a text box and LF from a hidden field, so both count as LF."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def check_seal(kind: str, text: str, given: str) -> None:
    """Raise DomainError unless `given` is the file's seal."""
    if not hmac.compare_digest(seal(kind, text), given or ""):
        raise DomainError(
            "The file changed after it was checked, so nothing was imported. "
            "Upload it again to check it."
        )


def preview(kind: str, text: str, now: datetime) -> Preview:
    """Check every row of a `kind` file (groups or people) against the network
    as it is. Saves nothing. Raises DomainError for a file too large, too
    long, empty or unreadable as CSV."""
    if kind not in KINDS:
        raise DomainError("Choose to import groups or people.")
    text = normalised(text)
    found = Preview(kind, text)
    header, rows = _read(text)
    found.problems += _header_problems(kind, header)
    if found.problems:
        return found
    check = _GroupChecks() if kind == GROUPS else _PeopleChecks(now)
    for number, cells in rows:
        if len(cells) > len(header):
            found.problems.append(
                Problem(number, "", "This row has more cells than the header row.")
            )
            continue
        values = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        problems: list[Problem] = []
        planned = check(_Row(number, values, problems))
        found.problems += problems
        if planned is not None and not problems:
            found.planned.append(planned)
    if not found.planned and not found.problems:
        found.problems.append(Problem(2, "", "The file has no rows under its header."))
    return found


def apply(kind: str, text: str, by: User, now: datetime) -> Preview:
    """Check the file again and save every row, or nothing: new groups (their
    organisers told), or new people each sent their invitation through the
    outbox. Flushes; the caller commits. Raises ImportRefused (nothing saved)."""
    checked = preview(kind, text, now)
    if not checked.is_good:
        raise ImportRefused(checked)
    try:
        with db.session.begin_nested():
            for planned in checked.planned:
                planned.save(by, now)
    except (DomainError, IntegrityError):
        # Someone added the same group or person between the check and the
        # save: what was saved is undone, and the file is checked again.
        again = preview(kind, text, now)
        if again.is_good:
            raise DomainError(
                "The network changed while the file was being imported, so "
                "nothing was saved. Try again."
            ) from None
        raise ImportRefused(again) from None
    audit.record(by.id, IMPORTED, detail=f"{checked.rows} imported")
    logger.info("Bulk import of %s by user %s", checked.rows, by.id)
    return checked


def _count(items: list, noun: str) -> str:
    plural = {"person": "people"}.get(noun, f"{noun}s")
    return f"{len(items)} {noun if len(items) == 1 else plural}"


def _read(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        csvfile.check_size(text.encode(), MAX_BYTES)
        (_, header), *rows = csvfile.records(text)
    except csvfile.UnreadableFile as error:
        raise DomainError(error.message, "file") from None
    if len(rows) > MAX_ROWS:
        raise DomainError(
            f"The file has {len(rows)} rows; we take up to {MAX_ROWS} at a time. "
            "Split it into smaller files.",
            "file",
        )
    # "Home postcode" and "home-postcode" name the home_postcode column too.
    return [re.sub(r"[\s-]+", "_", name.strip().lower()) for name in header], rows


def _header_problems(kind: str, header: list[str]) -> list[Problem]:
    columns = COLUMNS[kind]
    return [
        Problem(1, column, problem)
        for column, problem in csvfile.header_problems(
            header,
            [column.name for column in columns],
            {column.name for column in columns if column.is_required},
        )
    ]


class _Row:
    """One row's values, collecting its problems as each is checked."""

    def __init__(self, number: int, values: dict[str, str], problems: list[Problem]):
        self.number, self.values, self.problems = number, values, problems

    def text(
        self, column: str, limit: int | None = None, required: bool = False
    ) -> str:
        """The column's value with its spaces tidied; empty if it breaks a rule."""
        value = " ".join(self.values.get(column, "").split())
        if required and not value:
            self.problem(column, f"Enter the {column.replace('_', ' ')}.")
        elif limit is not None and len(value) > limit:
            self.problem(column, f"Keep this to {limit} characters or fewer.")
            return ""
        return value

    def several(self, column: str) -> list[str]:
        parts = (
            " ".join(part.split())
            for part in self.values.get(column, "").split(SEPARATOR)
        )
        return list(dict.fromkeys(part for part in parts if part))

    def problem(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.number, column, message))

    def checked(self, column: str, check: Callable[[], T]) -> T | None:
        """The result of a service's check, or None with its message noted."""
        try:
            return check()
        except DomainError as error:
            self.problem(column, error.message)
            return None

    def passes(self, column: str, check: Callable[[], object]) -> bool:
        """Whether a service's check passes; its message is noted if not."""
        problems = len(self.problems)
        self.checked(column, check)
        return len(self.problems) == problems


def _limit(column) -> int:
    return column.type.length


class _GroupChecks:
    """Checks a groups file's rows, remembering the names seen so far."""

    def __init__(self):
        self.names: dict[str, int] = {}

    def __call__(self, row: _Row) -> Planned | None:
        name = row.text("name", _limit(Group.name), required=True)
        if name:
            _once(row, "name", name.lower(), self.names, "group")
            row.checked("name", lambda: network.group_name(name))
        # The postcode's own rule (trainers.geo) bounds its length.
        postcode = row.text("postcode", required=True)
        place = postcode and row.checked(
            "postcode", lambda: network.group_place(postcode)
        )
        region = row.text("region", _limit(Group.region))
        row.checked("region", lambda: network.check_region(region))
        organisers = [
            account
            for address in row.several("organiser_emails")
            if (account := _existing_account(row, "organiser_emails", address))
        ]
        if row.problems:
            return None

        def save(by: User, now: datetime) -> None:
            group = network.save_group(None, name, postcode, region, True)
            for account in organisers:
                accounts.invite(
                    account.email, account.name, "organiser", by, now, group
                )
                audit.record(
                    by.id,
                    IMPORTED,
                    subject_user_id=account.id,
                    detail=f"made an organiser of group {group.id}",
                )

        who = ", ".join(account.name for account in organisers)
        return Planned(
            row.number,
            f"Add {name} in {place.district} ({region or place.region})"
            + (f", organised by {who}" if who else ""),
            save,
        )


class _PeopleChecks:
    """Checks a people file's rows against the catalogue and groups, read once."""

    def __init__(self, now: datetime):
        self.now = now
        self.addresses: dict[str, int] = {}
        self.groups = {
            group.name.lower(): group for group in db.session.scalars(select(Group))
        }
        self.topics: dict[str, Topic] = {}
        for topic in network.active_topics():
            self.topics[" ".join(topic.name.lower().split())] = topic
            self.topics[_slug(topic.name)] = topic

    def __call__(self, row: _Row) -> Planned | None:
        name = row.text("name", _limit(User.name), required=True)
        address = self._address(row)
        roles = self._roles(row)
        groups = self._groups(row, "organiser" in roles)
        trainer = self._trainer(row, "trainer" in roles)
        if row.problems:
            return None
        prepared = {"group_ids": [group.id for group in groups], "trainer": trainer}

        def save(by: User, now: datetime) -> None:
            accounts.invite(
                address,
                name,
                roles[0],
                by,
                now,
                groups[0] if roles[0] == "organiser" else None,
                prepared,
            )

        does = [f"Invite {name} <{address}> as {' and '.join(roles)}"]
        if groups:
            does.append(f"organising {', '.join(group.name for group in groups)}")
        if trainer and trainer["topic_ids"]:
            does.append(f"teaching {', '.join(self._topic_names(trainer))}")
        return Planned(row.number, ", ".join(does), save)

    def _address(self, row: _Row) -> str:
        given = row.text("email", _limit(User.email), required=True)
        if not given:
            return given
        address = row.checked("email", lambda: accounts.check_email(given))
        if address is None:
            return given
        _once(row, "email", address, self.addresses, "address")
        if accounts.find_user_by_email(address) is not None:
            row.problem("email", f"{address} already has an account in the network.")
        elif accounts.pending_invitations(address, self.now):
            row.problem(
                "email",
                f"{address} has an invitation waiting. Resend or revoke it on the "
                "People page instead.",
            )
        return address

    def _roles(self, row: _Row) -> list[str]:
        roles = [role.lower() for role in row.several("roles")]
        if not roles:
            row.problem("roles", "Enter organiser, trainer, or both.")
        for role in roles:
            if role not in ROLES:
                row.problem(
                    "roles",
                    f"Unknown role “{role}”: use organiser, trainer, or both "
                    "separated by a semicolon.",
                )
        return [role for role in ROLES if role in roles]

    def _groups(self, row: _Row, is_organiser: bool) -> list[Group]:
        names = row.several("groups")
        if names and not is_organiser:
            row.problem("groups", "Only organisers have groups: add organiser to "
                        "their roles, or leave this empty.")  # fmt: skip
        elif is_organiser and not names:
            row.problem("groups", "Name the group or groups this organiser runs.")
        groups = []
        for name in names:
            group = self.groups.get(name.lower())
            if group is None:
                row.problem("groups", f"There is no group called “{name}”. Import "
                            "the groups first, or check the spelling.")  # fmt: skip
            elif not group.is_active:
                row.problem("groups", f"{group.name} is not active.")
            else:
                groups.append(group)
        return groups

    def _trainer(self, row: _Row, is_trainer: bool) -> dict | None:
        for column in ("topics", "home_postcode", "travel_radius_km"):
            if row.values.get(column, "").strip() and not is_trainer:
                row.problem(column, "Only trainers have this: add trainer to their "
                            "roles, or leave it empty.")  # fmt: skip
        if not is_trainer:
            return None
        topic_ids = []
        for name in row.several("topics"):
            topic = self.topics.get(name.lower()) or self.topics.get(_slug(name))
            if topic is None:
                row.problem("topics", f"There is no topic called “{name}” in the "
                            "catalogue.")  # fmt: skip
            else:
                topic_ids.append(topic.id)
        home = row.text("home_postcode")
        # Only the district is kept, as a profile keeps it.
        place = home and row.checked("home_postcode", lambda: home_place(home))
        radius_text = row.text("travel_radius_km")
        radius = None
        if radius_text:
            whole = radius_text.isascii() and radius_text.isdigit()
            radius = int(radius_text) if whole else -1
            row.checked("travel_radius_km", lambda: check_travel_radius(radius))
        return {
            "topic_ids": list(dict.fromkeys(topic_ids)),
            "home_district": place.district if place else None,
            "travel_radius_km": radius,
        }

    def _topic_names(self, trainer: dict) -> list[str]:
        names = {topic.id: topic.name for topic in self.topics.values()}
        return [names[topic_id] for topic_id in trainer["topic_ids"]]


def _once(row: _Row, column: str, key: str, seen: dict[str, int], noun: str) -> None:
    if key in seen:
        row.problem(column, f"The same {noun} is on row {seen[key]} too.")
    else:
        seen[key] = row.number


def _existing_account(row: _Row, column: str, given: str) -> User | None:
    address = row.checked(column, lambda: accounts.check_email(given))
    if address is None:
        return None
    account = accounts.find_user_by_email(address)
    if account is None:
        row.problem(
            column,
            f"No account has the address {address}: invite them in a people file "
            "that names this group.",
        )
        return None
    return (
        account
        if row.passes(column, lambda: accounts.check_may_gain_role(account))
        else None
    )


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
