"""Deployments sent by CI pipelines: validation of the body and the idempotent insert (no Flask here).

A retry must not count a deployment twice: the caller's `id` (or, without one, a hash of service, time and
summary) is the row's remote_id under the unique (workspace, source, remote_id, service) constraint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from app.analytics import changes
from app.api.errors import ApiError, bad_request
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


@dataclass(frozen=True)
class DeploymentIn:
    service: PDService
    at: datetime
    summary: str
    url: str | None
    remote_id: str


def _readable(value: str, field: str) -> str:
    # PostgreSQL refuses NUL in text: without this check the database, not the caller, would fail.
    if "\x00" in value:
        raise bad_request(field, f"{field} must not contain NUL characters.")
    return value


def find_service(workspace: Workspace, value: Any) -> PDService:
    """By PagerDuty id, else by exact name ignoring case; a name shared by several services is refused."""
    if not isinstance(value, str) or not value.strip():
        raise bad_request("service", "service is required: a PagerDuty service id or name.")
    value = _readable(value.strip(), "service")
    if len(value) > 255:
        raise bad_request("service", "service is at most 255 characters.")
    by_id = db.session.scalars(
        select(PDService).where(PDService.workspace_id == workspace.id, PDService.remote_id == value)
    ).all()
    matches = (
        by_id
        or db.session.scalars(
            select(PDService).where(
                PDService.workspace_id == workspace.id, func.lower(PDService.name) == value.lower()
            )
        ).all()
    )
    if not matches:
        raise bad_request("service", f"No service with id or name {value!r} in this workspace.")
    if len(matches) > 1:
        raise bad_request("service", f"Several services are named {value!r}: send the PagerDuty service id.")
    return matches[0]


def parse_summary(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_request("summary", "summary must be a string.")
    if len(value) > MAX_SUMMARY:
        raise bad_request("summary", f"summary is at most {MAX_SUMMARY} characters.")
    return _readable(value, "summary")


def parse_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_URL:
        raise bad_request("url", f"url must be an http(s) URL of at most {MAX_URL} characters.")
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise bad_request("url", "url must be an http(s) URL.") from None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise bad_request("url", "url must be an http(s) URL.")
    return _readable(value, "url")


def parse_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise bad_request("id", "id must be a string (or a number).")
    text = str(value).strip()
    if not text or len(text) > MAX_ID:
        raise bad_request("id", f"id must be 1 to {MAX_ID} characters.")
    return _readable(text, "id")


def derived_id(service: PDService, at: datetime, summary: str) -> str:
    digest = hashlib.sha256(f"{service.remote_id}\n{at.isoformat()}\n{summary}".encode()).hexdigest()
    return f"auto:{digest}"


def parse_body(workspace: Workspace, body: Any) -> DeploymentIn:
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object (Content-Type: application/json).")
    service = find_service(workspace, body.get("service"))
    try:
        at = parse_at(body.get("at"))
    except ValueError as exc:
        raise bad_request("at", str(exc)) from None
    if at > utcnow() + MAX_FUTURE:
        raise bad_request("at", "at is more than 5 minutes in the future: send the time it was deployed.")
    summary = parse_summary(body.get("summary"))
    url = parse_url(body.get("url"))
    remote_id = parse_id(body.get("id")) or derived_id(service, at, summary)
    return DeploymentIn(service, at, summary, url, remote_id)


def _existing(workspace: Workspace, data: DeploymentIn) -> Deployment | None:
    return db.session.scalar(
        select(Deployment).where(
            Deployment.workspace_id == workspace.id,
            Deployment.source == DeploymentSource.API,
            Deployment.remote_id == data.remote_id,
            Deployment.service_id == data.service.id,
        )
    )


def record_deployment(workspace: Workspace, data: DeploymentIn) -> tuple[Deployment, bool]:
    """Insert and commit; (deployment, created). A repeat of a known id returns the first row unchanged."""
    existing = _existing(workspace, data)
    if existing is not None:
        return existing, False
    # Concurrent retries with one id: ON CONFLICT lets exactly one insert and the others find its row. No
    # doomed object ever sits in the session, so nothing (the data version's UPDATE included) can autoflush
    # one.
    inserted = db.session.scalar(
        dialect_insert(Deployment)
        .values(
            workspace_id=workspace.id,
            account_id=data.service.account_id,
            service_id=data.service.id,
            source=DeploymentSource.API,
            remote_id=data.remote_id,
            at=data.at,
            summary=data.summary,
            url=data.url,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "source", "remote_id", "service_id"])
        .returning(Deployment.id)
    )
    if inserted is None:
        db.session.commit()  # ends the transaction, so the winner's committed row is visible
        existing = _existing(workspace, data)
        if existing is None:
            raise RuntimeError(f"deployment {data.remote_id!r} conflicted but no row holds it")
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
