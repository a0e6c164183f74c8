"""The window's incidents by service, by team, by trend bucket and by local hour x weekday.

A team row counts every incident tagged with that team, so an incident with two teams is in both rows (and the
rows may add up to more than the total); incidents without a team get a row with `key` None. With a team
filter, only the filtered teams get rows. The heatmap converts each incident's start to the workspace zone
with the zone's UTC-offset spans in the window (windows.offset_spans), so an incident at 01:30 UTC on a summer
day in Europe/Berlin is at 03:00 local.

Trends give every metric per local day / week (Monday) / month, empty buckets included: SQL assigns each row
to a bucket with a CASE over the buckets' UTC instants (windows.buckets), so a DST day of 23 or 25 hours is
bucketed exactly and both engines agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.analytics.deployments import change_failures, rate
from app.analytics.filters import incident_conditions
from app.analytics.metrics import IncidentFigures, incident_figures
from app.analytics.percentiles import DurationStats
from app.analytics.query import MetricQuery, WorkspaceSettings
from app.analytics.sqlfuncs import bucket_index, offset_case, shifted_hour, shifted_isoweekday
from app.analytics.windows import Bucket, BucketUnit, buckets, offset_spans
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
    names = _names(PDService, query.workspace_id)
    figures = incident_figures(incident_conditions(query), group_by=[Incident.service_id])
    return _table(figures, lambda key: names.get(key, ""))


def by_team(query: MetricQuery) -> list[BreakdownRow]:
    conditions = incident_conditions(query)
    if query.teams:
        conditions.append(incident_teams.c.team_id.in_(query.teams))
    names = _names(PDTeam, query.workspace_id)
    figures = incident_figures(
        conditions,
        group_by=[incident_teams.c.team_id],
        from_=Incident.__table__.outerjoin(incident_teams, incident_teams.c.incident_id == Incident.id),
    )
    return _table(figures, lambda key: "No team" if key is None else names.get(key, ""))


def _names(model: type[PDService] | type[PDTeam], workspace_id: int) -> dict[int, str]:
    return dict(
        db.session.execute(select(model.id, model.name).where(model.workspace_id == workspace_id)).all()
    )


def _table(figures: dict[tuple[Any, ...], IncidentFigures], name_of: Any) -> list[BreakdownRow]:
    table = [
        BreakdownRow(
            key=key,
            name=name_of(key),
            incident_count=part.counts.incident_count,
            unresolved_count=part.counts.unresolved_count,
            escalated_count=part.counts.escalated_count,
            mtta=part.mtta,
            mttr=part.mttr,
        )
        for (key,), part in figures.items()
    ]
    return sorted(table, key=lambda row: (-row.incident_count, row.name, row.key or 0))


def heatmap(query: MetricQuery) -> list[list[int]]:
    """7 rows (Monday … Sunday) x 24 columns (local hour 0 … 23) of incident starts in the query's zone."""
    offset = offset_case(Incident.created_at, offset_spans(query.zone, query.start, query.end))
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


@dataclass(frozen=True)
class TrendPoint(Bucket):
    incident_count: int
    mtta: DurationStats
    mttr: DurationStats
    deployment_count: int
    failed_deployment_count: int

    @property
    def change_failure_rate(self) -> float | None:
        return rate(self.failed_deployment_count, self.deployment_count)


def trend(
    query: MetricQuery, unit: BucketUnit | str = BucketUnit.DAY, settings: WorkspaceSettings | None = None
) -> list[TrendPoint]:
    spans = buckets(query.start, query.end, query.zone, BucketUnit(unit))
    ends = [bucket.end for bucket in spans]
    figures = incident_figures(incident_conditions(query), group_by=[bucket_index(Incident.created_at, ends)])
    changes = change_failures(query, spans, settings)
    return [
        TrendPoint(
            **vars(bucket),
            incident_count=part.counts.incident_count,
            mtta=part.mtta,
            mttr=part.mttr,
            deployment_count=changed.deployment_count,
            failed_deployment_count=changed.failed_deployment_count,
        )
        for index, (bucket, changed) in enumerate(zip(spans, changes, strict=True))
        for part in [figures.get((index,), IncidentFigures())]
    ]
