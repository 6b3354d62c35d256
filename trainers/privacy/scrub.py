"""Scrubbing a person out of everything written, found by what the text says:
free text has their name, address and phone replaced, a roster row that is
them is anonymised, an invite is rewritten. Each flushes; the caller commits.
"""

import re
from datetime import datetime

from sqlalchemy import Select, Text, and_, func, or_, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from trainers.extensions import db
from trainers.privacy.free_text import CALENDARS, FREE_TEXT, NAMED_ROWS, FreeText
from trainers.privacy.mentions import (
    ERASED_ADDRESS_TEXT,
    ERASED_DOMAIN,
    ERASED_NAME,
    ERASED_PHONE,
    Mentions,
)

# An address in an invite stays an address (ATTENDEE:mailto:...), one that can
# never be delivered to.
CALENDAR_ADDRESS = f"erased@{ERASED_DOMAIN}"
# iCalendar lines are folded at 75 octets; continuation lines start with a space.
FOLDED = re.compile(r"\r\n[ \t]")
LINE_OCTETS = 75
# Stands in for iCalendar's escaped newline ("\n" as two characters) while a
# line is searched, so a name after one still starts a word.
ESCAPED_NEWLINE = "\x00"
PLACEHOLDERS = {ERASED_NAME, ERASED_ADDRESS_TEXT, ERASED_PHONE}


class _BlobText(FunctionElement):
    """Bytes read as UTF-8 text, so a pattern can search them."""

    type = Text()
    inherit_cache = True


@compiles(_BlobText)
def _blob_text(element, compiler, **kw) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(_BlobText, "postgresql")
def _blob_text_postgresql(element, compiler, **kw) -> str:
    return f"convert_from({compiler.process(element.clauses, **kw)}, 'UTF8')"


def mentioning(entry: FreeText, mentions: Mentions, *extra) -> Select:
    """The key and free text of the rows of `entry` that might mention them
    (a superset: decide with `mentions.found_in`), with `extra` columns."""
    table = entry.sql_table()
    columns = entry.sql_columns()
    return select(*table.primary_key.columns, *columns, *extra).where(
        or_(*(mentions.candidates(column, _dialect()) for column in columns))
    )


def scrub_free_text(mentions: Mentions) -> int:
    """Replace every mention in every table's free text; the rows changed."""
    if not mentions:
        return 0
    db.session.flush()
    changed = 0
    for entry in FREE_TEXT:
        table = entry.sql_table()
        keys = list(table.primary_key.columns)
        for row in db.session.execute(mentioning(entry, mentions)).mappings():
            scrubbed = {
                name: mentions.replace(row[name])
                for name in entry.columns
                if row[name] and mentions.found_in(row[name])
            }
            if scrubbed:
                _update(table, keys, row, scrubbed)
                changed += 1
    return changed


def scrub_calendars(mentions: Mentions) -> int:
    """Rewrite every stored invite that mentions them; the invites changed."""
    if not mentions:
        return 0
    db.session.flush()
    changed = 0
    for name, columns in CALENDARS.items():
        table = db.metadata.tables[name]
        keys = list(table.primary_key.columns)
        for column_name in columns:
            column = table.c[column_name]
            unfolded = func.replace(_BlobText(column), "\r\n ", "")
            found = db.session.execute(
                select(*keys, column).where(mentions.candidates(unfolded, _dialect()))
            ).mappings()
            for row in found:
                rewritten = rewrite_calendar(row[column_name], mentions)
                if rewritten is not None:
                    _update(table, keys, row, {column_name: rewritten})
                    changed += 1
    return changed


def anonymise_named_rows(mentions: Mentions, now: datetime) -> int:
    """Anonymise every row that is one named person (a roster entry) whose name
    or address is wholly theirs; the row stays and still counts."""
    if not mentions:
        return 0
    db.session.flush()
    anonymised = 0
    for name, columns in NAMED_ROWS.items():
        table = db.metadata.tables[name]
        keys = list(table.primary_key.columns)
        named = [table.c[column] for column in columns]
        found = db.session.execute(
            select(*keys, *named).where(
                or_(*(mentions.candidates(c, _dialect()) for c in named))
            )
        ).mappings()
        for row in found:
            if any(
                row[column] and is_only(mentions, row[column]) for column in columns
            ):
                _update(
                    table,
                    keys,
                    row,
                    {**dict.fromkeys(columns), "anonymised_at": now},
                )
                anonymised += 1
    return anonymised


def is_only(mentions: Mentions, text: str) -> bool:
    """Whether the text is nothing but a mention (a roster's name or address)."""
    return mentions.replace(text).strip() in PLACEHOLDERS


def readable_calendar(text: str) -> str:
    """An invite's text unfolded, its escaped newlines as real ones: as read."""
    return FOLDED.sub("", text).replace("\\n", "\n")


def rewrite_calendar(raw: bytes | None, mentions: Mentions) -> bytes | None:
    """The invite with every mention replaced, folded again; None if unchanged."""
    if not raw:
        return None
    lines = FOLDED.sub("", raw.decode("utf-8", "replace")).split("\r\n")
    scrubbed = [
        mentions.replace(
            line.replace("\\n", ESCAPED_NEWLINE), address=CALENDAR_ADDRESS
        ).replace(ESCAPED_NEWLINE, "\\n")
        for line in lines
    ]
    if scrubbed == lines:
        return None
    return "\r\n".join(_fold(line) for line in scrubbed).encode()


def _fold(line: str) -> str:
    parts, current, octets, limit = [], "", 0, LINE_OCTETS
    for char in line:
        width = len(char.encode())
        if octets + width > limit:
            parts.append(current)
            # A continuation's leading space is one of its 75 octets.
            current, octets, limit = "", 0, LINE_OCTETS - 1
        current += char
        octets += width
    parts.append(current)
    return "\r\n ".join(parts)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _update(table, keys, row, values: dict[str, object]) -> None:
    db.session.execute(
        update(table)
        .where(and_(*(key == row[key.name] for key in keys)))
        .values(**values)
    )
