"""Home and health."""

from __future__ import annotations

from flask import jsonify, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app import health
from app.accounts import workspaces
from app.accounts.context import public
from app.core import bp


@bp.get("/")
@public
def home() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("analytics.dashboard"))
    if workspaces.user_count() == 0:
        return redirect(url_for("accounts.signup"))
    return redirect(url_for("accounts.login"))


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    """503 whenever alerting does not work (the rule is in app/health.py); the body says why."""
    body, healthy = health.report()
    return jsonify(body), 200 if healthy else 503
