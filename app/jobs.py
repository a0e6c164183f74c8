"""RQ entry points: plain functions taking ids, run inside an app context.

Workers import this module by dotted path. Each job re-loads its rows, commits its own work and is safe to
run twice (RQ redelivers a job whose worker died).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import ParamSpec, TypeVar

from flask import Flask, current_app, has_app_context
from sqlalchemy import Delete, delete

from app import create_app
from app.extensions import db
from app.models import LoginFailure, MetricPoint
from app.models.types import utcnow
from app.queue import enqueue

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def _worker_app() -> Flask:
    return create_app()


def in_app_context(func: Callable[P, R]) -> Callable[P, R]:
    """Run the job inside the worker's app context (or the caller's, in tests and the CLI)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if has_app_context():
            return func(*args, **kwargs)
        # Only when run by a plain `rq worker` (worker.py's VigilWorker pushes a context per job itself).
        with _worker_app().app_context():
            return func(*args, **kwargs)

    return wrapper


@in_app_context
def prune_login_failures() -> int:
    cutoff = utcnow() - timedelta(seconds=current_app.config["VIGIL"].login_window_seconds)
    return _prune(delete(LoginFailure).where(LoginFailure.at < cutoff), "login failures")


@in_app_context
def prune_metric_points() -> int:
    """Pushed points older than VIGIL_METRIC_RETENTION_DAYS are deleted (no rule window reaches that far)."""
    cutoff = utcnow() - timedelta(days=current_app.config["VIGIL"].metric_retention_days)
    return _prune(delete(MetricPoint).where(MetricPoint.at < cutoff), "metric points")


def _prune(statement: Delete, what: str) -> int:
    result = db.session.execute(statement)
    db.session.commit()
    removed = int(getattr(result, "rowcount", 0) or 0)
    log.info("pruned %d old %s", removed, what)
    return removed


@in_app_context
def tick_hourly() -> None:
    """Scheduled every hour; enqueues housekeeping under a stable id so two schedulers never double it."""
    enqueue(prune_login_failures, job_id="prune-login-failures")
    enqueue(prune_metric_points, job_id="prune-metric-points")
