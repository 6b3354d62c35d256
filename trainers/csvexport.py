"""CSV downloads that open safely in any spreadsheet."""

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence

from flask import Response, stream_with_context

# A spreadsheet runs a cell starting with one of these as a formula; a leading
# apostrophe makes it text (OWASP's advice on CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A cell a spreadsheet will show as text, never run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The header and rows as CSV text, one line at a time, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in itertools.chain((header,), rows):
        writer.writerow([neutralise(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    """A UTF-8 CSV download (with a byte-order mark so Excel reads the accents)."""

    def body() -> Iterator[str]:
        yield "\ufeff"
        yield from csv_lines(header, rows)

    # Rows are read from the database as the file streams out, after the view
    # has returned: the request's context must stay open until the last row.
    return Response(
        stream_with_context(body()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
