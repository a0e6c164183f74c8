"""Jinja filters the incident and report pages share: durations and instants in the workspace's zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.incidents import bp


@bp.app_template_filter("duration")
def duration(seconds: float | None) -> str:
    """12s, 4m 05s, 2h 07m, 3d 4h: precise enough for a response time, short enough for a table cell."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


@bp.app_template_filter("local_time")
def local_time(instant: datetime | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if instant is None:
        return "—"
    return instant.astimezone(ZoneInfo(zone)).strftime(fmt)


@bp.app_template_filter("percent")
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"
