"""Independent calendar parsers for tests: ical.js (Thunderbird) and libical (Evolution).

tools/calendar-parsers/install.sh (`make calendar-parsers`) installs both. Each
parse_with_* returns the same JSON shape:

    parser, version, error (None, or why nothing could be read), method,
    calendar_properties {NAME: [value, ...]}, timezones [VTIMEZONE TZIDs],
    events [{uid, sequence (None when absent), dtstamp, dtstart, dtstart_tzid, dtend,
             dtend_tzid, status, summary, location, description, url,
             organizer {address, cn} | None,
             attendees [{address, cn, role, partstat, rsvp}]}]

Times are "2026-12-01T09:00:00Z" when the parser can place them in UTC, the bare wall
clock "2026-12-01T09:00:00" when it cannot (floating, or a TZID it does not know) and
"2026-12-01" for dates. Parameters come back as text, as the parser decoded them.
libical also gives parse_errors (X-LIC-ERRORs it added while parsing) and
restriction_check {passed, errors} from ICalGLib.Component.check_restrictions (RFC 5546
rules for the METHOD; without METHOD only the VCALENDAR itself is checked; after the
first failing component the rest go unchecked; libical 3.0 does not check that DTEND
is after DTSTART).
"""

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools" / "calendar-parsers"
SYSTEM_PYTHON = "/usr/bin/python3"
TIMEOUT_SECONDS = 60


def _run(command: list[str], ics: bytes) -> dict:
    """Run one parser script on `ics`; raises RuntimeError if the script itself fails."""
    completed = subprocess.run(  # noqa: S603 - fixed commands, our own scripts
        command, input=ics, capture_output=True, timeout=TIMEOUT_SECONDS, cwd=TOOLS
    )
    if completed.returncode != 0:
        stderr = completed.stderr.decode(errors="replace")
        raise RuntimeError(f"{command[-1]} exited {completed.returncode}: {stderr}")
    return json.loads(completed.stdout)


def parse_with_icaljs(ics: bytes) -> dict:
    """What Mozilla's ical.js reads in `ics` (see the module docstring for the shape)."""
    return _run(["node", str(TOOLS / "parse_icaljs.mjs")], ics)


def parse_with_libical(ics: bytes) -> dict:
    """What libical reads in `ics`, with its parse errors and iTIP restriction check."""
    return _run([SYSTEM_PYTHON, str(TOOLS / "parse_libical.py")], ics)


def parse_with_all(ics: bytes) -> dict[str, dict]:
    """Every parser's reading of `ics`, keyed by parser name ("ical.js", "libical")."""
    readings = (parse_with_icaljs(ics), parse_with_libical(ics))
    return {reading["parser"]: reading for reading in readings}


def problems(reading: dict) -> list[str]:
    """What the parser itself objected to: an error, parse errors, failed restrictions."""
    found = [f"error: {reading['error']}"] if reading["error"] else []
    found += [f"parse: {e['message']}" for e in reading.get("parse_errors", [])]
    check = reading.get("restriction_check")
    if check and not check["passed"]:
        messages = [e["message"] for e in check["errors"]] or ["failed, no message"]
        found += [f"restriction: {message}" for message in messages]
    return found


@functools.cache
def missing() -> str | None:
    """Why the parsers cannot run here, or None when both are installed."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not (TOOLS / "node_modules" / "ical.js" / "package.json").is_file():
        return f"ical.js is not installed in {TOOLS}/node_modules"
    check = "import gi; gi.require_version('ICalGLib', '3.0')"
    try:
        subprocess.run(  # noqa: S603 - fixed command
            [SYSTEM_PYTHON, "-c", check], capture_output=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return f"{SYSTEM_PYTHON} cannot load libical's ICalGLib 3.0"
    return None


def available() -> bool:
    """True when both parsers are installed."""
    return missing() is None


def require_parsers() -> None:
    """Call at the top of a test module: skips it when the parsers are missing.

    Under CI (the CI variable set) a missing parser fails the run instead, so a lost
    install step cannot pass as skipped tests.
    """
    reason = missing()
    if reason is None:
        return
    message = (
        f"{reason}; run `make calendar-parsers` (tools/calendar-parsers/install.sh)"
    )
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)
