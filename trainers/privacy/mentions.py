"""Finding a person in free text by what identifies them: their name as a whole
phrase, their email addresses exactly, their phone number whatever its spacing.

`Mentions` narrows rows in SQL with loose patterns (a superset) and then
decides, and replaces, in Python with exact ones. PostgreSQL reads one regular
expression in one pass (ILIKE reads the text again for each string, several
times slower); SQLite runs LIKE in C but a regular expression through Python,
so there each plain ASCII string is a LIKE and only the rest a REGEXP.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from sqlalchemy import ColumnElement, or_

ERASED_NAME = "Erased person"
# ".invalid" can never be delivered to (RFC 2606).
ERASED_DOMAIN = "erased.invalid"
ERASED_ADDRESS_TEXT = "[erased address]"
ERASED_PHONE = "[erased phone number]"
# Fewer digits than this could be any number in any text.
MIN_PHONE_DIGITS = 6
_SEPARATOR = r"[\s().+/-]{0,3}"
# In SQL, what may come between a phone number's digits. Patterns in SQL keep
# to what PostgreSQL's and Python's regular expressions read alike.
_SQL_SEPARATOR = "[^0-9]{0,3}"


@dataclass(frozen=True)
class _Needle:
    pattern: re.Pattern
    replacement: str | None  # None: an address, replaced as the caller asks
    sql: str  # a regular expression every mention matches, in any case
    like: str | None = None  # a LIKE pattern that does too, if it is plain ASCII


@dataclass
class Mentions:
    """What identifies a person in text, with the patterns that find it."""

    names: Iterable[str] = ()
    emails: Iterable[str] = ()
    phones: Iterable[str] = ()
    needles: list[_Needle] = field(init=False)

    def __post_init__(self) -> None:
        self.needles = [
            *(n for name in set(self.names) if (n := _name(name))),
            *(n for email in set(self.emails) for n in _email(email)),
            *(n for phone in set(self.phones) if (n := _phone(phone))),
        ]

    def __bool__(self) -> bool:
        return bool(self.needles)

    def replace(self, text: str, address: str = ERASED_ADDRESS_TEXT) -> str:
        """The text with every mention replaced by a placeholder (`address` for
        an email address)."""
        for needle in self.needles:
            replacement = address if needle.replacement is None else needle.replacement
            text = needle.pattern.sub(replacement, text)
        return text

    def found_in(self, text: str) -> bool:
        """Whether the text mentions the person."""
        return any(needle.pattern.search(text) for needle in self.needles)

    def candidates(self, text: ColumnElement, dialect: str) -> ColumnElement:
        """A condition true of every row whose `text` might mention them, in
        the SQL `dialect` ("postgresql" or "sqlite") reads fastest."""
        if dialect == "postgresql":
            likes, regexps = [], self.needles
        else:
            likes = [needle.like for needle in self.needles if needle.like]
            regexps = [needle for needle in self.needles if not needle.like]
        conditions = [text.like(like, escape="\\") for like in likes]
        if regexps:
            either = "|".join(needle.sql for needle in regexps)
            conditions.append(text.regexp_match(f"(?i){either}"))
        return or_(*conditions)


def _like(*parts: str) -> str | None:
    """A case-blind LIKE pattern for the parts in order (SQLite's LIKE ignores
    case for ASCII letters only)."""
    if not all(part.isascii() for part in parts):
        return None
    escaped = (re.sub(r"([\\%_])", r"\\\1", part) for part in parts)
    return "%" + "%".join(escaped) + "%"


def _name(name: str) -> _Needle | None:
    """A name as a whole phrase, any spacing. Two or more words: any case. One
    word ("May", "Will") is too often an ordinary word: only as written or
    capitalised. One letter: never."""
    words = name.split()
    if not words or (len(words) == 1 and len(words[0]) < 2):
        return None
    if len(words) > 1:
        phrase, flags = r"\s+".join(map(re.escape, words)), re.IGNORECASE
    else:
        word = words[0]
        spellings = {word, word[:1].upper() + word[1:]}
        phrase, flags = "|".join(map(re.escape, sorted(spellings))), 0
    pattern = re.compile(rf"(?<![\w-])(?:{phrase})(?![\w-])", flags)
    sql = r"\s+".join(map(re.escape, words))
    return _Needle(pattern, ERASED_NAME, sql, _like(*words))


def _email(email: str) -> list[_Needle]:
    """An address exactly, in any case, and as it appears in a link (%40)."""
    email = email.strip()
    if "@" not in email:
        return []
    return [
        _Needle(
            re.compile(
                rf"(?<![\w.+%-]){re.escape(spelling)}(?!\.?[\w-])", re.IGNORECASE
            ),
            None,
            re.escape(spelling),
            _like(spelling),
        )
        for spelling in (email, quote(email, safe=""))
    ]


def _phone(phone: str) -> _Needle | None:
    """A phone number with any spacing or punctuation, with 0 or +44 before it."""
    digits = re.sub(r"\D", "", phone)
    for prefix in ("0044", "44", "0"):
        if digits.startswith(prefix) and len(digits) > len(prefix) + MIN_PHONE_DIGITS:
            digits = digits.removeprefix(prefix)
            break
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    trunk = rf"(?:(?:\+|00)?44{_SEPARATOR}(?:\(0\){_SEPARATOR})?|0{_SEPARATOR})?"
    body = _SEPARATOR.join(digits)
    pattern = re.compile(rf"(?<![\d+]){trunk}{body}(?!\d)")
    return _Needle(pattern, ERASED_PHONE, _SQL_SEPARATOR.join(digits))
