"""The printable weekly / monthly report and its breakdown tables as CSV."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from app.accounts.context import current_workspace, member_required
from app.analytics import breakdowns, metrics, recurring, reports
from app.analytics.percentiles import room_to_sort
from app.analytics.population import Choices, Population, parse_population
from app.analytics.query import MetricQuery, workspace_settings
from app.csvio import csv_response
from app.errors import Refused
from app.models.types import utcnow

bp = Blueprint("reports", __name__)


def _period_and_query() -> tuple[reports.Period, MetricQuery, dict[str, Any]]:
    period, query, args, filters = _report_filters(Choices.of(current_workspace()))
    if filters.messages:
        # As for the dashboard's CSV: a download has nowhere to show the message, and a file of another
        # period than the one asked for would be read as the answer.
        raise Refused(" ".join(filters.messages))
    return period, query, args


def _report_filters(choices: Choices) -> tuple[reports.Period, MetricQuery, dict[str, Any], Population]:
    """The period plus the dashboard's own service / team / urgency / priority filters, validated the same
    way (an id of another workspace or an unknown urgency or priority is dropped with a message)."""
    workspace = current_workspace()
    today = utcnow().astimezone(ZoneInfo(workspace.timezone)).date()
    messages: list[str] = []
    period = reports.parse_period(request.args.get("period"), request.args.get("date"), today, messages)
    filters = parse_population(reports.population_args(request.args), choices)
    filters.messages[:0] = messages
    query = replace(filters, days=None, start=period.start, end=period.end).query(workspace)
    args = {"period": period.kind, "date": period.start.isoformat(), **filters.params()}
    return period, query, args, filters


@bp.get("/reports")
@member_required
def report() -> str:
    choices = Choices.of(current_workspace())
    period, query, args, filters = _report_filters(choices)
    settings = workspace_settings(query.workspace_id)
    room_to_sort()
    comparison = metrics.compare(query, settings)
    return render_template(
        "reports/report.html",
        period=period,
        query=query,
        args=args,
        filters=filters,
        choices=choices,
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
