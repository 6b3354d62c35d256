"""The section of a person's data report that shows what other people wrote
about them: free text anywhere that gives their name, address or phone."""

from trainers.extensions import db
from trainers.privacy.free_text import FREE_TEXT
from trainers.privacy.mentions import Mentions
from trainers.privacy.scrub import mentioning
from trainers.privacy.sections import Section


def written_about(
    names: list[str], emails: list[str], phones: list[str], author_id: int | None
) -> Section:
    """Free text naming them that someone else wrote (not `author_id`, their
    own account), row by row. Only whole names of two or more words are
    searched: a one-word name would bring in other people's text."""
    mentions = Mentions(
        names=[name for name in names if len(name.split()) > 1],
        emails=emails,
        phones=phones,
    )
    rows = []
    for entry in FREE_TEXT if mentions else ():
        if not entry.exported:
            continue
        table = entry.sql_table()
        authors = [table.c[name] for name in set(entry.columns.values()) if name]
        found = db.session.execute(
            mentioning(entry, mentions, *authors).order_by(*table.primary_key.columns)
        ).mappings()
        for row in found:
            key = ", ".join(str(row[column.name]) for column in table.primary_key)
            rows += [
                {
                    "where": f"{entry.row} {key}",
                    "field": column.replace("_", " "),
                    "text": row[column],
                }
                for column, author in entry.columns.items()
                if row[column]
                and mentions.found_in(row[column])
                and (author is None or author_id is None or row[author] != author_id)
            ]
    return Section(
        "written_about",
        "What others wrote about them",
        "Notes, reports, comments and other free text written by other people "
        "that give their name, email address or phone number (what they wrote "
        "themselves is in the sections above). Found by the words alone: check "
        "each is about this person before sending it.",
        (("where", "Where"), ("field", "Field"), ("text", "What was written")),
        rows,
    )
