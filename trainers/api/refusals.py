"""Refusals the API's resources share beyond the core's problems: input not
valid, by field; and what a page asks a person to tick before a change, asked
of a client as an explicit `confirm` list (without the words needed, a 422
problem names them in `confirm_needed`, and nothing changes)."""

from marshmallow import fields, validate

from trainers.api.problems import CONFIRM, VALIDATION, Problem
from trainers.errors import DomainError


def confirmable(words: dict[str, str], description: str) -> fields.List:
    """The `confirm` field: a list of `words` (word -> the page's box)."""
    return fields.List(
        fields.String(validate=validate.OneOf(list(words))),
        load_default=list,
        metadata={"description": description},
    )


def ask_to_confirm(words: dict[str, str], warnings: list[DomainError]) -> Problem:
    """The problem asking to confirm `warnings`, each named by its page box's word."""
    by_box = {box: word for word, box in words.items()}
    return Problem(
        422,
        " ".join(warning.message for warning in warnings),
        type_=CONFIRM,
        title="Confirm what is unusual",
        errors={"confirm": [warning.message for warning in warnings]},
        confirm_needed=[by_box[warning.field] for warning in warnings],
    )


def invalid(field: str, message: str) -> Problem:
    """A 422 problem: what was sent in `field` is not valid."""
    return Problem(422, message, type_=VALIDATION, errors={field: [message]})
