"""POST /api/v1/deployments: a CI pipeline reports a deployment; retries with the same id are harmless."""

from __future__ import annotations

from flask import jsonify
from werkzeug.wrappers import Response

from app.api import bp, ingest
from app.api.auth import api_key_required, current_api_workspace
from app.api.body import json_body


@bp.post("/deployments")
@api_key_required
def create_deployment() -> tuple[Response, int]:
    workspace = current_api_workspace()
    data = ingest.parse_body(workspace, json_body("DeploymentIn"))
    deployment, created = ingest.record_deployment(workspace, data)
    return jsonify(ingest.deployment_dict(deployment)), 201 if created else 200
