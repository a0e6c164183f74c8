"""`since`/`until` handling for incidents and log entries (API-NOTES §2.5, §2.7-2.8).

`/incidents` defaults to the last month, honours `date_range=all`, and refuses ranges over six months.
What "six months" means is not documented; pdsim refuses anything over 180 days (the stricter reading), with
the body PagerDuty was observed to send. Naive timestamps are read in `time_zone`, else in the account's zone.
"""

from __future__ import annotations

from datetime import tzinfo

from flask import request

from pdsim.rest.errors import ApiError, bad_request
from pdsim.timeutil import months_before, parse_iso

MAX_RANGE_SECONDS = 180 * 86400


def _parse(name: str, tz: tzinfo) -> float | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_iso(raw, tz)
    except ValueError:
        raise ApiError(400, 2004, f"{name} is not a valid ISO 8601 timestamp") from None


def window(now: float, tz: tzinfo, *, limit_range: bool) -> tuple[float, float] | None:
    """The [since, until) filter on creation time, or None for `date_range=all`."""
    date_range = request.args.get("date_range")
    if date_range is not None and date_range != "":
        if date_range != "all":
            raise bad_request("date_range must be 'all'")
        return None
    since, until = _parse("since", tz), _parse("until", tz)
    if until is None:
        until = now
    if since is None:
        since = months_before(until, 1, tz)
    if since > until:
        raise ApiError(400, 2004, "since must be before until")
    if limit_range and until - since > MAX_RANGE_SECONDS:
        # Observed body (API-NOTES §2.5, xginn8/grafana-pagerduty#19), odd text included.
        raise ApiError(400, 2001, " is invalid.")
    return since, until
