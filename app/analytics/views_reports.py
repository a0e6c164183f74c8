"""The printable weekly / monthly report and its breakdown tables as CSV."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from app.accounts.context import current_workspace, member_required
from app.analytics import breakdowns, metrics, recurring, reports
from app.analytics.breakdowns import BreakdownRow
from app.analytics.percentiles import room_to_sort
from app.analytics.population import Choices, Population, parse_population
from app.analytics.query import MetricQuery, workspace_settings
from app.csvio import csv_response
from app.errors import Refused
from app.models.types import utcnow

bp = Blueprint("reports", __name__)


def _report_filters(choices: Choices) -> tuple[reports.Period, MetricQuery, Population]:
    """The period plus the dashboard's own service / team / urgency / priority filters, validated the same
    way (an id of another workspace or an unknown urgency or priority is dropped with a message)."""
    workspace = current_workspace()
    today = utcnow().astimezone(ZoneInfo(workspace.timezone)).date()
    messages: list[str] = []
    period = reports.parse_period(request.args.get("period"), request.args.get("date"), today, messages)
    filters = parse_population(reports.population_args(request.args), choices)
    filters.messages[:0] = messages
    return period, replace(filters, days=None, start=period.start, end=period.end).query(workspace), filters


@bp.get("/reports")
@member_required
def report() -> str:
    choices = Choices.of(current_workspace())
    period, query, filters = _report_filters(choices)
    settings = workspace_settings(query.workspace_id)
    room_to_sort()
    comparison = metrics.compare(query, settings)
    return render_template(
        "reports/report.html",
        period=period,
        query=query,
        args={"period": period.kind, "date": period.start.isoformat(), **filters.params()},
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


def _breakdown_csv(name: str, rows_of: Callable[[MetricQuery], list[BreakdownRow]]) -> Response:
    period, query, filters = _report_filters(Choices.of(current_workspace()))
    if filters.messages:
        # As for the dashboard's CSV: a download has nowhere to show the message, and a file of another
        # period than the one asked for would be read as the answer.
        raise Refused(" ".join(filters.messages))
    rows = (reports.breakdown_cells(row) for row in rows_of(query))
    return csv_response(f"by-{name}-{period.kind}-{period.start}.csv", reports.BREAKDOWN_HEADER, rows)


@bp.get("/reports/by-service.csv")
@member_required
def by_service_csv() -> Response:
    return _breakdown_csv("service", breakdowns.by_service)


@bp.get("/reports/by-team.csv")
@member_required
def by_team_csv() -> Response:
    return _breakdown_csv("team", breakdowns.by_team)
