"""Local calendar arithmetic, all pure: every boundary is a local midnight converted to a UTC instant here,
and SQL only compares stored UTC timestamps against those instants, so bucketing is identical on both engines
and DST-correct without any engine time-zone function (Berlin's last Sunday of March lasts 23 hours).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class BucketUnit(enum.StrEnum):
    DAY = "day"
    WEEK = "week"  # weeks start on Monday (ISO)
    MONTH = "month"


@dataclass(frozen=True)
class Bucket:
    """A local day/week/month from `label`: [start, end) is clipped to the window, [full_start, full_end) is
    the whole unit, so a chart can tell a partial bucket from a quiet one."""

    label: date
    start: datetime
    end: datetime
    full_start: datetime
    full_end: datetime

    @property
    def share(self) -> float:
        """The part of the whole day/week/month inside the window (1.0 for a whole one)."""
        return (self.end - self.start) / (self.full_end - self.full_start)

    @property
    def partial(self) -> bool:
        return self.start > self.full_start or self.end < self.full_end


@dataclass(frozen=True)
class OffsetSpan:
    """[start, end) during which the zone's UTC offset is `offset_seconds` (local = utc + offset)."""

    start: datetime
    end: datetime
    offset_seconds: int


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC. If midnight falls in a DST gap (America/Santiago jumps
    00:00 → 01:00), fold=0 reads it with the offset before the jump: the instant the local day begins."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def is_local_midnight(instant: datetime, zone: ZoneInfo) -> bool:
    return local_midnight(local_date(instant, zone), zone) == instant


def days_window(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[midnight of `start`, midnight of `end`) in `zone`, as UTC instants; `end` is exclusive."""
    if end <= start:
        raise ValueError("the window's end date must be after its start date")
    return local_midnight(start, zone), local_midnight(end, zone)


def last_days_window(days: int, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """The `days` whole local days ending with today (today included, so the window ends at tomorrow's
    midnight and today counts up to now)."""
    if days < 1:
        raise ValueError("a window is at least one day long")
    today = local_date(now, zone)
    return days_window(today - timedelta(days=days - 1), today + timedelta(days=1), zone)


def previous_window(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The window of equal length just before [start, end): whole local days step back as many local days
    (so across a DST change it still starts at a local midnight), any other window by its exact duration."""
    if is_local_midnight(start, zone) and is_local_midnight(end, zone):
        first, last = local_date(start, zone), local_date(end, zone)
        return local_midnight(first - (last - first), zone), start
    return start - (end - start), start


def unit_start(day: date, unit: BucketUnit) -> date:
    if unit is BucketUnit.DAY:
        return day
    if unit is BucketUnit.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


# Days from a unit's start into the next unit (a month's first day + 32 days is in the next month).
_STEP = {BucketUnit.DAY: 1, BucketUnit.WEEK: 7, BucketUnit.MONTH: 32}


def buckets(start: datetime, end: datetime, zone: ZoneInfo, unit: BucketUnit) -> list[Bucket]:
    """Every day/week/month touching [start, end), empty ones included, in order."""
    result: list[Bucket] = []
    label = unit_start(local_date(start, zone), unit)
    while True:
        full_start = local_midnight(label, zone)
        bucket_start = max(full_start, start)
        if bucket_start >= end:
            return result
        following = unit_start(label + timedelta(days=_STEP[unit]), unit)
        full_end = local_midnight(following, zone)
        result.append(Bucket(label, bucket_start, min(full_end, end), full_start, full_end))
        label = following


def offset_spans(zone: ZoneInfo, start: datetime, end: datetime) -> list[OffsetSpan]:
    """Cut [start, end) where the zone's UTC offset changes. zoneinfo does not expose its transitions, so the
    offset is probed every 6 hours (no zone changes twice within 6 hours) and bisected to the second."""
    step = timedelta(hours=6)
    spans: list[OffsetSpan] = []
    span_start, offset = start, _offset(zone, start)
    probe = start
    while probe < end:
        nxt = min(probe + step, end)
        if _offset(zone, nxt) != offset:
            change = _first_change(zone, probe, nxt, offset)
            if change >= end:  # the change happens exactly at the end: nothing after it is ours
                break
            spans.append(OffsetSpan(span_start, change, offset))
            span_start, offset = change, _offset(zone, change)
        probe = nxt
    spans.append(OffsetSpan(span_start, end, offset))
    return spans


def _offset(zone: ZoneInfo, instant: datetime) -> int:
    delta = instant.astimezone(zone).utcoffset()
    assert delta is not None  # a ZoneInfo always knows its offset
    return int(delta.total_seconds())


def _first_change(zone: ZoneInfo, low: datetime, high: datetime, offset: int) -> datetime:
    """The first whole second in (low, high] whose offset differs from `offset` (at low it is `offset`)."""
    lo, hi = 0, int((high - low).total_seconds())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(zone, low + timedelta(seconds=mid)) == offset:
            lo = mid
        else:
            hi = mid
    return low + timedelta(seconds=hi)
