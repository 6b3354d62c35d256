"""Bulk import of groups and people from CSV: a file is read and checked into
a preview of what each row will do and every row's problems, and applied all
or nothing. Each value is checked by the rule the office's own forms use.

Nothing here reads the request; `apply` flushes and the caller commits.
"""

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy.exc import IntegrityError

from trainers import audit, csvfile
from trainers.auth.models import User
from trainers.errors import DomainError
from trainers.extensions import db
from trainers.imports.rows import (
    IMPORTED,
    GroupChecks,
    PeopleChecks,
    Planned,
    Problem,
    Row,
)

logger = logging.getLogger(__name__)

GROUPS, PEOPLE = "groups", "people"
KINDS = (GROUPS, PEOPLE)
MAX_BYTES = 200 * 1024
MAX_ROWS = 1000


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
    check = GroupChecks() if kind == GROUPS else PeopleChecks(now)
    for number, cells in rows:
        if len(cells) > len(header):
            found.problems.append(
                Problem(number, "", "This row has more cells than the header row.")
            )
            continue
        values = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        problems: list[Problem] = []
        planned = check(Row(number, values, problems))
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
