"""Small helpers every blueprint's views share."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from flask import flash
from flask_wtf import FlaskForm

from trainers.errors import DomainError
from trainers.extensions import db

T = TypeVar("T")

# The box to tick for a change inside the notice window.
CONFIRM_LABEL = "I understand this is short notice; tell the national office"


def show_error(form: FlaskForm | None, error: DomainError) -> None:
    """Put a domain error next to its field, or at the top of the page."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        # WTForms keeps errors as a tuple until validate() has run.
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


@dataclass(frozen=True)
class Tried(Generic[T]):
    """What came of a view's change: its result, or the domain error."""

    value: T | None = None
    error: DomainError | None = None

    @property
    def done(self) -> bool:
        return self.error is None


def attempt(
    change: Callable[[], T],
    form: FlaskForm | None = None,
    handles: tuple[type[DomainError], ...] = (),
) -> Tried[T]:
    """Make a change as every view does: call the service, commit, and give
    back its result; on a domain error roll back and show it next to its field
    on `form` (or at the top of the page) unless the view `handles` its kind.
    Read a result's attributes inside `change`: the commit expires them."""
    try:
        value = change()
    except DomainError as error:
        db.session.rollback()
        if not isinstance(error, handles):
            show_error(form, error)
        return Tried(error=error)
    db.session.commit()
    return Tried(value=value)


def safe_next(target: str | None, default: str) -> str:
    """A `next` URL only if it stays on this site (no open redirects)."""
    if not target or any(char < " " or char == "\x7f" for char in target):
        # Browsers drop tabs and newlines inside a URL ("/\t/evil.example" is
        # "//evil.example"), and a newline cannot go into a header at all.
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return default
    return target


def strip_whitespace(value: str | None) -> str | None:
    """A WTForms filter: surrounding spaces pasted with an address are not errors."""
    return value.strip() if isinstance(value, str) else value


def read_only(view: Callable) -> Callable:
    """Mark a view whose GET requests only read: they run without a transaction
    (see web.py). Put it right under the route, above every other decorator."""
    view.is_read_only = True
    return view
