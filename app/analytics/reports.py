"""The weekly / monthly report: which period a request means, and the pieces the engine does not compute.

A week is Monday to Sunday and a month a calendar month, both in the workspace's local dates (end exclusive,
as MetricQuery.for_dates takes them). Without a date the report is the last *complete* period, the one people
print on a Monday morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.analytics.breakdowns import BreakdownRow
from app.analytics.filters import incident_conditions
from app.analytics.query import MetricQuery
from app.extensions import db
from app.inputs import typed_date
from app.models import Incident

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


POPULATION_ARGS = ("service", "team", "urgency", "priority")


def population_args(args: MultiDict[str, str]) -> MultiDict[str, str]:
    """Only the filters a report shares with the dashboard's filter bar: the report's own `date` must not be
    read as the dashboard's custom window."""
    return MultiDict([(key, value) for key, value in args.items(multi=True) if key in POPULATION_ARGS])


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
