"""Local days, trend buckets and offset spans across DST, without a database."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.analytics.windows import (
    BucketUnit,
    buckets,
    days_window,
    last_days_window,
    local_midnight,
    offset_spans,
    previous_window,
)
from tests.analytics.factories import utc

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def test_it_turns_local_midnight_into_utc_on_both_sides_of_a_dst_change() -> None:
    # Berlin is UTC+1 in winter and UTC+2 from 2024-03-31 02:00 local.
    assert local_midnight(date(2024, 3, 31), BERLIN) == utc(2024, 3, 30, 23)
    assert local_midnight(date(2024, 4, 1), BERLIN) == utc(2024, 3, 31, 22)
    # New York is UTC-5, then UTC-4 from 2024-03-10 02:00 local.
    assert local_midnight(date(2024, 3, 10), NEW_YORK) == utc(2024, 3, 10, 5)
    assert local_midnight(date(2024, 3, 11), NEW_YORK) == utc(2024, 3, 11, 4)


def test_it_starts_a_day_whose_midnight_does_not_exist_at_its_first_instant() -> None:
    # Santiago skipped from 2024-09-08 00:00 (UTC-4) to 01:00 (UTC-3): the day began at 04:00 UTC.
    assert local_midnight(date(2024, 9, 8), ZoneInfo("America/Santiago")) == utc(2024, 9, 8, 4)


def test_it_makes_day_buckets_of_23_and_25_hours_on_dst_days() -> None:
    start, end = days_window(date(2024, 3, 30), date(2024, 4, 1), BERLIN)
    spring = buckets(start, end, BERLIN, BucketUnit.DAY)
    assert [b.label for b in spring] == [date(2024, 3, 30), date(2024, 3, 31)]
    assert [b.end - b.start for b in spring] == [timedelta(hours=24), timedelta(hours=23)]

    start, end = days_window(date(2024, 11, 3), date(2024, 11, 4), NEW_YORK)
    (autumn,) = buckets(start, end, NEW_YORK, BucketUnit.DAY)
    assert (autumn.start, autumn.end) == (utc(2024, 11, 3, 4), utc(2024, 11, 4, 5))  # 25 hours


def test_it_starts_week_buckets_on_monday_and_clips_them_to_the_window() -> None:
    # 2024-03-27 is a Wednesday; the window runs to Wednesday 2024-04-10 (exclusive).
    start, end = days_window(date(2024, 3, 27), date(2024, 4, 10), BERLIN)
    weeks = buckets(start, end, BERLIN, BucketUnit.WEEK)
    assert [b.label for b in weeks] == [date(2024, 3, 25), date(2024, 4, 1), date(2024, 4, 8)]
    assert weeks[0].start == start  # Wednesday midnight, not Monday's
    assert weeks[0].end == utc(2024, 3, 31, 22)  # Monday 1 April, 00:00 CEST
    assert weeks[-1].end == end


def test_it_makes_month_buckets_across_a_year_end() -> None:
    start, end = days_window(date(2023, 11, 15), date(2024, 2, 1), NEW_YORK)
    months = buckets(start, end, NEW_YORK, BucketUnit.MONTH)
    assert [b.label for b in months] == [date(2023, 11, 1), date(2023, 12, 1), date(2024, 1, 1)]
    assert months[1].start == utc(2023, 12, 1, 5)


def test_it_steps_back_whole_local_days_for_the_previous_window() -> None:
    # 7 local days ending on the day after the spring change: the previous 7 days start at a midnight too,
    # although this window is 167 hours long and the previous one 168.
    start, end = days_window(date(2024, 3, 26), date(2024, 4, 2), BERLIN)
    assert end - start == timedelta(hours=167)
    assert previous_window(start, end, BERLIN) == (local_midnight(date(2024, 3, 19), BERLIN), start)


def test_it_steps_back_the_exact_duration_for_a_window_that_is_not_whole_days() -> None:
    assert previous_window(utc(2024, 1, 1, 6), utc(2024, 1, 1, 9), BERLIN) == (
        utc(2024, 1, 1, 3),
        utc(2024, 1, 1, 6),
    )


def test_it_counts_today_in_the_last_n_days() -> None:
    # 23:30 UTC on 2024-03-30 is already 00:30 on the 31st in Berlin, so "today" is the 31st.
    start, end = last_days_window(7, BERLIN, utc(2024, 3, 30, 23, 30))
    assert (start, end) == (
        local_midnight(date(2024, 3, 25), BERLIN),
        local_midnight(date(2024, 4, 1), BERLIN),
    )


def test_it_refuses_an_empty_window() -> None:
    with pytest.raises(ValueError):
        days_window(date(2024, 1, 2), date(2024, 1, 2), BERLIN)
    with pytest.raises(ValueError):
        last_days_window(0, BERLIN, utc(2024, 1, 1))


def test_it_cuts_offset_spans_at_each_transition() -> None:
    spans = offset_spans(NEW_YORK, utc(2024, 3, 1), utc(2024, 12, 1))
    assert [(s.start, s.end, s.offset_seconds) for s in spans] == [
        (utc(2024, 3, 1), utc(2024, 3, 10, 7), -5 * 3600),  # 02:00 EST
        (utc(2024, 3, 10, 7), utc(2024, 11, 3, 6), -4 * 3600),  # 02:00 EDT
        (utc(2024, 11, 3, 6), utc(2024, 12, 1), -5 * 3600),
    ]


def test_it_gives_one_span_to_a_zone_without_dst() -> None:
    (span,) = offset_spans(ZoneInfo("Asia/Kolkata"), utc(2024, 1, 1), utc(2024, 7, 1))
    assert span.offset_seconds == 5 * 3600 + 30 * 60
