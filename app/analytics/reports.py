"""The printable weekly / monthly report (/reports) and its breakdown tables as CSV.

A week is Monday to Sunday and a month a calendar month, in the workspace's local dates. Without a date the
report is the last *complete* period, the one people print on a Monday morning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.accounts.context import current_workspace, member_required
from app.analytics import breakdowns, metrics, recurring
from app.analytics.breakdowns import BreakdownRow
from app.analytics.filters import incident_conditions
from app.analytics.percentiles import room_to_sort
from app.analytics.population import Choices, Population, parse_population
from app.analytics.query import MetricQuery, workspace_settings
from app.csvio import csv_response
from app.errors import Refused
from app.extensions import db
from app.inputs import typed_date
from app.models import Incident
from app.models.types import utcnow

PERIODS = ("week", "month")
# Durations in whole seconds, so a spreadsheet can compute with them.
BREAKDOWN_HEADER = ["name", "incidents", "unresolved", "escalated", "escalation_rate"] + [
    f"{metric}_{stat}_seconds" for metric in ("mtta", "mttr") for stat in ("mean", "p50", "p90")
]


@dataclass(frozen=True)
class Period:
    kind: str  # week | month
    start: date
    end: date  # exclusive

    @property
    def label(self) -> str:
        if self.kind == "month":
            return self.start.strftime("%B %Y")
        last = self.end - timedelta(days=1)
        return f"Week of {self.start:%d %b} to {last:%d %b %Y}"

    @property
    def previous(self) -> Period:
        return period_containing(self.kind, self.start - timedelta(days=1))

    @property
    def next(self) -> Period:
        return period_containing(self.kind, self.end)


def period_containing(kind: str, day: date) -> Period:
    if kind == "month":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        return Period("month", start, end)
    start = day - timedelta(days=day.weekday())
    return Period("week", start, start + timedelta(days=7))


def parse_period(kind: str | None, day: str | None, today: date, messages: list[str] | None = None) -> Period:
    """A bad kind means a week; a bad or missing date means the last complete period before `today` (a bad
    one is said in `messages`)."""
    kind = kind if kind in PERIODS else "week"
    if not day:
        return period_containing(kind, today).previous
    try:
        chosen = typed_date(day)
    except ValueError as exc:
        if messages is not None:
            messages.append(f"{exc} Showing the last complete {kind}.")
        return period_containing(kind, today).previous
    return period_containing(kind, chosen)


def population_args(args: MultiDict[str, str]) -> MultiDict[str, str]:
    """Only the filters a report shares with the dashboard's filter bar: the report's own `date` must not be
    read as the dashboard's custom window."""
    shared = ("service", "team", "urgency", "priority")
    return MultiDict([(key, value) for key, value in args.items(multi=True) if key in shared])


def slowest_incidents(query: MetricQuery, limit: int = 5) -> list[Incident]:
    """The counted, resolved incidents of the window that took longest to resolve."""
    return list(
        db.session.scalars(
            select(Incident)
            .where(
                *incident_conditions(query),
                Incident.status == "resolved",
                Incident.resolve_seconds.is_not(None),
            )
            .order_by(Incident.resolve_seconds.desc(), Incident.id)
            .limit(limit)
        )
    )


def breakdown_cells(row: BreakdownRow) -> list[Any]:
    """One row of BREAKDOWN_HEADER."""
    rate = row.escalation_rate
    durations = [value for stats in (row.mtta, row.mttr) for value in (stats.mean, stats.p50, stats.p90)]
    return [
        row.name,
        row.incident_count,
        row.unresolved_count,
        row.escalated_count,
        None if rate is None else round(rate, 4),
        *[None if value is None else round(value) for value in durations],
    ]


bp = Blueprint("reports", __name__)


def _report_filters(choices: Choices) -> tuple[Period, MetricQuery, Population]:
    """The period plus the dashboard's own service / team / urgency / priority filters, validated the same
    way (an id of another workspace or an unknown urgency or priority is dropped with a message)."""
    workspace = current_workspace()
    today = utcnow().astimezone(ZoneInfo(workspace.timezone)).date()
    messages: list[str] = []
    period = parse_period(request.args.get("period"), request.args.get("date"), today, messages)
    filters = parse_population(population_args(request.args), choices)
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
        slowest=slowest_incidents(query),
    )


def _breakdown_csv(name: str, rows_of: Callable[[MetricQuery], list[BreakdownRow]]) -> Response:
    period, query, filters = _report_filters(Choices.of(current_workspace()))
    if filters.messages:
        # As for the dashboard's CSV: a download has nowhere to show the message, and a file of another
        # period than the one asked for would be read as the answer.
        raise Refused(" ".join(filters.messages))
    rows = (breakdown_cells(row) for row in rows_of(query))
    return csv_response(f"by-{name}-{period.kind}-{period.start}.csv", BREAKDOWN_HEADER, rows)


@bp.get("/reports/by-service.csv")
@member_required
def by_service_csv() -> Response:
    return _breakdown_csv("service", breakdowns.by_service)


@bp.get("/reports/by-team.csv")
@member_required
def by_team_csv() -> Response:
    return _breakdown_csv("team", breakdowns.by_team)
