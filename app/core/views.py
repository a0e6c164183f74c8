"""Home, and /healthz: alerting works when the database and the queue answer, a worker beats, and the
scheduler's tick, the most overdue job and the least recently evaluated enabled rule are all within three
alert intervals, VIGIL_ALERT_INTERVAL_SECONDS: one late pass on a busy machine is not an outage, three
missed passes are."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, jsonify, redirect, url_for
from flask_login import current_user
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from app.accounts import workspaces
from app.accounts.context import public
from app.core import bp
from app.extensions import db
from app.models import AlertRule
from app.models.types import UTCDateTime, utcnow
from app.queue import queue_health


@bp.get("/")
@public
def home() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("analytics.dashboard"))
    if workspaces.user_count() == 0:
        return redirect(url_for("accounts.signup"))
    return redirect(url_for("accounts.login"))


STALL_INTERVALS = 3


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    """503 whenever alerting does not work; the body says why."""
    database = _database()
    queue = queue_health()
    alerts = _alerts(utcnow()) if database["ok"] else {"ok": False}
    stall = STALL_INTERVALS * current_app.config["VIGIL"].alert_interval_seconds
    problems = _problems(database, queue, alerts, stall)
    body = {
        "status": "ok" if not problems else "degraded",
        "problems": problems,
        "database": database,
        "queue": queue,
        "alerts": alerts,
    }
    return jsonify(body), 503 if problems else 200


def _database() -> dict[str, Any]:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "engine": db.engine.dialect.name}
    except SQLAlchemyError as exc:  # a health check reports failures; it must not turn them into a 500
        db.session.rollback()
        return {"ok": False, "error": type(exc).__name__}


def _alerts(now: datetime) -> dict[str, Any]:
    """The last evaluation pass, and how long the least recently evaluated enabled rule has waited (a rule
    never evaluated waits since it was created)."""
    rules = AlertRule.__table__.c
    last, oldest, count = db.session.execute(
        select(
            func.max(rules.last_evaluated_at, type_=UTCDateTime()),
            func.min(func.coalesce(rules.last_evaluated_at, rules.created_at), type_=UTCDateTime()),
            func.count(),
        ).where(rules.enabled.is_(True), rules.deleted_at.is_(None))
    ).one()
    db.session.rollback()  # ends the read transaction: /healthz is polled and must hold nothing open
    return {
        "ok": True,
        "enabled_rules": int(count),
        "last_evaluation": last.isoformat() if last is not None else None,
        "oldest_evaluation_seconds_ago": round((now - oldest).total_seconds(), 1) if oldest else None,
    }


def _problems(
    database: dict[str, Any], queue: dict[str, Any], alerts: dict[str, Any], stall: float
) -> list[str]:
    problems: list[str] = []
    if not database["ok"]:
        problems.append(f"the database does not answer ({database['error']})")
    if not queue["ok"]:
        problems.append(f"the queue does not answer ({queue['error']})")
    else:
        if queue["workers"] == 0:
            problems.append("no worker is running")
        tick = queue["scheduler_last_tick_seconds_ago"]
        if tick is None or tick > stall:
            problems.append("the scheduler has not ticked" + (f" for {tick:.0f} s" if tick else ""))
        due = queue["oldest_due_job"]
        if due is not None and due["late_seconds"] > stall:
            problems.append(f"job {due['id']} on {due['queue']} is {due['late_seconds']:.0f} s past its time")
    waited = alerts.get("oldest_evaluation_seconds_ago")
    if waited is not None and waited > stall:
        problems.append(f"an enabled alert rule has not been evaluated for {waited:.0f} s")
    return problems
