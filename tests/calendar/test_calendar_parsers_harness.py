"""The independent-parser harness (tests/calendar_parsers.py) on hand-written samples.

Proves ical.js and libical read what we mean, agree with each other, and can object.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event, vCalAddress

from tests import calendar_parsers

calendar_parsers.require_parsers()

LONDON = ZoneInfo("Europe/London")
STAMP = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ORGANIZER = "mailto:calendar@trainers.example"
AWKWARD_NAME = "Zoë O'Brien, Smith; the 🎉 one"
TRAINER = ("mailto:jo.smith@example.org", "Jo Smith")


def address(email: str, cn: str, **params: str) -> vCalAddress:
    value = vCalAddress(email)
    value.params["CN"] = cn
    value.params.update(params)
    return value


def event(
    uid: str = "session-1@trainers.example",
    start: datetime = START,
    attendees: tuple[tuple[str, str], ...] = (TRAINER,),
    **properties: object,
) -> Event:
    """A session as an invite describes it; `properties` add or override (None drops)."""
    vevent = Event()
    values = {
        "uid": uid,
        "sequence": 0,
        "dtstamp": STAMP,
        "dtstart": start,
        "dtend": start + timedelta(hours=3),
        "status": "CONFIRMED",
        "summary": "First aid for volunteers",
        "organizer": address(ORGANIZER, "Trainers' Network"),
    } | properties
    for name, value in values.items():
        if value is not None:
            vevent.add(name, value)
    for email, cn in attendees:
        participant = address(
            email, cn, ROLE="REQ-PARTICIPANT", PARTSTAT="NEEDS-ACTION", RSVP="TRUE"
        )
        vevent.add("attendee", participant)
    return vevent


def calendar(method: str | None, *events: Event, **properties: object) -> bytes:
    vcalendar = Calendar()
    vcalendar.add("prodid", "-//Trainers' Network//Sessions//EN")
    vcalendar.add("version", "2.0")
    if method:
        vcalendar.add("method", method)
    for name, value in properties.items():
        vcalendar.add(name.replace("_", "-"), value)
    for vevent in events:
        vcalendar.add_component(vevent)
    vcalendar.add_missing_timezones()
    return vcalendar.to_ical()


def fold(line: str) -> bytes:
    """One content line folded at 75 octets, CRLF, never inside a UTF-8 character."""
    physical, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > 75:
            physical.append(current)
            current = b" "
        current += encoded
    return b"\r\n".join([*physical, current]) + b"\r\n"


def raw_invite(*vevent_lines: str) -> bytes:
    """A REQUEST written by hand, folded by `fold`; `vevent_lines` need a SUMMARY."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Trainers' Network//Sessions//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        "UID:session-1@trainers.example",
        "SEQUENCE:0",
        "DTSTAMP:20261124T100000Z",
        "DTSTART:20261201T090000Z",
        "DTEND:20261201T120000Z",
        f"ORGANIZER:{ORGANIZER}",
        *vevent_lines,
        f"ATTENDEE;CN={TRAINER[1]};ROLE=REQ-PARTICIPANT:{TRAINER[0]}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return b"".join(fold(line) for line in lines)


def read_clean(ics: bytes) -> dict:
    """Both readings; fails unless neither parser objects and both read the same."""
    readings = calendar_parsers.parse_with_all(ics)
    for name, reading in readings.items():
        assert calendar_parsers.problems(reading) == [], name
    icaljs, libical = readings["ical.js"], readings["libical"]
    assert icaljs["method"] == libical["method"]
    assert icaljs["timezones"] == libical["timezones"]
    assert icaljs["events"] == libical["events"]
    return icaljs


def test_request_with_sequence_zero_and_utc_times_reads_the_same_in_both():
    reading = read_clean(calendar("REQUEST", event()))

    assert reading["method"] == "REQUEST"
    assert reading["events"] == [
        {
            "uid": "session-1@trainers.example",
            "sequence": 0,
            "dtstamp": "2026-11-24T10:00:00Z",
            "dtstart": "2026-12-01T09:00:00Z",
            "dtstart_tzid": None,
            "dtend": "2026-12-01T12:00:00Z",
            "dtend_tzid": None,
            "status": "CONFIRMED",
            "summary": "First aid for volunteers",
            "location": None,
            "description": None,
            "url": None,
            "organizer": {"address": ORGANIZER, "cn": "Trainers' Network"},
            "attendees": [
                {
                    "address": "mailto:jo.smith@example.org",
                    "cn": "Jo Smith",
                    "role": "REQ-PARTICIPANT",
                    "partstat": "NEEDS-ACTION",
                    "rsvp": "TRUE",
                }
            ],
        }
    ]


def test_absent_sequence_reads_as_none_not_zero():
    reading = read_clean(calendar("PUBLISH", event(sequence=None, attendees=())))

    assert reading["events"][0]["sequence"] is None


