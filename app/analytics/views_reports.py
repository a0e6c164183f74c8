"""The printable weekly / monthly report and its breakdown tables as CSV."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from app.accounts.context import current_workspace, member_required
from app.analytics import breakdowns, metrics, recurring, reports
from app.analytics.query import MetricQuery, workspace_settings
from app.incidents.csv_export import csv_response
from app.models.types import utcnow

bp = Blueprint("reports", __name__)


def _period_and_query() -> tuple[reports.Period, MetricQuery, dict[str, Any]]:
    workspace = current_workspace()
    today = utcnow().astimezone(ZoneInfo(workspace.timezone)).date()
    period = reports.parse_period(request.args.get("period"), request.args.get("date"), today)
    services = tuple(int(s) for s in request.args.getlist("service") if s.isdigit())
    teams = tuple(int(t) for t in request.args.getlist("team") if t.isdigit())
    query = MetricQuery.for_dates(workspace, period.start, period.end, services=services, teams=teams)
    args = {"period": period.kind, "date": period.start.isoformat(), "service": services, "team": teams}
    return period, query, args


@bp.get("/reports")
@member_required
def report() -> str:
    period, query, args = _period_and_query()
    settings = workspace_settings(query.workspace_id)
    comparison = metrics.compare(query, settings)
    return render_template(
        "reports/report.html",
        period=period,
        query=query,
        args=args,
        zone=query.tz,
        comparison=comparison,
        summary=comparison.current,
        by_service=breakdowns.by_service(query),
        by_team=breakdowns.by_team(query),
        recurring=recurring.recurring_incidents(query)[:10],
        slowest=reports.slowest_incidents(query),
    )


@bp.get("/reports/by-service.csv")
@member_required
def by_service_csv() -> Response:
    period, query, _ = _period_and_query()
    rows = (reports.breakdown_cells(row) for row in breakdowns.by_service(query))
    return csv_response(f"by-service-{period.kind}-{period.start}.csv", reports.BREAKDOWN_HEADER, rows)


@bp.get("/reports/by-team.csv")
@member_required
def by_team_csv() -> Response:
    period, query, _ = _period_and_query()
    rows = (reports.breakdown_cells(row) for row in breakdowns.by_team(query))
    return csv_response(f"by-team-{period.kind}-{period.start}.csv", reports.BREAKDOWN_HEADER, rows)
