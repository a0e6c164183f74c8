"""Classic offset pagination, query-string encoding and time windows (API-NOTES §0, §1 and §2.5).

/incidents rejects ranges over 6 months, and no list can be paged past offset+limit 10,000, so a long range is
cut into windows of at most 6 calendar months and a window with more than 10,000 results is halved until each
half fits. Pages come back tagged with their window so a sync can checkpoint when a window is complete.
"""

from __future__ import annotations

import calendar
import itertools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import PaginationLimitError

logger = logging.getLogger(__name__)

# API-NOTES §1.1: limit "cannot exceed 100"; offset+limit "cannot exceed 10000" or the API answers 400.
PAGE_LIMIT = 100
MAX_OFFSET_PLUS_LIMIT = 10_000
MAX_WINDOW_MONTHS = 6

ParamValue = str | int | bool | datetime | Sequence[str] | None
Params = Mapping[str, ParamValue]
QueryPairs = list[tuple[str, str]]
GetJson = Callable[[str, QueryPairs], dict[str, Any]]


def to_utc(moment: datetime) -> datetime:
    # A naive datetime would be guessed at; PagerDuty itself would read it in the account's zone (§2.5).
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamps sent to PagerDuty must be timezone-aware, not {moment.isoformat()}")
    return moment.astimezone(UTC)


def format_utc(moment: datetime) -> str:
    """`2024-01-31T00:00:00Z`: /change_events rejects anything but Z (§2.9), so all we send is UTC."""
    return to_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_params(params: Params) -> QueryPairs:
    """Query pairs in a stable order; a list becomes a repeated `key[]=v` (§0: `statuses[]`, `include[]`)."""
    pairs: QueryPairs = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        elif isinstance(value, datetime):
            pairs.append((key, format_utc(value)))
        elif isinstance(value, str | int):
            pairs.append((key, str(value)))
        else:
            array_key = key if key.endswith("[]") else f"{key}[]"
            pairs.extend((array_key, str(item)) for item in value)
    return pairs


def has_more(envelope: Mapping[str, Any]) -> bool:
    # API-NOTES §1.3: /change_events answers `"more": false` with null limit/offset/total; missing is the end.
    return envelope.get("more") is True


def items_of(envelope: Mapping[str, Any], collection: str) -> list[dict[str, Any]]:
    items = envelope.get(collection)
    if items is None:
        return []
    if not isinstance(items, list):
        raise TypeError(f"expected a list under {collection!r}, got {type(items).__name__}")
    return items


def iter_envelopes(
    get: GetJson, path: str, params: Params, *, total_on_first: bool = False, full_pages_of: str | None = None
) -> Iterator[dict[str, Any]]:
    """Each response envelope of a classic-paginated list, 100 at a time; PaginationLimitError rather than
    ask past offset+limit 10,000.

    `full_pages_of` names the collection of an endpoint whose `more` cannot be trusted: API-NOTES §1.3,
    `GET /change_events` answers `more: false` with null paging fields, and whether it honours `limit` is
    undocumented. Stopping at `more: false` would drop every event after the first page when it does, so
    there a full page means "ask for the next one" (one extra request when the last page happens to be full).
    """
    narrow = "the time window" if full_pages_of else "the filter or the time window"
    base = encode_params(params)
    offset = 0
    while True:
        if offset + PAGE_LIMIT > MAX_OFFSET_PLUS_LIMIT:
            raise PaginationLimitError(
                f"{path} has more than {MAX_OFFSET_PLUS_LIMIT} results; narrow {narrow}",
                request=f"GET {path}",
            )
        # API-NOTES §1.1: total=true costs the API time, so it is asked for only when a caller needs it.
        total = [("total", "true")] if total_on_first and offset == 0 else []
        envelope = get(path, [*base, ("limit", str(PAGE_LIMIT)), ("offset", str(offset)), *total])
        yield envelope
        if full_pages_of is None and not has_more(envelope):
            return
        if full_pages_of is not None and len(items_of(envelope, full_pages_of)) < PAGE_LIMIT:
            return
        offset += PAGE_LIMIT


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


def split_windows(since: datetime, until: datetime, step: Callable[[datetime], datetime]) -> list[TimeWindow]:
    """[since, until) widened to whole seconds, cut where `step(start)` says each window ends."""
    start, end = _floor_second(to_utc(since)), _ceil_second(to_utc(until))
    windows = []
    while start < end:
        stop = min(step(start), end)
        windows.append(TimeWindow(start, stop))
        start = stop
    return windows


def split_by_months(since: datetime, until: datetime, months: int = MAX_WINDOW_MONTHS) -> list[TimeWindow]:
    if _floor_second(to_utc(since)) > _ceil_second(to_utc(until)):
        raise ValueError(f"since {since.isoformat()} is after until {until.isoformat()}")
    return split_windows(since, until, lambda start: add_months(start, months))


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
        halves = window.halves()
        if halves is None:
            raise PaginationLimitError(
                f"{path} has {total} results in {window}, which cannot be split further; narrow the filter",
                request=f"GET {path}",
            )
        logger.info("PagerDuty %s: %d results in %s, splitting the window in two", path, total, window)
        for half in halves:
            yield from _iter_one_window(get, path, collection, half, params)
        return
    for envelope in itertools.chain([first], envelopes):
        yield WindowPage(window, items_of(envelope, collection), last_in_window=not has_more(envelope))


def _floor_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _ceil_second(moment: datetime) -> datetime:
    return _floor_second(moment) + (timedelta(seconds=1) if moment.microsecond else timedelta(0))
