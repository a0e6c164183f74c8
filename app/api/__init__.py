"""The JSON API under /api/v1: metrics and incidents to read, deployments and metric points to ingest,
alert rules to manage; workspace API keys."""

from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Callers authenticate with a bearer key, never a session cookie, so there is no form to forge.
csrf.exempt(bp)

from app.api import alert_rules, deployments, errors, incidents, metrics, openapi  # noqa: E402,F401
