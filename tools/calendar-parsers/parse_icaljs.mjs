// Reads one iCalendar stream on stdin and prints what Mozilla's ical.js (Thunderbird's
// parser) makes of it, as JSON. The contract is shared with parse_libical.py; see
// tests/calendar_parsers.py. A parse failure is reported in "error", never as a crash.
import { readFileSync } from "node:fs";

import ICAL from "ical.js";

const VERSION = JSON.parse(
  readFileSync(new URL("node_modules/ical.js/package.json", import.meta.url), "utf8"),
).version;

// UTC when the parser can place the time on the timeline, otherwise the wall-clock
// value without "Z" (floating, or a TZID it cannot resolve), or the bare date.
function timeJson(prop) {
  if (!prop) return null;
  const time = prop.getFirstValue();
  if (!(time instanceof ICAL.Time)) return String(time);
  if (time.isDate) return time.toString();
  const zone = time.zone;
  const placed =
    zone &&
    zone !== ICAL.Timezone.localTimezone &&
    (zone === ICAL.Timezone.utcTimezone || zone.component);
  if (!placed) return time.toString();
  return time.toJSDate().toISOString().replace(".000Z", "Z");
}

function tzid(prop) {
  return prop ? (prop.getParameter("tzid") ?? null) : null;
}

function param(prop, name) {
  const value = prop.getParameter(name);
  return value === undefined || value === null ? null : String(value);
}

function text(component, name) {
  const value = component.getFirstPropertyValue(name);
  return value === null ? null : String(value);
}

function address(prop) {
  if (!prop) return null;
  return { address: String(prop.getFirstValue()), cn: param(prop, "cn") };
}

function integer(component, name) {
  const value = component.getFirstPropertyValue(name);
  return Number.isInteger(value) ? value : null;
}

function eventJson(vevent) {
  const dtstart = vevent.getFirstProperty("dtstart");
  const dtend = vevent.getFirstProperty("dtend");
  return {
    uid: text(vevent, "uid"),
    sequence: integer(vevent, "sequence"),
    dtstamp: timeJson(vevent.getFirstProperty("dtstamp")),
    dtstart: timeJson(dtstart),
    dtstart_tzid: tzid(dtstart),
    dtend: timeJson(dtend),
    dtend_tzid: tzid(dtend),
    status: text(vevent, "status"),
    summary: text(vevent, "summary"),
    location: text(vevent, "location"),
    description: text(vevent, "description"),
    url: text(vevent, "url"),
    organizer: address(vevent.getFirstProperty("organizer")),
    attendees: vevent.getAllProperties("attendee").map((prop) => ({
      ...address(prop),
      role: param(prop, "role"),
      partstat: param(prop, "partstat"),
      rsvp: param(prop, "rsvp"),
    })),
  };
}

function calendarJson(vcalendar) {
  const properties = {};
  for (const prop of vcalendar.getAllProperties()) {
    const name = prop.name.toUpperCase();
    (properties[name] ??= []).push(String(prop.getFirstValue()));
  }
  const timezones = vcalendar.getAllSubcomponents("vtimezone");
  // ical.js resolves a TZID only through its timezone service; Thunderbird fills that
  // from its own database, a bare ical.js from the VTIMEZONEs it is given.
  for (const vtimezone of timezones) ICAL.TimezoneService.register(vtimezone);
  return {
    method: text(vcalendar, "method"),
    calendar_properties: properties,
    timezones: timezones.map((vtimezone) => text(vtimezone, "tzid")),
    events: vcalendar.getAllSubcomponents("vevent").map(eventJson),
  };
}

function parse(bytes) {
  const result = { parser: "ical.js", version: VERSION, error: null };
  try {
    // Strict and BOM-preserving, as in parse_libical.py: a character split across a
    // fold must not pass as U+FFFD.
    const source = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    const jcal = ICAL.parse(source);
    if (jcal.length === 0 || Array.isArray(jcal[0])) {
      throw new Error(`expected one VCALENDAR, found ${jcal.length}`);
    }
    const root = new ICAL.Component(jcal);
    if (root.name !== "vcalendar") {
      throw new Error(`expected VCALENDAR, found ${root.name.toUpperCase()}`);
    }
    return { ...result, ...calendarJson(root) };
  } catch (error) {
    return { ...result, error: String(error?.message ?? error), events: [] };
  }
}

process.stdout.write(JSON.stringify(parse(readFileSync(0))));
