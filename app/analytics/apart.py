"""Analytics computations run at the same time, each on its own database connection.

PostgreSQL runs one statement of a connection on one core. A view that needs several independent aggregates
(the dashboard's tiles and tables, the tiles' own parts) waits for their sum when they run in turn, and for
the slowest when each has its own connection. Each call here runs in its own app context (so its own session
and connection) on a short-lived thread, with the analytics settings of room_to_sort. Only committed rows are
visible to it, as to any other request; callers are views and jobs, which read committed data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app

from app.analytics.percentiles import room_to_sort
from app.extensions import db


def run_apart(calls: Sequence[Callable[[], Any]]) -> list[Future[Any]]:
    """Each call's future, all of them done: `.result()` gives its value or raises its error."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    with ThreadPoolExecutor(max_workers=max(1, len(calls)), thread_name_prefix="analytics") as pool:
        return [pool.submit(_in_own_context, app, call) for call in calls]


def _in_own_context(app: Flask, call: Callable[[], Any]) -> Any:
    with app.app_context():
        try:
            room_to_sort()
            return call()
        finally:
            db.session.remove()  # this context's own session: its connection goes back to the pool
