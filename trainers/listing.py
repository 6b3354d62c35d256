"""What the office's long lists share: a page of rows with its place in the
whole, and a search of a name for the text someone typed."""

from dataclasses import dataclass
from math import ceil
from typing import Generic, TypeVar

from sqlalchemy import BindParameter, ColumnElement, func

Item = TypeVar("Item")

# Far past any real list's end, and small enough for an offset to stay in range.
LAST_PAGE = 1_000_000
# The escape character of contains_pattern's patterns.
ESCAPE = "\\"


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page of a list, with what its links to other pages need."""

    items: list[Item]
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


def page_number(page: int) -> int:
    """A page number from the address, from 1 to LAST_PAGE: typed in, it can be
    any size, and its offset must still fit the databases' 64-bit integers."""
    return min(max(page, 1), LAST_PAGE)


def contains_pattern(text: str) -> str:
    """A LIKE pattern for names holding `text` anywhere, in any case, with the
    wildcards someone typed taken literally (match with `contains`)."""
    escaped = (
        text.strip()
        .lower()
        .replace(ESCAPE, ESCAPE * 2)
        .replace("%", ESCAPE + "%")
        .replace("_", ESCAPE + "_")
    )
    return f"%{escaped}%"


def contains(
    column: ColumnElement[str], pattern: BindParameter[str] | str
) -> ColumnElement[bool]:
    """SQL: `column` matches a contains_pattern, alike on SQLite and PostgreSQL."""
    return func.lower(column).like(pattern, escape=ESCAPE)


def filters_chosen(form) -> dict[str, object]:
    """A validated filter form's filters in use, by field name, as its URL
    holds them: a wrong one is left out (and marked on its field) so the
    others still apply."""
    return {
        name: field.data
        for name, field in form._fields.items()
        if field.data and not field.errors
    }
