"""Small helpers every blueprint's views share."""

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import flash
from flask_wtf import FlaskForm

from trainers.errors import DomainError

# The box to tick for a change inside the notice window.
CONFIRM_LABEL = "I understand this is short notice; tell the national office"


def show_error(form: FlaskForm, error: DomainError) -> None:
    """Put a domain error next to its field, or at the top of the page."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        # WTForms keeps errors as a tuple until validate() has run.
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


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