def test_cancel_with_status_cancelled_reads_the_same_in_both():
    cancel = calendar("CANCEL", event(sequence=2, status="CANCELLED", dtstamp=START))

    reading = read_clean(cancel)

    assert reading["method"] == "CANCEL"
    [cancelled] = reading["events"]
    assert (cancelled["uid"], cancelled["sequence"]) == (
        "session-1@trainers.example",
        2,
    )
    assert (cancelled["status"], cancelled["dtstamp"]) == (
        "CANCELLED",
        "2026-12-01T09:00:00Z",
    )


def test_publish_feed_with_two_events_reads_both_in_order_with_feed_settings():
    feed = calendar(
        "PUBLISH",
        event(uid="session-1@trainers.example", attendees=()),
        event(
            uid="session-2@trainers.example",
            start=START + timedelta(days=7),
            status="CANCELLED",
            attendees=(),
        ),
        x_wr_calname="Trainers' Network sessions",
        refresh_interval=timedelta(hours=1),
        x_published_ttl="PT1H",
    )

    reading = read_clean(feed)
    libical = calendar_parsers.parse_with_libical(feed)

    assert reading["method"] == "PUBLISH"
    assert [(e["uid"], e["dtstart"], e["status"]) for e in reading["events"]] == [
        ("session-1@trainers.example", "2026-12-01T09:00:00Z", "CONFIRMED"),
        ("session-2@trainers.example", "2026-12-08T09:00:00Z", "CANCELLED"),
    ]
    for name, value in [
        ("REFRESH-INTERVAL", "PT1H"),
        ("X-PUBLISHED-TTL", "PT1H"),
        ("X-WR-CALNAME", "Trainers' Network sessions"),
    ]:
        assert reading["calendar_properties"][name] == [value]
        assert libical["calendar_properties"][name] == [value]


def test_awkward_text_survives_both_parsers_exactly():
    location = "Flat 2\n10 High Street, Leeds\nLS1 1AA"
    description = (
        f"Trainer: {AWKWARD_NAME}\nNotes: bring C:\\Temp\\slides; "
        'say "hello", then begin.\nhttps://trainers.example/sessions/1?a=1,2;b=3'
    )
    awkward = calendar(
        "REQUEST",
        event(
            summary=f"First aid — {AWKWARD_NAME}",
            location=location,
            description=description,
            attendees=(("mailto:zoe@example.org", AWKWARD_NAME),),
        ),
    )

    [reading] = read_clean(awkward)["events"]

    assert reading["summary"] == f"First aid — {AWKWARD_NAME}"
    assert reading["location"] == location
    assert reading["description"] == description
    assert reading["attendees"][0]["cn"] == AWKWARD_NAME


def test_double_quote_in_a_cn_is_decoded_by_icaljs_but_shown_raw_by_libical():
    # RFC 6868 writes " as ^' in a parameter; libical 3.0 (Evolution) does not decode
    # it, so a name with double quotes reaches Evolution users as ^'.
    name = 'Jo "JJ" Smith'
    ics = calendar("REQUEST", event(attendees=(("mailto:jo@example.org", name),)))

    readings = calendar_parsers.parse_with_all(ics)

    assert b"CN=\"Jo ^'JJ^' Smith\"" in ics
    assert readings["ical.js"]["events"][0]["attendees"][0]["cn"] == name
    assert readings["libical"]["events"][0]["attendees"][0]["cn"] == "Jo ^'JJ^' Smith"


def test_long_lines_folded_at_75_octets_with_crlf_unfold_exactly():
    # No trailing space: libical drops trailing whitespace from a value.
    description = "Link: https://trainers.example/sessions/1 — " + "x,y;z\\ " * 40 + "."
    escaped = description.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    ics = raw_invite(
        "SUMMARY:First aid",
        f"DESCRIPTION:{escaped}",
        f'ATTENDEE;CN="{AWKWARD_NAME} {"long " * 12}end";ROLE=REQ-PARTICIPANT;'
        "PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:zoe@example.org",
    )
    physical = ics.split(b"\r\n")

    [reading] = read_clean(ics)["events"]

    assert max(len(line) for line in physical) == 75
    assert sum(line.startswith(b" ") for line in physical) >= 6
    assert reading["description"] == description
    assert reading["attendees"][0]["cn"] == f"{AWKWARD_NAME} {'long ' * 12}end"


def test_fold_inside_an_escape_sequence_unfolds_before_unescaping():
    padding = "a" * (75 - len("SUMMARY:") - 1)
    ics = raw_invite(f"SUMMARY:{padding}\\, then more")

    [reading] = read_clean(ics)["events"]

    assert ics.split(b"\r\n")[11] == f"SUMMARY:{padding}\\".encode()
    assert reading["summary"] == f"{padding}, then more"


