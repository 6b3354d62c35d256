"""CSV files people upload: read whole, numbered as a spreadsheet numbers its
rows, so every problem can be named by row before anything is saved."""

import csv
import io
from collections.abc import Collection, Sequence

from trainers.errors import DomainError


class UnreadableFile(DomainError):
    """A file too large, not UTF-8 text, or not CSV."""


def check_size(data: bytes, max_bytes: int) -> None:
    """Raise UnreadableFile for a file over `max_bytes`."""
    if len(data) > max_bytes:
        raise UnreadableFile(
            f"The file is larger than {max_bytes // 1024} KB; split it in two."
        )


def decoded(data: bytes, max_bytes: int) -> str:
    """The file's text, UTF-8 with or without a byte-order mark. Raises
    UnreadableFile for one too large or in another encoding."""
    check_size(data, max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(
            "The file is not UTF-8 text. In your spreadsheet, save it as "
            "'CSV UTF-8 (comma-delimited)'."
        ) from None


def records(text: str) -> list[tuple[int, list[str]]]:
    """The text's records that hold something, each with its row number as a
    spreadsheet shows it (the header is row 1). Raises UnreadableFile."""
    try:
        found = [
            (number, cells)
            for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), 1)
            if any(cell.strip() for cell in cells)
        ]
    except csv.Error as error:
        raise UnreadableFile(f"The file cannot be read as CSV: {error}.") from None
    if not found:
        raise UnreadableFile("The file is empty.")
    return found


def header_problems(
    names: list[str], columns: Sequence[str], required: Collection[str]
) -> list[tuple[str, str]]:
    """What is wrong with a header row of column `names`, as (column, problem):
    a required column missing, a column twice, a column not among `columns`."""
    expected = ", ".join(columns)
    return (
        [
            (column, f"the header has no '{column}' column")
            for column in columns
            if column in required and column not in names
        ]
        + [
            (column, f"the column '{column}' appears twice")
            for column in columns
            if names.count(column) > 1
        ]
        + [
            (name, f"unknown column '{name}' (the columns are {expected})")
            for name in dict.fromkeys(names)
            if name not in columns
        ]
    )
