"""GET /api/v1/metrics: the headline numbers of one window, exactly `metrics.summary(query).to_dict()`."""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.wrappers import Response

from app.analytics import metrics
from app.api import bp
from app.api.auth import api_key_required, current_api_workspace
from app.api.params import query_from_args


@bp.get("/metrics")
@api_key_required
def get_metrics() -> Response:
    query = query_from_args(current_api_workspace(), request.args)
    return jsonify(metrics.summary(query).to_dict())
