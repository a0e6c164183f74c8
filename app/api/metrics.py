"""GET /api/v1/metrics: the headline numbers of one window, exactly `metrics.summary(query).to_dict()`, kept
until the workspace's data changes (app/analytics/cache.py)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from app.analytics import cache, metrics
from app.analytics.percentiles import room_to_sort
from app.analytics.query import workspace_settings
from app.api import bp
from app.api.auth import api_key_required, current_api_workspace
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
