"""GET /api/v1/metrics: the headline numbers of one window, exactly `metrics.summary(query).to_dict()`, kept
until the workspace's data changes (app/analytics/cache.py). POST /api/v1/metrics/points: other systems push
values that alert rules watch."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from werkzeug.wrappers import Response

from app.alerts import points
from app.analytics import cache, metrics
from app.analytics.percentiles import room_to_sort
from app.analytics.query import workspace_settings
from app.api import bp
from app.api.auth import api_key_required, current_api_workspace
from app.api.body import json_body
from app.api.errors import ApiError
from app.api.params import query_from_args

_SHAPE = 2  # bump whenever Summary.to_dict() changes


@bp.get("/metrics")
@api_key_required
def get_metrics() -> Response:
    query = query_from_args(current_api_workspace(), request.args)
    settings = workspace_settings(query.workspace_id)

    def compute() -> dict[str, Any]:
        room_to_sort()
        return metrics.summary(query, settings).to_dict()

    # The shape's version is in the question, so an answer kept in an older shape is never served as this one.
    answer = cache.remember(query.workspace_id, ("api.metrics", _SHAPE, query, settings), compute)
    return jsonify(answer)


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
