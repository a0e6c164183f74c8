"""POST /api/v1/metrics/points: other systems push values that alert rules watch."""

from __future__ import annotations

from flask import current_app, jsonify
from werkzeug.wrappers import Response

from app.alerts import points
from app.api import bp
from app.api.auth import api_key_required, current_api_workspace
from app.api.body import json_body
from app.api.errors import ApiError


@bp.post("/metrics/points")
@api_key_required
def push_points() -> tuple[Response, int]:
    retention = current_app.config["VIGIL"].metric_retention_days
    try:
        parsed = points.parse_points(json_body("PointsIn"), retention)
    except points.PointsInvalid as exc:
        raise ApiError(400, exc.message, exc.field) from None
    stored = points.store_points(current_api_workspace(), parsed)
    return jsonify({"accepted": stored}), 202
