"""A request's proposed times: read from the form's rows, checked, in UTC."""

from datetime import date, datetime, time, timedelta

from flask import current_app

from trainers.errors import DomainError
from trainers.timeutil import LocalTimeError, local_to_utc

MAX_SLOTS = 5

# Nobody plans a workshop further ahead; later dates only break month arithmetic.
MAX_YEARS_AHEAD = 2

# A slot as typed on the form: a local date, start and end time, any of them empty.
SlotRow = tuple[date | None, time | None, time | None]
# A proposed slot as stored: aware UTC start and end.
Slot = tuple[datetime, datetime]


def slot_field(row: int, part: str) -> str:
    """The form field of one part ("date", "start", "end") of slot row `row`, from 0."""
    return f"slot_{row + 1}_{part}"


class SlotError(DomainError):
    """One proposed slot breaks a rule; `row` is its place on the form, from 0."""

    def __init__(self, row: int, part: str, message: str):
        super().__init__(message, field=slot_field(row, part))
        self.row = row


class InvalidSlots(DomainError):
    """Some proposed slots break rules; `errors` holds one SlotError per bad row."""

    def __init__(self, errors: list[SlotError]):
        super().__init__(errors[0].message, errors[0].field)
        self.errors = errors


def parse_slots(
    rows: list[SlotRow], now: datetime, usual_minutes: int | None = None
) -> list[Slot]:
    """The proposed slots as UTC (start, end) pairs, earliest first; empty rows skipped.

    With `usual_minutes` (the topic's usual length) a row without an end lasts
    that long. Raises InvalidSlots naming every bad row: half filled, a time the
    clocks skip, ending at or before its start, in the past, too long, or a
    repeat of another.
    """
    filled = [
        (row, values)
        for row, values in enumerate(rows)
        if any(value is not None for value in values)
    ]
    if len(filled) > MAX_SLOTS:
        raise DomainError(f"Propose at most {MAX_SLOTS} time slots.")
    if not filled:
        raise InvalidSlots(
            [
                SlotError(
                    0,
                    "date",
                    "Propose at least one time slot: a date, a start time and an "
                    "end time.",
                )
            ]
        )
    rows_by_slot: dict[Slot, int] = {}
    errors = []
    for row, values in filled:
        try:
            slot = _parse_slot(row, *values, now, usual_minutes)
            if slot in rows_by_slot:
                raise SlotError(
                    row,
                    "date",
                    f"This slot is the same as slot {rows_by_slot[slot] + 1}.",
                )
        except SlotError as error:
            errors.append(error)
        else:
            rows_by_slot[slot] = row
    if errors:
        raise InvalidSlots(errors)
    return sorted(rows_by_slot)


def _parse_slot(
    row: int,
    day: date | None,
    start: time | None,
    end: time | None,
    now: datetime,
    usual_minutes: int | None,
) -> Slot:
    needed = [("date", day, "a date"), ("start", start, "a start time")]
    if usual_minutes is None:
        needed.append(("end", end, "an end time"))
    for part, value, wanted in needed:
        if value is None:
            raise SlotError(
                row,
                part,
                f"This slot needs {wanted} too, or leave the whole row empty.",
            )
    starts_at = _to_utc(row, "start", day, start)
    if end is None:
        # Elapsed time: across a change of the clocks it still lasts as long.
        ends_at = starts_at + timedelta(minutes=usual_minutes)
    else:
        ends_at = _to_utc(row, "end", day, end)
    if ends_at <= starts_at:
        raise SlotError(
            row,
            "end",
            "This slot ends at or before its start. Give an end time later the "
            "same day.",
        )
    if starts_at <= now:
        raise SlotError(
            row, "date", "This slot is in the past. Choose a time still to come."
        )
    if starts_at > now + timedelta(days=366 * MAX_YEARS_AHEAD):
        raise SlotError(
            row,
            "date",
            f"This slot is more than {MAX_YEARS_AHEAD} years away. Choose a nearer "
            "date.",
        )
    longest = current_app.config["MAX_SLOT_HOURS"]
    if ends_at - starts_at > timedelta(hours=longest):
        raise SlotError(
            row,
            "end",
            f"This slot is longer than {longest} hours. Propose a shorter session.",
        )
    return starts_at, ends_at


def _to_utc(row: int, part: str, day: date, clock: time) -> datetime:
    try:
        return local_to_utc(day, clock)
    except LocalTimeError as error:
        raise SlotError(row, part, str(error)) from error
