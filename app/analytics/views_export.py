"""The dashboard's breakdown tables as CSV: the rows its by-service or by-team table shows, same filters.

The columns are the report's (reports.BREAKDOWN_HEADER): raw seconds and rates, so a spreadsheet can compute
with them, where the table shows "4 m 12 s". The order is the table's sort.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import render_template, request
from werkzeug.wrappers import Response

from app.accounts.context import current_workspace, member_required
from app.analytics import bp, breakdowns, reports
from app.analytics.breakdowns import BreakdownRow
from app.analytics.filters_form import DashboardFilters, parse_filters
from app.analytics.panels import sort_rows
from app.analytics.percentiles import room_to_sort
from app.analytics.population import Choices
from app.analytics.query import MetricQuery
from app.csvio import csv_response

Rows = Callable[[MetricQuery], list[BreakdownRow]]
Sort = Callable[[DashboardFilters], str]

TABLES: dict[str, tuple[Rows, Sort]] = {
    "services": (breakdowns.by_service, lambda filters: filters.service_sort),
    "teams": (breakdowns.by_team, lambda filters: filters.team_sort),
}


@bp.get("/dashboard/<any(services, teams):name>.csv")
@member_required
def breakdown_csv(name: str) -> Response | tuple[str, int]:
    workspace = current_workspace()
    filters = parse_filters(request.args, Choices.of(workspace))
    if filters.messages:
        # The page shows such a message above a default view; a download has nowhere to show it, and a file
        # of other rows than the ones asked for would be read as the answer.
        message = " ".join(filters.messages)
        return render_template("errors/error.html", status=400, title="Bad request", message=message), 400
    query = filters.query(workspace)
    rows_of, sort_of = TABLES[name]
    room_to_sort()
    rows = sort_rows(rows_of(query), sort_of(filters))
    first = query.start.astimezone(query.zone).date()
    last = (query.end - timedelta(microseconds=1)).astimezone(query.zone).date()
    return csv_response(
        f"by-{name.removesuffix('s')}-{first}-to-{last}.csv",
        reports.BREAKDOWN_HEADER,
        (reports.breakdown_cells(row) for row in rows),
    )
