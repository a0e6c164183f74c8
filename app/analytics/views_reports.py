"""The printable weekly / monthly report and its breakdown tables as CSV."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from app.accounts.context import current_workspace, member_required
from app.analytics import breakdowns, metrics, recurring, reports
from app.analytics.filters_form import (
    DashboardFilters,
    parse_filters,
    priority_choices,
    service_choices,
    team_choices,
)
from app.analytics.percentiles import room_to_sort
from app.analytics.query import MetricQuery, workspace_settings
from app.csvio import csv_response
from app.errors import Refused
from app.models.types import utcnow

bp = Blueprint("reports", __name__)


def _period_and_query() -> tuple[reports.Period, MetricQuery, dict[str, Any]]:
    period, query, args, filters = _report_filters()
    if filters.messages:
        # As for the dashboard's CSV: a download has nowhere to show the message, and a file of another
        # period than the one asked for would be read as the answer.
        raise Refused(" ".join(filters.messages))
    return period, query, args


def _report_filters() -> tuple[reports.Period, MetricQuery, dict[str, Any], DashboardFilters]:
    """The period plus the dashboard's own service / team / urgency / priority filters, validated the same
    way (an id of another workspace or an unknown urgency or priority is dropped with a message)."""
    workspace = current_workspace()
    today = utcnow().astimezone(ZoneInfo(workspace.timezone)).date()
    messages: list[str] = []
    period = reports.parse_period(request.args.get("period"), request.args.get("date"), today, messages)
    filters = parse_filters(
        reports.population_args(request.args),
        service_choices(workspace),
        team_choices(workspace),
        priority_choices(workspace),
    )
    filters.messages[:0] = messages
    query = MetricQuery.for_dates(
        workspace,
        period.start,
        period.end,
        services=filters.services,
        teams=filters.teams,
        urgencies=(filters.urgency,) if filters.urgency else (),
        priorities=filters.priority_names(),
    )
    args = {
        "period": period.kind,
        "date": period.start.isoformat(),
        "service": list(filters.services),
        "team": list(filters.teams),
        "urgency": filters.urgency,
        "priority": list(filters.priorities),
    }
    return period, query, args, filters


@bp.get("/reports")
@member_required
def report() -> str:
    period, query, args, filters = _report_filters()
    workspace = current_workspace()
    settings = workspace_settings(query.workspace_id)
    room_to_sort()
    comparison = metrics.compare(query, settings, apart=True)
    return render_template(
        "reports/report.html",
        period=period,
        query=query,
        args=args,
        filters=filters,
        services=service_choices(workspace),
        teams=team_choices(workspace),
        priorities=priority_choices(workspace),
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
