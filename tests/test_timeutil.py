from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from trainers.extensions import db
from trainers.network.models import Topic
from trainers.timeutil import (
    LocalTimeError,
    duration_in_words,
    format_date,
    format_datetime,
    format_time,
    local_to_utc,
    to_local,
)


def test_winter_times_are_gmt_and_summer_times_bst():
    assert local_to_utc(date(2027, 1, 12), time(18, 0)) == datetime(
        2027, 1, 12, 18, 0, tzinfo=UTC
    )
    assert local_to_utc(date(2027, 7, 12), time(18, 0)) == datetime(
        2027, 7, 12, 17, 0, tzinfo=UTC
    )


def test_clocks_forward_day_is_right_either_side_of_the_change():
    day = date(2027, 3, 28)
    assert local_to_utc(day, time(0, 30)) == datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    assert local_to_utc(day, time(10, 0)) == datetime(2027, 3, 28, 9, 0, tzinfo=UTC)


def test_a_time_skipped_by_the_clocks_going_forward_is_refused():
    with pytest.raises(LocalTimeError, match="01:30 does not exist on 28 March 2027"):
        local_to_utc(date(2027, 3, 28), time(1, 30))


def test_clocks_back_day_takes_the_first_of_the_repeated_hour():
    day = date(2027, 10, 31)
    assert local_to_utc(day, time(1, 30)) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert local_to_utc(day, time(10, 0)) == datetime(2027, 10, 31, 10, 0, tzinfo=UTC)


def test_display_is_on_the_london_clock():
    assert (
        format_datetime(datetime(2027, 3, 28, 9, 0, tzinfo=UTC))
        == "Sun 28 Mar 2027, 10:00"
    )
    assert (
        format_datetime(datetime(2027, 10, 31, 10, 0, tzinfo=UTC))
        == "Sun 31 Oct 2027, 10:00"
    )
    assert to_local(datetime(2027, 10, 31, 0, 30, tzinfo=UTC)).utcoffset() == timedelta(
        hours=1
    )


def test_utc_columns_round_trip_aware_and_refuse_naive(app):
    summer = datetime(2027, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    topic = Topic(name="Phone banking", created_at=summer)
    db.session.add(topic)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(select(Topic)).created_at
    assert stored == datetime(2027, 7, 1, 11, 0, tzinfo=UTC)
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)

    db.session.add(Topic(name="Naive", created_at=datetime(2027, 7, 1, 12, 0)))
    with pytest.raises(Exception, match="naive datetime"):
        db.session.commit()
    db.session.rollback()


@given(st.datetimes(min_value=datetime(1970, 1, 2), timezones=st.just(UTC)))
def test_dates_read_as_strftime_writes_them_in_english(moment):
    local = to_local(moment)
    assert format_datetime(moment) == local.strftime("%a %-d %b %Y, %H:%M")
    assert format_date(moment) == local.strftime("%a %-d %b %Y")
    assert format_date(local.date()) == local.strftime("%a %-d %b %Y")
    assert format_time(moment) == local.strftime("%H:%M")


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "1 minute"),
        (61, "2 minutes"),
        (30 * 60, "30 minutes"),
        (3599, "1 hour"),
        (3600, "1 hour"),
        (5400, "1 hour 30 minutes"),
        (8 * 3600, "8 hours"),
        (24 * 3600, "1 day"),
        (26 * 3600, "26 hours"),
        (14 * 24 * 3600, "14 days"),
    ],
)
def test_a_span_is_said_in_plain_words(seconds, words):
    assert duration_in_words(timedelta(seconds=seconds)) == words
