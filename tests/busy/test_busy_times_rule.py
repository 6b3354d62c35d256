"""The busy rule on plain facts: a busy time keeps the shortest journey clear
of an in-person slot and none of an online one, and the quick look it takes
(the one busy time that may overlap) agrees with checking every busy time."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainers.busy.parsing import merged
from trainers.matching.rules import (
    Rule,
    SlotFacts,
    TrainerFacts,
    TravelSettings,
    Venue,
    broken_rules,
)

SETTINGS = TravelSettings(speed_kmh=30, min_minutes=30)
HASTINGS = Venue(False, 50.86504, 0.58226)
ONLINE = Venue(True)
START = datetime(2027, 6, 15, 17, 30, tzinfo=UTC)
SLOT = SlotFacts(START, START + timedelta(hours=2), HASTINGS)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def is_busy(busy, slot=SLOT, settings=SETTINGS) -> bool:
    trainer = TrainerFacts(trainer_id=1, busy=busy)
    return Rule.BUSY in {b.rule for b in broken_rules(trainer, slot, settings)}


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "busy"),
    [
        (START - 2 * HOUR, START - 30 * MINUTE, False),
        (START - 2 * HOUR, START - 29 * MINUTE, True),
        (SLOT.ends_at + 30 * MINUTE, SLOT.ends_at + 2 * HOUR, False),
        (SLOT.ends_at + 29 * MINUTE, SLOT.ends_at + 2 * HOUR, True),
        (START + 30 * MINUTE, START + 45 * MINUTE, True),
        (START - 10 * HOUR, SLOT.ends_at + 10 * HOUR, True),
    ],
)
def test_a_busy_time_keeps_the_shortest_journey_clear(starts_at, ends_at, busy):
    assert is_busy([(starts_at, ends_at)]) is busy


def test_an_online_slot_may_follow_a_busy_time_at_once():
    online = SlotFacts(SLOT.starts_at, SLOT.ends_at, ONLINE)

    assert not is_busy([(START - timedelta(hours=1), START)], online)
    assert is_busy([(START - timedelta(hours=1), START + MINUTE)], online)


minutes = st.integers(min_value=-600, max_value=600)


@given(st.lists(st.tuples(minutes, st.integers(1, 300)), max_size=12), st.booleans())
def test_the_quick_look_agrees_with_checking_every_busy_time(drawn, online):
    busy = merged(
        [
            (START + timedelta(minutes=m), START + timedelta(minutes=m + length))
            for m, length in drawn
        ]
    )
    slot = SlotFacts(SLOT.starts_at, SLOT.ends_at, ONLINE if online else HASTINGS)
    gap = timedelta(0) if online else timedelta(minutes=30)

    expected = any(
        slot.starts_at < ends_at + gap and starts_at < slot.ends_at + gap
        for starts_at, ends_at in busy
    )
    assert is_busy(busy, slot) is expected
