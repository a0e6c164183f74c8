"""The dashboard views people opened lately, so the warm-up job (jobs.py) computes them again after a sync.

The presets (last 7 / 30 / 90 days of the followed services) are always warmed. A team that lives on its own
view (its services, its team, high urgency only) would otherwise pay the full computation on the first look
after every sync that wrote something: a second or more on a large account. So every dashboard request notes
its view (the normalised query string, DashboardFilters.params) in a Redis sorted set per workspace, scored by
when it was last asked for, and the warm-up recomputes the most recent `KEEP_VIEWS` of those asked for within
`RECENT` (an open dashboard asks every minute, so it stays recent while it is open).

Only with Redis (the embedded default runs one too): the warm-up runs in a worker, which could not see a web
process's memory anyway. A Redis that fails is logged and ignored: noting a view never fails a page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import current_app
from redis.exceptions import RedisError
from werkzeug.datastructures import MultiDict

from app.queue import redis_connection

log = logging.getLogger(__name__)

KEEP_VIEWS = 10
RECENT = timedelta(hours=24)
_KEY = "vigil:analytics:views:{workspace_id}"


def view_key(params: Mapping[str, Any]) -> str:
    """One string per view whatever order its parameters came in: `DashboardFilters.params()` urlencoded with
    its keys sorted and list values repeated."""
    pairs: list[tuple[str, str]] = []
    for name in sorted(params):
        value = params[name]
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((name, str(item)) for item in values)
    return urlencode(pairs)


def view_args(key: str) -> MultiDict[str, str]:
    """The request arguments `view_key` came from, for parse_filters."""
    return MultiDict(parse_qsl(key, keep_blank_values=True))


def note_view(workspace_id: int, params: Mapping[str, Any], now: float | None = None) -> None:
    if current_app.config["VIGIL"].redis_url is None:
        return
    key = _KEY.format(workspace_id=workspace_id)
    try:
        pipe = redis_connection().pipeline()
        pipe.zadd(key, {view_key(params): time.time() if now is None else now})
        pipe.zremrangebyrank(key, 0, -KEEP_VIEWS - 1)  # only the most recent views are kept
        pipe.expire(key, int(RECENT.total_seconds()))
        pipe.execute()
    except RedisError as exc:
        log.warning("could not note a dashboard view of workspace %s: %s", workspace_id, exc)


def recent_views(workspace_id: int, now: float | None = None) -> list[str]:
    """View keys asked for within RECENT, most recent first (at most KEEP_VIEWS)."""
    if current_app.config["VIGIL"].redis_url is None:
        return []
    since = (time.time() if now is None else now) - RECENT.total_seconds()
    try:
        found = redis_connection().zrevrangebyscore(
            _KEY.format(workspace_id=workspace_id), "+inf", since, start=0, num=KEEP_VIEWS
        )
    except RedisError as exc:
        log.warning("could not read the recent dashboard views of workspace %s: %s", workspace_id, exc)
        return []
    return [item.decode() if isinstance(item, bytes) else str(item) for item in found]
