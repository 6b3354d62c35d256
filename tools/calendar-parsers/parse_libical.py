"""Print what libical (Evolution's parser) makes of one iCalendar stream, as JSON.

Run with the system /usr/bin/python3, which has python3-gi. Reads the stream on stdin;
the contract is shared with parse_icaljs.mjs (see tests/calendar_parsers.py), plus the
X-LIC-ERROR properties libical adds while parsing and those its iTIP restriction check
(ICalGLib.Component.check_restrictions) adds.
"""

import json
import sys
from collections import Counter
from pathlib import Path

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib  # noqa: E402

Kind = ICalGLib.ComponentKind
Prop = ICalGLib.PropertyKind
UTC = ICalGLib.Timezone.get_utc_timezone()


def loaded_libical_version() -> str:
    """Version of the libical.so this process loaded, read from its file name."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1]
        if "/libical.so." in path:
            return Path(path).resolve().name.split(".so.", 1)[1]
    return "unknown"


def properties(component, kind):
    prop = component.get_first_property(kind)
    while prop is not None:
        yield prop
        prop = component.get_next_property(kind)


def subcomponents(component, kind=Kind.ANY_COMPONENT):
    child = component.get_first_component(kind)
    while child is not None:
        yield child
        child = component.get_next_component(kind)


def lic_errors(component, path="VCALENDAR") -> list[dict]:
    """Every X-LIC-ERROR in the tree, with the component path it sits on."""
    found = []
    for prop in properties(component, Prop.XLICERROR_PROPERTY):
        kind = prop.get_first_parameter(ICalGLib.ParameterKind.XLICERRORTYPE_PARAMETER)
        found.append(
            {
                "component": path,
                "type": kind.as_ical_string().split("=", 1)[1] if kind else None,
                "message": prop.get_xlicerror(),
            }
        )
    for child in subcomponents(component):
        child_path = f"{path}/{ICalGLib.Component.kind_to_string(child.isa())}"
        found.extend(lic_errors(child, child_path))
    return found


def time_json(component, kind, getter) -> tuple[str | None, str | None]:
    """(value, TZID) of a date-time property; see parse_icaljs.mjs for the format."""
    prop = component.get_first_property(kind)
    if prop is None:
        return None, None
    tzid = prop.get_parameter_as_string("TZID")
    time = getter(component)
    if time.is_null_time():
        return None, tzid
    if time.is_date():
        return f"{time.get_year():04}-{time.get_month():02}-{time.get_day():02}", tzid
    placed = time.is_utc() or time.get_timezone() is not None
    if placed:
        time = ICalGLib.Time.convert_to_zone(time, UTC)
    stamp = (
        f"{time.get_year():04}-{time.get_month():02}-{time.get_day():02}T"
        f"{time.get_hour():02}:{time.get_minute():02}:{time.get_second():02}"
    )
    return (stamp + "Z" if placed else stamp), tzid


def value_of(component, kind, getter):
    prop = component.get_first_property(kind)
    return None if prop is None else getter(prop)


def address(prop) -> dict:
    return {
        "address": prop.get_value_as_string(),
        "cn": prop.get_parameter_as_string("CN"),
    }


def event_json(vevent) -> dict:
    dtstart, dtstart_tzid = time_json(
        vevent, Prop.DTSTART_PROPERTY, ICalGLib.Component.get_dtstart
    )
    dtend, dtend_tzid = time_json(
        vevent, Prop.DTEND_PROPERTY, ICalGLib.Component.get_dtend
    )
    dtstamp, _ = time_json(
        vevent, Prop.DTSTAMP_PROPERTY, ICalGLib.Component.get_dtstamp
    )
    organizer = vevent.get_first_property(Prop.ORGANIZER_PROPERTY)
    return {
        "uid": value_of(vevent, Prop.UID_PROPERTY, ICalGLib.Property.get_uid),
        "sequence": value_of(
            vevent, Prop.SEQUENCE_PROPERTY, ICalGLib.Property.get_sequence
        ),
        "dtstamp": dtstamp,
        "dtstart": dtstart,
        "dtstart_tzid": dtstart_tzid,
        "dtend": dtend,
        "dtend_tzid": dtend_tzid,
        "status": value_of(
            vevent, Prop.STATUS_PROPERTY, ICalGLib.Property.get_value_as_string
        ),
        "summary": value_of(
            vevent, Prop.SUMMARY_PROPERTY, ICalGLib.Property.get_summary
        ),
        "location": value_of(
            vevent, Prop.LOCATION_PROPERTY, ICalGLib.Property.get_location
        ),
        "description": value_of(
            vevent, Prop.DESCRIPTION_PROPERTY, ICalGLib.Property.get_description
        ),
        "url": value_of(vevent, Prop.URL_PROPERTY, ICalGLib.Property.get_url),
        "organizer": None if organizer is None else address(organizer),
        "attendees": [
            {
                **address(prop),
                "role": prop.get_parameter_as_string("ROLE"),
                "partstat": prop.get_parameter_as_string("PARTSTAT"),
                "rsvp": prop.get_parameter_as_string("RSVP"),
            }
            for prop in properties(vevent, Prop.ATTENDEE_PROPERTY)
        ],
    }


def calendar_json(vcalendar) -> dict:
    calendar_properties: dict[str, list[str]] = {}
    for prop in properties(vcalendar, Prop.ANY_PROPERTY):
        name = prop.get_property_name()
        if name != "X-LIC-ERROR":
            calendar_properties.setdefault(name, []).append(prop.get_value_as_string())
    method = vcalendar.get_first_property(Prop.METHOD_PROPERTY)
    return {
        "method": None if method is None else method.get_value_as_string(),
        "calendar_properties": calendar_properties,
        "timezones": [
            vtimezone.get_first_property(Prop.TZID_PROPERTY).get_tzid()
            for vtimezone in subcomponents(vcalendar, Kind.VTIMEZONE_COMPONENT)
        ],
        "events": [
            event_json(e) for e in subcomponents(vcalendar, Kind.VEVENT_COMPONENT)
        ],
    }


def restriction_check(vcalendar, parse_errors: list[dict]) -> dict:
    """Run libical's iTIP check; it adds X-LIC-ERRORs, reported once each."""
    passed = bool(vcalendar.check_restrictions())
    added = Counter(json.dumps(e, sort_keys=True) for e in lic_errors(vcalendar))
    added.subtract(json.dumps(e, sort_keys=True) for e in parse_errors)
    # libical 3.0 can add one message many times (24 copies for one bad STATUS).
    return {"passed": passed, "errors": [json.loads(e) for e in added if added[e] > 0]}


def parse(source: bytes) -> dict:
    result = {"parser": "libical", "version": loaded_libical_version(), "error": None}
    empty = {"events": [], "parse_errors": [], "restriction_check": None}
    try:
        text_source = source.decode("utf-8")
    except UnicodeDecodeError as error:
        return {**result, **empty, "error": f"not UTF-8: {error}"}
    root = ICalGLib.Parser.parse_string(text_source)
    if root is None or root.isa() != Kind.VCALENDAR_COMPONENT:
        found = (
            "nothing" if root is None else ICalGLib.Component.kind_to_string(root.isa())
        )
        return {**result, **empty, "error": f"expected one VCALENDAR, found {found}"}
    parse_errors = lic_errors(root)
    parsed = calendar_json(root)
    return {
        **result,
        **parsed,
        "parse_errors": parse_errors,
        "restriction_check": restriction_check(root, parse_errors),
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(parse(sys.stdin.buffer.read())))
