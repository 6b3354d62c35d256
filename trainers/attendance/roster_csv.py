"""Who came, from a spreadsheet: the rules for one roster line, and a CSV of them.

Pure functions, no database. A file is read whole and every row is checked, so
whoever fixes it sees every problem at once; any problem means no rows at all.
"""

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from trainers.csvfile import UnreadableFile, decoded, header_problems, records
from trainers.errors import DomainError

MAX_NAME = 120  # the columns' lengths (trainers/attendance/models.py)
MAX_EMAIL = 254
COLUMNS = ("name", "email", "consent")
CONSENT_YES = frozenset({"yes", "y", "true"})
NOT_CONSENTED = "consent is not 'yes': count this person in the headcount instead"
# Where a person was first seen, for the duplicate message: a row, or the roster.
ON_ROSTER = 0


@dataclass(frozen=True)
class RosterRow:
    """One consenting person to add to a roster."""

    name: str
    email: str | None


class InvalidPerson(DomainError):
    """A name or email that breaks the rules; `errors` holds one per field."""

    def __init__(self, errors: list[DomainError]):
        super().__init__(errors[0].message, errors[0].field)
        self.errors = errors


class RosterFileError(DomainError):
    """A file that cannot be added; `errors` lists every problem, row by row."""

    def __init__(self, errors: list[str]):
        count = len(errors)
        super().__init__(
            f"Nothing was saved: the file has {count} problem"
            f"{'s' if count > 1 else ''} (listed below). Fix "
            f"{'them' if count > 1 else 'it'} and upload the file again.",
            field="roster_file",
        )
        self.errors = errors


def clean_name(name: str | None) -> str:
    """The name with spaces tidied. Raises DomainError (field `name`)."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("no name given", field="name")
    if len(name) > MAX_NAME:
        raise DomainError(
            f"the name is longer than {MAX_NAME} characters", field="name"
        )
    if has_control_characters(name):
        raise DomainError("the name has characters that cannot be stored", field="name")
    return name


def has_control_characters(text: str, allowed: str = "") -> bool:
    """Whether `text` holds control characters (NUL and the like) not in `allowed`."""
    return any(
        unicodedata.category(char) == "Cc" and char not in allowed for char in text
    )


def clean_email(email: str | None) -> str | None:
    """A checked email address (its domain lower-cased), or None when blank.

    Raises DomainError (field `email`).
    """
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > MAX_EMAIL:
        raise DomainError(
            f"the email address is longer than {MAX_EMAIL} characters", field="email"
        )
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise DomainError(f"'{email}' is not an email address", field="email") from None


def clean_person(name: str | None, email: str | None) -> RosterRow:
    """A roster line's name and optional email, tidied and checked.

    Raises InvalidPerson with every problem; each message reads well both next
    to a form field and after "Row 4: ".
    """
    errors, cleaned = [], []
    for check, value in ((clean_name, name), (clean_email, email)):
        try:
            cleaned.append(check(value))
        except DomainError as error:
            errors.append(error)
    if errors:
        raise InvalidPerson(errors)
    return RosterRow(*cleaned)


def person_key(name: str | None, email: str | None) -> str | None:
    """What makes two roster lines one person: the email, else the name.

    None for a line whose name was removed after the retention period.
    """
    if email:
        return "email:" + email.lower()
    return "name:" + name.casefold() if name else None


def duplicate_message(person: RosterRow, first_row: int = ON_ROSTER) -> str:
    """Why `person` is refused: already on the roster, or on an earlier row."""
    who = person.email or person.name
    if first_row != ON_ROSTER:
        return f"{who} is already on row {first_row}"
    if person.email:
        return f"{who} is already on the roster"
    return (
        f"{who} is already on the roster (give an email address to tell two people "
        "of the same name apart)"
    )


def parse_roster(
    data: bytes,
    *,
    max_rows: int,
    max_bytes: int,
    on_roster: frozenset[str] = frozenset(),
) -> list[RosterRow]:
    """The people in a CSV file with the header name,email,consent.

    UTF-8 with or without a byte-order mark; headers in any case and order;
    empty lines skipped; rows numbered as a spreadsheet does (the header is
    row 1). `on_roster` holds the person_key of everyone already on the
    roster. Raises RosterFileError listing every problem.
    """
    records = _records(data, max_bytes)
    (_, header), *rows = records
    columns = _columns(header)
    if not rows:
        raise RosterFileError(["The file has a header row but nobody in it."])
    if len(rows) > max_rows:
        raise RosterFileError(
            [f"The file has {len(rows)} people; upload at most {max_rows} at a time."]
        )
    seen = dict.fromkeys(on_roster, ON_ROSTER)
    people, errors = [], []
    for number, cells in rows:
        problems, person = _check_row(cells, columns, seen)
        if problems:
            errors.append(f"Row {number}: {'; '.join(problems)}")
            continue
        people.append(person)
        seen[person_key(person.name, person.email)] = number
    if errors:
        raise RosterFileError(errors)
    return people


def _records(data: bytes, max_bytes: int) -> list[tuple[int, list[str]]]:
    """The file's non-empty records, each with its spreadsheet row number."""
    try:
        return records(decoded(data, max_bytes))
    except UnreadableFile as error:
        raise RosterFileError([error.message]) from None


def _columns(header: list[str]) -> dict[str, int]:
    """Where each column is; raises RosterFileError for a header that is wrong."""
    names = [cell.strip().lower() for cell in header]
    expected = ", ".join(COLUMNS)
    if len(names) == 1 and ";" in names[0]:
        raise RosterFileError(
            [f"Row 1: separate the columns with commas ({expected}), not semicolons."]
        )
    if not set(COLUMNS) & set(names):
        raise RosterFileError(
            [f"Row 1 must be the header row, naming the columns: {expected}."]
        )
    problems = [
        f"Row 1: {problem}" for _, problem in header_problems(names, COLUMNS, COLUMNS)
    ]
    if problems:
        raise RosterFileError(problems)
    return {column: names.index(column) for column in COLUMNS}


def _check_row(
    cells: list[str], columns: dict[str, int], seen: Mapping[str, int]
) -> tuple[list[str], RosterRow | None]:
    """A row's problems (none when it is fine), and its person."""
    if len(cells) > len(columns):
        return [
            f"{len(cells)} values but the header has {len(columns)} columns (a name "
            "with a comma in it needs double quotes around it)"
        ], None

    def cell(column: str) -> str:
        index = columns[column]
        return cells[index] if index < len(cells) else ""

    problems, person = [], None
    try:
        person = clean_person(cell("name"), cell("email"))
    except InvalidPerson as error:
        problems += [each.message for each in error.errors]
    if cell("consent").strip().lower() not in CONSENT_YES:
        problems.append(NOT_CONSENTED)
    if person is not None and not problems:
        first = seen.get(person_key(person.name, person.email))
        if first is not None:
            problems.append(duplicate_message(person, first))
    return problems, person
