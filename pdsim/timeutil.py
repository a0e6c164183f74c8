"""Timestamps: epoch seconds inside pdsim, ISO 8601 on the wire (API-NOTES §0 "Timestamps")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_Z_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


@lru_cache(maxsize=256)
def zone(name: str) -> tzinfo:
    """An IANA zone; raises ValueError for unknown names so callers can answer 400."""
    if name in ("UTC", "Etc/UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def iso(ts: float | None, tz: tzinfo | None = None) -> str | None:
    """Second precision like PagerDuty's REST API: `Z` in UTC, an offset in any other zone."""
    if ts is None:
        return None
    if tz is None or tz is UTC:
        return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return datetime.fromtimestamp(int(ts), tz).isoformat()


def iso_ms(ts: float) -> str:
    """Millisecond precision, as webhook `occurred_at` carries (API-NOTES §6.2)."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(value: str, default_tz: tzinfo = UTC) -> float:
    """Accepts dates, naive datetimes (read in `default_tz`), `Z` and offsets; ValueError otherwise."""
    text = value.strip()
    if not text:
        raise ValueError("empty timestamp")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    return dt.timestamp()


def parse_utc_z(value: str) -> float:
    """Change events take only UTC `…Z` strings (API-NOTES §2.9): anything else is a ValueError."""
    if not _Z_ONLY.match(value.strip()):
        raise ValueError(f"{value!r} is not a UTC datetime ending in Z")
    return parse_iso(value)


def parse_anchor(value: str) -> int:
    """`--anchor 2026-11-01T00:00:00Z` → epoch seconds (whole seconds keep seeds byte-identical)."""
    return int(parse_iso(value))


def start_of_utc_day(ts: float) -> int:
    day = datetime.fromtimestamp(ts, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return int(day.timestamp())


def months_before(ts: float, months: int, tz: tzinfo = UTC) -> float:
    """Calendar months back, clamping the day (31 March - 1 month = 28/29 February)."""
    dt = datetime.fromtimestamp(ts, tz)
    total = dt.year * 12 + (dt.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    day = min(dt.day, _days_in_month(year, month))
    return dt.replace(year=year, month=month, day=day).timestamp()


def _days_in_month(year: int, month: int) -> int:
    nxt = datetime(year + (month == 12), month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day
