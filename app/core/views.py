"""Home and health."""

from __future__ import annotations

from typing import Any

from flask import jsonify, redirect, url_for
from flask_login import current_user
from sqlalchemy import text
from werkzeug.wrappers import Response

from app.accounts import service
from app.accounts.context import public
from app.core import bp
from app.extensions import db
from app.queue import queue_health


@bp.get("/")
@public
def home() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("analytics.dashboard"))
    if service.user_count() == 0:
        return redirect(url_for("accounts.signup"))
    return redirect(url_for("accounts.login"))


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    database: dict[str, Any]
    try:
        db.session.execute(text("SELECT 1"))
        database = {"ok": True, "engine": db.engine.dialect.name}
    except Exception as exc:  # a health check reports failures; it must not turn them into a 500
        db.session.rollback()
        database = {"ok": False, "error": type(exc).__name__}
    queue = queue_health()
    healthy = database["ok"] and queue["ok"]
    body = {"status": "ok" if healthy else "degraded", "database": database, "queue": queue}
    return jsonify(body), 200 if healthy else 503
