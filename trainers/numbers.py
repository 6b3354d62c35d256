"""Whole numbers that arrive from visitors (a route's path, a query string, a
form): only those a database column can hold, one rule for every route."""

from wtforms import IntegerField

# The largest INTEGER PostgreSQL holds; a larger id or count would fail the
# statement that used it (SQLite holds more, but both must answer alike).
LARGEST = 2**31 - 1


def whole_number(text: str) -> int:
    """The text as a whole number a column can hold. Raises ValueError otherwise."""
    number = int(text)
    if abs(number) > LARGEST:
        raise ValueError(f"{number} is beyond what can be stored")
    return number


def optional_whole_number(text: str | None) -> int | None:
    """whole_number, or None for no text (a select's empty first option)."""
    return None if text in (None, "") else whole_number(text)


class WholeNumberField(IntegerField):
    """A number input that refuses, as it refuses text, a number no column holds."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > LARGEST:
            self.data = None
            raise ValueError(
                self.invalid_value_message or self.gettext("Not a valid integer value.")
            )
