"""Reading the coverage pages' CSV downloads in tests."""

import csv
import io


def fetch(browser, path: str):
    """A response read to its end: a download streams, and must be read before
    the next request."""
    response = browser.get(path)
    response.get_data()
    return response


def rows_of(response) -> list[list[str]]:
    """A CSV download's rows, after checking it is one, with its byte-order mark."""
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))
