"""POST /api/v1/deployments: a CI pipeline reports a deployment; retries with the same id are harmless.

The caller's `id` (else a hash of service, time and summary) is the row's remote_id under the unique
(workspace, source, remote_id, service) constraint. The body's schema has checked types and NUL already.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import jsonify
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response

from app.analytics import changes
from app.api import bp
from app.api.auth import api_key_required, current_api_workspace
from app.api.body import json_body
from app.api.errors import bad_request
from app.extensions import db
from app.inputs import parse_at
from app.integrations.pagerduty.sync.upsert import dialect_insert
from app.models import Deployment, DeploymentSource, PDService, Workspace
from app.models.types import utcnow

MAX_SUMMARY = 1024
MAX_URL = 1000
MAX_ID = 100
# Clocks drift: a time a little ahead is accepted; one far ahead (a deployment dated 2099) is a sender's bug.
MAX_FUTURE = timedelta(minutes=5)


def find_service(workspace: Workspace, value: str | None) -> PDService:
    """By PagerDuty id, else by exact name ignoring case; a name shared by several services is refused."""
    if not value or not value.strip():
        raise bad_request("service", "service is required: a PagerDuty service id or name.")
    value = value.strip()
    if len(value) > 255:
        raise bad_request("service", "service is at most 255 characters.")
    found = db.session.scalars(
        select(PDService).where(
            PDService.workspace_id == workspace.id,
            or_(PDService.remote_id == value, func.lower(PDService.name) == value.lower()),
        )
    ).all()
    matches = [service for service in found if service.remote_id == value] or found
    if not matches:
        raise bad_request("service", f"No service with id or name {value!r} in this workspace.")
    if len(matches) > 1:
        raise bad_request("service", f"Several services are named {value!r}: send the PagerDuty service id.")
    return matches[0]


def parse_url(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) > MAX_URL:
        raise bad_request("url", f"url must be an http(s) URL of at most {MAX_URL} characters.")
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise bad_request("url", "url must be an http(s) URL.") from None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise bad_request("url", "url must be an http(s) URL.")
    return value


def parse_body(workspace: Workspace, body: dict[str, Any]) -> dict[str, Any]:
    """The new row's columns besides workspace and source; a bad field is a 400 naming it."""
    service = find_service(workspace, body.get("service"))
    try:
        at = parse_at(body.get("at"))
    except ValueError as exc:
        raise bad_request("at", str(exc)) from None
    if at > utcnow() + MAX_FUTURE:
        raise bad_request("at", "at is more than 5 minutes in the future: send the time it was deployed.")
    summary = body.get("summary") or ""
    if len(summary) > MAX_SUMMARY:
        raise bad_request("summary", f"summary is at most {MAX_SUMMARY} characters.")
    url = parse_url(body.get("url"))
    remote_id = body.get("id")
    if remote_id is not None:
        remote_id = str(remote_id).strip()
        if not remote_id or len(remote_id) > MAX_ID:
            raise bad_request("id", f"id must be 1 to {MAX_ID} characters.")
    else:
        digest = hashlib.sha256(f"{service.remote_id}\n{at.isoformat()}\n{summary}".encode()).hexdigest()
        remote_id = f"auto:{digest}"
    return {
        "account_id": service.account_id,
        "service_id": service.id,
        "remote_id": remote_id,
        "at": at,
        "summary": summary,
        "url": url,
    }


def _existing(workspace: Workspace, columns: dict[str, Any]) -> Deployment | None:
    return db.session.scalar(
        select(Deployment).where(
            Deployment.workspace_id == workspace.id,
            Deployment.source == DeploymentSource.API,
            Deployment.remote_id == columns["remote_id"],
            Deployment.service_id == columns["service_id"],
        )
    )


def record_deployment(workspace: Workspace, columns: dict[str, Any]) -> tuple[Deployment, bool]:
    """Insert and commit; (deployment, created). A repeat of a known id returns the first row unchanged."""
    existing = _existing(workspace, columns)
    if existing is not None:
        return existing, False
    # Concurrent retries with one id: ON CONFLICT lets exactly one insert and the others find its row, and no
    # doomed object ever sits in the session for an autoflush (the data version's UPDATE included) to hit.
    inserted = db.session.scalar(
        dialect_insert(Deployment)
        .values(workspace_id=workspace.id, source=DeploymentSource.API, **columns)
        .on_conflict_do_nothing(index_elements=["workspace_id", "source", "remote_id", "service_id"])
        .returning(Deployment.id)
    )
    if inserted is None:
        db.session.commit()  # ends the transaction, so the winner's committed row is visible
        existing = _existing(workspace, columns)
        if existing is None:
            raise RuntimeError(f"deployment {columns['remote_id']!r} conflicted but no row holds it")
        return existing, False
    changes.rows_changed(workspace.id)
    db.session.commit()
    return db.session.get_one(Deployment, inserted), True


def deployment_dict(deployment: Deployment) -> dict[str, Any]:
    return {
        "id": deployment.id,
        "external_id": deployment.remote_id,
        "source": deployment.source.value,
        "service": {"id": deployment.service.remote_id, "name": deployment.service.name},
        "at": deployment.at.isoformat().replace("+00:00", "Z"),
        "summary": deployment.summary,
        "url": deployment.url,
    }


@bp.post("/deployments")
@api_key_required
def create_deployment() -> tuple[Response, int]:
    workspace = current_api_workspace()
    deployment, created = record_deployment(workspace, parse_body(workspace, json_body("DeploymentIn")))
    return jsonify(deployment_dict(deployment)), 201 if created else 200
