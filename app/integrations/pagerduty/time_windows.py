"""Walking a long time range in windows PagerDuty accepts (API-NOTES §1.1 and §2.5).

/incidents rejects ranges over 6 months, and no list can be paged past offset+limit 10,000, so a range is cut
into windows of at most 6 calendar months and a window with more than 10,000 results is halved until each
half fits. Pages come back tagged with their window so a sync can checkpoint when a window is complete.
"""

from __future__ import annotations

import calendar
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .errors import PaginationLimitError
from .pagination import (
    MAX_OFFSET_PLUS_LIMIT,
    GetJson,
    Params,
    format_utc,
    has_more,
    items_of,
    iter_envelopes,
    to_utc,
)

logger = logging.getLogger(__name__)

MAX_WINDOW_MONTHS = 6
_ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class TimeWindow:
    """[since, until) in UTC, whole seconds. PagerDuty's inclusivity is undocumented (§2.5): upsert by id."""

    since: datetime
    until: datetime

    def params(self) -> dict[str, str]:
        return {"since": format_utc(self.since), "until": format_utc(self.until)}

    def halves(self) -> tuple[TimeWindow, TimeWindow] | None:
        middle = _floor_second(self.since + (self.until - self.since) / 2)
        if middle <= self.since:
            return None
        return TimeWindow(self.since, middle), TimeWindow(middle, self.until)

    def __str__(self) -> str:
        return f"[{format_utc(self.since)}, {format_utc(self.until)})"


@dataclass(frozen=True)
class WindowPage:
    window: TimeWindow
    items: list[dict[str, Any]]
    # True on the window's final page: everything in `window` has been yielded and a sync may checkpoint.
    last_in_window: bool


def split_by_months(since: datetime, until: datetime, months: int = MAX_WINDOW_MONTHS) -> list[TimeWindow]:
    start, end = _floor_second(to_utc(since)), _ceil_second(to_utc(until))
    if start > end:
        raise ValueError(f"since {since.isoformat()} is after until {until.isoformat()}")
    windows = []
    while start < end:
        stop = min(add_months(start, months), end)
        windows.append(TimeWindow(start, stop))
        start = stop
    return windows


def split_by_days(since: datetime, until: datetime, days: int) -> list[TimeWindow]:
    start, end = _floor_second(to_utc(since)), _ceil_second(to_utc(until))
    windows = []
    while start < end:
        stop = min(start + timedelta(days=days), end)
        windows.append(TimeWindow(start, stop))
        start = stop
    return windows


def add_months(moment: datetime, months: int) -> datetime:
    """Same day and time `months` later, clamped to the month's last day (Aug 31 + 6 months = Feb 28/29)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def iter_window_pages(
    get: GetJson, path: str, collection: str, since: datetime, until: datetime, params: Params
) -> Iterator[WindowPage]:
    for window in split_by_months(since, until):
        yield from _iter_one_window(get, path, collection, window, params)


def _iter_one_window(
    get: GetJson, path: str, collection: str, window: TimeWindow, params: Params
) -> Iterator[WindowPage]:
    # API-NOTES §2.5: time_zone=UTC so since/until are not read in the account's zone.
    envelopes = iter_envelopes(
        get, path, {**params, **window.params(), "time_zone": "UTC"}, total_on_first=True
    )
    first = next(envelopes)
    total = first.get("total")
    if isinstance(total, int) and total > MAX_OFFSET_PLUS_LIMIT:
        envelopes.close()
        yield from _iter_halves(get, path, collection, window, params, total)
        return
    for envelope in itertools.chain([first], envelopes):
        yield WindowPage(window, items_of(envelope, collection), last_in_window=not has_more(envelope))


def _iter_halves(
    get: GetJson, path: str, collection: str, window: TimeWindow, params: Params, total: int
) -> Iterator[WindowPage]:
    halves = window.halves()
    if halves is None:
        raise PaginationLimitError(
            f"{path} has {total} results in {window}, which cannot be split further; narrow the filter",
            request=f"GET {path}",
        )
    logger.info("PagerDuty %s: %d results in %s, splitting the window in two", path, total, window)
    for half in halves:
        yield from _iter_one_window(get, path, collection, half, params)


def _floor_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _ceil_second(moment: datetime) -> datetime:
    return _floor_second(moment) + (_ONE_SECOND if moment.microsecond else timedelta(0))
