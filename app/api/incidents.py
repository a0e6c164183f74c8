"""GET /api/v1/incidents: the window's incidents, newest first, with the metrics filters plus status.
Excluded incidents are listed (`"excluded": true`) so a caller can see what the metrics leave out."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.analytics.filters import incident_conditions
from app.api import bp
from app.api.auth import api_key_required, current_api_workspace
from app.api.errors import bad_request
from app.api.params import choices, query_from_args
from app.api.schemas import INCIDENT_STATUS, PER_PAGE
from app.extensions import db
from app.models import Incident

STATUSES = tuple(INCIDENT_STATUS["enum"])
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = PER_PAGE["maximum"]
MAX_PAGE = 100_000  # keeps OFFSET within what every database accepts


def _positive_int(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        raise bad_request(name, f"{name} must be a whole number, 1 or more.")
    if int(raw) > maximum:
        raise bad_request(name, f"{name} is at most {maximum}.")
    return int(raw)


def external_url(path: str) -> str:
    """A link for the caller: under VIGIL_BASE_URL, never under the request's Host header (which anyone can
    set, and a cache or a log would then hand on); without a base URL, the path alone."""
    base = current_app.config["VIGIL"].base_url
    return f"{base.rstrip('/')}{path}" if base else path


def incident_dict(incident: Incident) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat().replace("+00:00", "Z") if value is not None else None

    return {
        "id": incident.remote_id,
        "number": incident.number,
        "title": incident.title,
        "status": incident.status,
        "urgency": incident.urgency,
        "priority": incident.priority,
        "service": {"id": incident.service.remote_id, "name": incident.service.name},
        "teams": [{"id": team.remote_id, "name": team.name} for team in incident.teams],
        "created_at": iso(incident.created_at),
        "first_ack_at": iso(incident.first_ack_at),
        "resolved_at": iso(incident.resolved_at),
        "ack_seconds": incident.ack_seconds,
        "resolve_seconds": incident.resolve_seconds,
        "escalation_count": incident.escalation_count,
        "reopen_count": incident.reopen_count,
        "auto_resolved": incident.auto_resolved,
        "excluded": incident.excluded,
        "html_url": incident.html_url,
    }


@bp.get("/incidents")
@api_key_required
def list_incidents() -> Response:
    query = query_from_args(current_api_workspace(), request.args)
    statuses = choices(request.args.getlist("status"), STATUSES, "status")
    page = _positive_int("page", 1, MAX_PAGE)
    per_page = _positive_int("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)

    conditions = incident_conditions(query, include_excluded=True)
    if statuses:
        conditions.append(Incident.status.in_(statuses))
    total = db.session.scalar(select(func.count()).select_from(Incident).where(*conditions)) or 0
    rows = db.session.scalars(
        select(Incident)
        .where(*conditions)
        .options(selectinload(Incident.service), selectinload(Incident.teams))
        .order_by(Incident.created_at.desc(), Incident.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    next_url = None
    if page * per_page < total:
        args = request.args.to_dict(flat=False)
        args.update(page=[str(page + 1)], per_page=[str(per_page)])
        next_url = external_url(url_for("api.list_incidents", **args))
    return jsonify(
        {
            "incidents": [incident_dict(row) for row in rows],
            "page": page,
            "per_page": per_page,
            "total": total,
            "next": next_url,
        }
    )
