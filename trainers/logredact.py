"""One-time and private links kept out of logs.

A calendar feed, an invitation, a password reset and a stop link of the
board's emails each carry their secret in the URL path; whoever reads a log
line holding one could subscribe to a person's calendar, take an invitation,
reset a password or stop a trainer's emails. Access logs (gunicorn's, the
app's own "Exception on <path>") name those paths; here they lose the token.
"""

import logging
import re

REDACTED = "[redacted]"

# Each path whose next segment is a token (see the routes with a `token`
# argument; tests/test_logredact.py checks every one is here). `/office/
# invitations/<id>` names no secret. A slash may arrive percent-encoded, as
# in a `next=` query.
_SLASH = r"(?:/|%2[Ff])"
_TOKEN_PATH = re.compile(
    rf"((?<!/office){_SLASH}invitations{_SLASH}"
    rf"|{_SLASH}password{_SLASH}reset{_SLASH}"
    rf"|{_SLASH}calendar{_SLASH}"
    rf"|{_SLASH}emails{_SLASH}stop{_SLASH})"
    r"[^/%?#&\s\"']+?(\.ics)?(?=[/%?#&\s\"']|$)"
)


def redact(text: str) -> str:
    """`text` with the token in every secret-bearing URL path replaced."""
    return _TOKEN_PATH.sub(lambda m: m[1] + REDACTED + (m[2] or ""), text)


class RedactSecrets(logging.Filter):
    """A logging filter that rewrites a record's message without tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
