"""RQ entry points: plain functions taking ids, run inside an app context.

Workers import this module by dotted path. Each job re-loads its rows, commits its own work and is safe to
run twice (RQ redelivers a job whose worker died).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from flask import Flask, has_app_context
from sqlalchemy import delete

from app.extensions import db

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_worker_app: Flask | None = None


def _app() -> Flask:
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    return _worker_app


def in_app_context(func: Callable[P, R]) -> Callable[P, R]:
    """Run the job inside the worker's app context (or the caller's, in tests and the CLI)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if has_app_context():
            return func(*args, **kwargs)
        # Only when run by a plain `rq worker` (worker.py's VigilWorker pushes a context per job itself).
        with _app().app_context():
            return func(*args, **kwargs)

    return wrapper


@in_app_context
def prune_login_failures() -> int:
    """Forget failed logins older than the throttle window; they no longer count."""
    from app.models import LoginFailure
    from app.models.types import utcnow

    settings = _current_settings()
    cutoff = utcnow() - timedelta(seconds=settings.login_window_seconds)
    result = db.session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff))
    db.session.commit()
    removed = int(getattr(result, "rowcount", 0) or 0)
    log.info("pruned %d old login failures", removed)
    return removed


@in_app_context
def tick_hourly() -> None:
    """Scheduled every hour; enqueues housekeeping under a stable id so two schedulers never double it."""
    from app.alerts.jobs import prune_metric_points
    from app.queue import enqueue

    enqueue(prune_login_failures, job_id="prune-login-failures")
    enqueue(prune_metric_points, job_id="prune-metric-points")


def _current_settings() -> Any:
    from flask import current_app

    return current_app.config["VIGIL"]