@pytest.mark.parametrize("char", ["é", "€", "😀"])
@pytest.mark.parametrize("ends_at_octet", [75, 76])
def test_multibyte_character_at_the_fold_boundary_reads_whole(char, ends_at_octet):
    before = "a" * (ends_at_octet - len("SUMMARY:") - len(char.encode()))
    summary = f"{before}{char}after the fold"
    ics = raw_invite(f"SUMMARY:{summary}")
    first, second = ics.split(b"\r\n")[11:13]

    [reading] = read_clean(ics)["events"]

    if ends_at_octet == 75:
        assert first.endswith(char.encode()) and len(first) == 75
    else:
        assert second.startswith(b" " + char.encode()) and len(first) < 75
    assert reading["summary"] == summary


def test_character_split_across_a_fold_is_reported_by_both_not_misread():
    whole = raw_invite("SUMMARY:" + "a" * 65 + "😀")
    emoji = "😀".encode()
    split = whole.replace(emoji, emoji[:2] + b"\r\n " + emoji[2:])

    readings = calendar_parsers.parse_with_all(split)

    for reading in readings.values():
        assert "utf-8" in reading["error"].lower()
        assert reading["events"] == []


def test_line_without_a_colon_is_a_parse_error_in_both():
    ics = raw_invite("SUMMARY First aid")

    readings = calendar_parsers.parse_with_all(ics)

    assert "invalid line" in readings["ical.js"]["error"]
    assert [e["type"] for e in readings["libical"]["parse_errors"]] == [
        "COMPONENT-PARSE-ERROR"
    ]
    assert "SUMMARY First aid" in readings["libical"]["parse_errors"][0]["message"]


@pytest.mark.parametrize(
    ("method", "vevent", "objection"),
    [
        ("REQUEST", event(organizer=None), "ORGANIZER property. Expected 1"),
        ("REQUEST", event(uid=None), "UID property. Expected 1"),
        ("REQUEST", event(dtstamp=None), "DTSTAMP property. Expected 1"),
        ("REQUEST", event(status="CANCELLED"), "STATUS property. Value must be"),
        ("CANCEL", event(sequence=None), "SEQUENCE property. Expected 1"),
        ("PUBLISH", event(), "ATTENDEE property. Expected 0"),
        (
            "REQUEST",
            event(duration=timedelta(hours=1)),
            "must not have both DURATION and DTEND",
        ),
    ],
    ids=[
        "request-without-organizer",
        "without-uid",
        "without-dtstamp",
        "request-saying-cancelled",
        "cancel-without-sequence",
        "publish-with-attendee",
        "dtend-and-duration",
    ],
)
def test_libical_restriction_check_flags_broken_itip(method, vevent, objection):
    ics = calendar(method, vevent)

    readings = calendar_parsers.parse_with_all(ics)
    libical = readings["libical"]

    assert libical["restriction_check"]["passed"] is False
    assert any(objection in found for found in calendar_parsers.problems(libical))
    assert libical["parse_errors"] == []
    assert readings["ical.js"]["error"] is None, "ical.js alone would not notice"


def test_floating_time_reads_without_z_in_both():
    floating = calendar("REQUEST", event(start=datetime(2026, 12, 1, 9, 0)))

    [reading] = read_clean(floating)["events"]

    assert (reading["dtstart"], reading["dtend"]) == (
        "2026-12-01T09:00:00",
        "2026-12-01T12:00:00",
    )


@pytest.mark.parametrize(
    ("local_start", "utc_start", "icaljs_start"),
    [
        (datetime(2027, 3, 28, 9, 0), "2027-03-28T08:00:00Z", "2027-03-28T08:00:00Z"),
        (datetime(2027, 10, 31, 9, 0), "2027-10-31T09:00:00Z", "2027-10-31T08:00:00Z"),
    ],
    ids=["clocks-forward", "clocks-back"],
)
def test_icalendar_vtimezone_rdate_lists_put_winter_an_hour_out_in_icaljs(
    local_start, utc_start, icaljs_start
):
    # ical.js reads only the first value of each RDATE in a VTIMEZONE, and icalendar
    # lists every transition in one RDATE: to ical.js London stays on BST from 1973.
    ics = calendar("REQUEST", event(start=local_start.replace(tzinfo=LONDON)))

    readings = calendar_parsers.parse_with_all(ics)
    icaljs, libical = readings["ical.js"], readings["libical"]

    assert b"RDATE:" in ics
    assert calendar_parsers.problems(icaljs) == calendar_parsers.problems(libical) == []
    assert icaljs["timezones"] == libical["timezones"] == ["Europe/London"]
    assert libical["events"][0]["dtstart"] == utc_start
    assert icaljs["events"][0]["dtstart"] == icaljs_start


def test_tzid_without_vtimezone_is_placed_by_libical_only():
    ics = raw_invite("SUMMARY:x").replace(
        b"DTSTART:20261201T090000Z", b"DTSTART;TZID=Europe/London:20270328T090000"
    )

    readings = calendar_parsers.parse_with_all(ics)

    assert readings["libical"]["events"][0]["dtstart"] == "2027-03-28T08:00:00Z"
    assert readings["ical.js"]["events"][0]["dtstart"] == "2027-03-28T09:00:00"
