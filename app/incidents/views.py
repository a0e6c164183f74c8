"""The incident list (page, HTMX partial, CSV), one incident's page, and excluding it from the metrics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.context import admin_required, current_workspace, member_required, scoped_get_or_404
from app.analytics import deployments, exclusion
from app.analytics.population import Choices
from app.analytics.query import has_linked_account
from app.csvio import csv_response
from app.extensions import db
from app.incidents import bp, queries
from app.incidents.queries import SORTS, STATUSES, parse_filters
from app.incidents.timeline import timeline
from app.models import Incident, User
from app.web import is_htmx, page_or_partial

CSV_HEADER = [
    "number",
    "title",
    "service",
    "status",
    "urgency",
    "priority",
    "created",
    "acknowledged",
    "resolved",
    "tta_seconds",
    "ttr_seconds",
    "escalations",
    "reopens",
    "excluded",
    "excluded_reason",
    "pagerduty_url",
]


@bp.get("/incidents")
@member_required
def index() -> Response:
    workspace = current_workspace()
    choices = Choices.of(workspace)
    filters = parse_filters(request.args, choices)
    query = filters.query(workspace)
    context: dict[str, Any] = {
        "filters": filters,
        "query": query,
        "result": queries.incident_page(query, filters),
        "choices": choices,
        "linked": has_linked_account(workspace.id),
        "zone": workspace.timezone,
        "window_last": query.end - timedelta(seconds=1),
        "statuses": STATUSES,
        "sorts": SORTS,
    }
    return page_or_partial("incidents/index.html", "incidents/_list.html", **context)


@bp.get("/incidents.csv")
@member_required
def export() -> Response:
    workspace = current_workspace()
    filters = parse_filters(request.args, Choices.of(workspace))
    query = filters.query(workspace)
    zone = query.zone

    def rows() -> Any:
        for incident, service_name in queries.export_rows(query, filters):
            yield [
                incident.number,
                incident.title,
                service_name,
                incident.status,
                incident.urgency,
                incident.priority,
                _local(incident.created_at, zone),
                _local(incident.first_ack_at, zone),
                _local(incident.resolved_at, zone),
                _seconds(incident.ack_seconds),
                _seconds(incident.resolve_seconds),
                incident.escalation_count,
                incident.reopen_count,
                "yes" if incident.excluded else "no",
                incident.excluded_reason,
                incident.html_url,
            ]

    start = query.start.astimezone(zone).date().isoformat()
    return csv_response(f"incidents-{start}.csv", CSV_HEADER, rows())


def _local(instant: datetime | None, zone: ZoneInfo) -> str | None:
    return None if instant is None else instant.astimezone(zone).isoformat(timespec="seconds")


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value)


@bp.get("/incidents/<int:incident_id>")
@member_required
def show(incident_id: int) -> str:
    incident = scoped_get_or_404(Incident, incident_id)
    return render_template("incidents/show.html", **_detail_context(incident))


def _detail_context(incident: Incident, error: str | None = None) -> dict[str, Any]:
    workspace = current_workspace()
    return {
        "incident": incident,
        "zone": workspace.timezone,
        "entries": timeline(incident.id, workspace.id),
        "changes": deployments.related_changes(workspace.id, incident.id),
        "excluded_by": db.session.get(User, incident.excluded_by_id) if incident.excluded_by_id else None,
        "error": error,
    }


def _exclusion_answer(incident: Incident, error: str | None = None) -> Response | tuple[str, int]:
    if not is_htmx() and not error:
        return redirect(url_for("incidents.show", incident_id=incident.id))
    template = "incidents/_exclusion.html" if is_htmx() else "incidents/show.html"
    return render_template(template, **_detail_context(incident, error)), 400 if error else 200


def _changed(incident: Incident, message: str) -> Response | tuple[str, int]:
    db.session.commit()
    if not is_htmx():
        flash(message, "success")
    return _exclusion_answer(incident)


@bp.post("/incidents/<int:incident_id>/exclude")
@admin_required
def exclude(incident_id: int) -> Response | tuple[str, int]:
    incident = scoped_get_or_404(Incident, incident_id)
    try:
        exclusion.exclude_incident(
            incident, current_user._get_current_object(), request.form.get("reason", "")
        )
    except exclusion.ExclusionError as exc:
        return _exclusion_answer(incident, str(exc))
    return _changed(incident, f"Incident #{incident.number} no longer counts in the metrics.")


@bp.post("/incidents/<int:incident_id>/include")
@admin_required
def include(incident_id: int) -> Response | tuple[str, int]:
    incident = scoped_get_or_404(Incident, incident_id)
    exclusion.include_incident(incident)
    return _changed(incident, f"Incident #{incident.number} counts in the metrics again.")
