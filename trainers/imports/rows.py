"""One row of an import file checked by the rules of the office's own forms:
its problems by column, and what saving it will do."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select

from trainers import audit
from trainers.auth import services as accounts
from trainers.auth.models import User
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.network import services as network
from trainers.network.models import Group, Topic
from trainers.profiles.services import check_travel_radius, home_place

T = TypeVar("T")

# Between several values in one cell: commas already part the cells.
SEPARATOR = ";"
IMPORTED = "bulk import"
ROLES = ("organiser", "trainer")


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


class Row:
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


class GroupChecks:
    """Checks a groups file's rows, remembering the names seen so far."""

    def __init__(self):
        self.names: dict[str, int] = {}

    def __call__(self, row: Row) -> Planned | None:
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


class PeopleChecks:
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

    def __call__(self, row: Row) -> Planned | None:
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

    def _address(self, row: Row) -> str:
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

    def _roles(self, row: Row) -> list[str]:
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

    def _groups(self, row: Row, is_organiser: bool) -> list[Group]:
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

    def _trainer(self, row: Row, is_trainer: bool) -> dict | None:
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


def _once(row: Row, column: str, key: str, seen: dict[str, int], noun: str) -> None:
    if key in seen:
        row.problem(column, f"The same {noun} is on row {seen[key]} too.")
    else:
        seen[key] = row.number


def _existing_account(row: Row, column: str, given: str) -> User | None:
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
