"""Tables and the heatmap: the window's incidents by service, by team, and by local hour x weekday.

A team row counts every incident tagged with that team, so an incident with two teams is in both rows (and the
rows may add up to more than the total); incidents without a team get a row with `key` None. With a team
filter, only the filtered teams get rows. The heatmap converts each incident's start to the workspace zone
with the zone's UTC-offset spans in the window (windows.offset_spans), so an incident at 01:30 UTC on a summer
day in Europe/Berlin is at 03:00 local.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, select

from app.analytics.deployments import rate
from app.analytics.filters import incident_conditions
from app.analytics.percentiles import DurationStats, duration_stats, is_postgresql, stats_columns, stats_of
from app.analytics.query import MetricQuery
from app.analytics.sqlfuncs import offset_case, shifted_hour, shifted_isoweekday
from app.analytics.windows import offset_spans
from app.extensions import db
from app.models import Incident, PDService, PDTeam
from app.models.incidents import incident_teams


@dataclass(frozen=True)
class BreakdownRow:
    key: int | None  # PDService.id or PDTeam.id; None for incidents without a team
    name: str
    incident_count: int
    unresolved_count: int
    escalated_count: int
    mtta: DurationStats
    mttr: DurationStats

    @property
    def escalation_rate(self) -> float | None:
        return rate(self.escalated_count, self.incident_count)


def by_service(query: MetricQuery) -> list[BreakdownRow]:
    rows = (
        select(Incident.service_id.label("grp"), *_measures())
        .where(*incident_conditions(query))
        .subquery("rows")
    )
    names = dict(
        db.session.execute(
            select(PDService.id, PDService.name).where(PDService.workspace_id == query.workspace_id)
        ).all()
    )
    return _table(rows, lambda key: names.get(key, ""))


def by_team(query: MetricQuery) -> list[BreakdownRow]:
    statement: Select[Any] = (
        select(incident_teams.c.team_id.label("grp"), *_measures())
        .select_from(Incident)
        .outerjoin(incident_teams, incident_teams.c.incident_id == Incident.id)
        .where(*incident_conditions(query))
    )
    if query.teams:
        statement = statement.where(incident_teams.c.team_id.in_(query.teams))
    names = dict(
        db.session.execute(
            select(PDTeam.id, PDTeam.name).where(PDTeam.workspace_id == query.workspace_id)
        ).all()
    )
    return _table(statement.subquery("rows"), lambda key: "No team" if key is None else names.get(key, ""))


def _measures() -> list[Any]:
    resolved = Incident.status == "resolved"
    return [
        Incident.ack_seconds,
        case((resolved, Incident.resolve_seconds)).label("resolve_seconds"),
        case((resolved, 0), else_=1).label("unresolved"),
        case((Incident.escalation_count >= 1, 1), else_=0).label("escalated"),
    ]


def _table(rows: Any, name_of: Any) -> list[BreakdownRow]:
    counted = [
        rows.c.grp,
        func.count().label("n"),
        func.sum(rows.c.unresolved).label("unresolved"),
        func.sum(rows.c.escalated).label("escalated"),
    ]
    if is_postgresql():
        # One pass: the counts and both percentile sets side by side (three passes over a join with the
        # incidents' teams were most of the by-team table's time).
        statement = select(
            *counted,
            *stats_columns(rows.c.ack_seconds, "mtta"),
            *stats_columns(rows.c.resolve_seconds, "mttr"),
        ).group_by(rows.c.grp)
        counts = db.session.execute(statement).all()
        mtta = {row.grp: stats_of(row, "mtta") for row in counts}
        mttr = {row.grp: stats_of(row, "mttr") for row in counts}
    else:
        counts = db.session.execute(select(*counted).group_by(rows.c.grp)).all()
        mtta = duration_stats(select(rows.c.grp, rows.c.ack_seconds.label("value")).subquery(), grouped=True)
        mttr = duration_stats(
            select(rows.c.grp, rows.c.resolve_seconds.label("value")).subquery(), grouped=True
        )
    table = [
        BreakdownRow(
            key=row.grp,
            name=name_of(row.grp),
            incident_count=int(row.n),
            unresolved_count=int(row.unresolved),
            escalated_count=int(row.escalated),
            mtta=mtta.get(row.grp, DurationStats()),
            mttr=mttr.get(row.grp, DurationStats()),
        )
        for row in counts
    ]
    return sorted(table, key=lambda row: (-row.incident_count, row.name, row.key or 0))


def heatmap(query: MetricQuery) -> list[list[int]]:
    """7 rows (Monday … Sunday) x 24 columns (local hour 0 … 23) of incident starts in the query's zone."""
    spans = [(span.end, span.offset_seconds) for span in offset_spans(query.zone, query.start, query.end)]
    offset = offset_case(Incident.created_at, spans)
    local = (
        select(
            shifted_isoweekday(Incident.created_at, offset).label("weekday"),
            shifted_hour(Incident.created_at, offset).label("hour"),
        )
        .where(*incident_conditions(query))
        .subquery("local")
    )
    grid = [[0] * 24 for _ in range(7)]
    for row in db.session.execute(
        select(local.c.weekday, local.c.hour, func.count().label("n")).group_by(local.c.weekday, local.c.hour)
    ):
        grid[int(row.weekday) - 1][int(row.hour)] = int(row.n)
    return grid
