"""Trend series: every metric per day / week (Monday) / month of the workspace's zone, empty buckets included.

Bucket boundaries are local midnights turned into UTC instants in Python (windows.buckets), and SQL assigns
each row to a bucket with a CASE over those instants, so a DST day of 23 or 25 hours is bucketed exactly and
both engines agree. One grouped query per measure, over the same indexes as the headline numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select

from app.analytics.deployments import deployment_outcomes, rate
from app.analytics.filters import incident_conditions
from app.analytics.percentiles import DurationStats, duration_stats, is_postgresql, stats_columns, stats_of
from app.analytics.query import MetricQuery, WorkspaceSettings, workspace_settings
from app.analytics.windows import Bucket, BucketUnit, buckets
from app.extensions import db
from app.models import Incident


@dataclass(frozen=True)
class TrendPoint:
    label: date  # the local date the day/week/month starts on
    start: datetime  # [start, end) clipped to the window
    end: datetime
    incident_count: int
    mtta: DurationStats
    mttr: DurationStats
    deployment_count: int
    failed_deployment_count: int
    share: float = 1.0  # the part of the whole day/week/month inside the window

    @property
    def partial(self) -> bool:
        return self.share < 1.0

    @property
    def change_failure_rate(self) -> float | None:
        return rate(self.failed_deployment_count, self.deployment_count)


def bucket_index(column: Any, spans: list[Bucket]) -> ColumnElement[int]:
    """0-based index of the bucket holding `column`; rows are already limited to the window."""
    if len(spans) == 1:
        return literal(0)
    return case(
        *[(column < bucket.end, literal(index)) for index, bucket in enumerate(spans[:-1])],
        else_=literal(len(spans) - 1),
    )


def trend(
    query: MetricQuery, unit: BucketUnit | str = BucketUnit.DAY, settings: WorkspaceSettings | None = None
) -> list[TrendPoint]:
    settings = settings or workspace_settings(query.workspace_id)
    spans = buckets(query.start, query.end, query.zone, BucketUnit(unit))
    rows = (
        select(
            bucket_index(Incident.created_at, spans).label("grp"),
            Incident.ack_seconds,
            case((Incident.status == "resolved", Incident.resolve_seconds)).label("resolve_seconds"),
        )
        .where(*incident_conditions(query))
        .subquery("rows")
    )
    if is_postgresql():  # one pass over the window instead of three
        per_bucket = db.session.execute(
            select(
                rows.c.grp,
                func.count().label("n"),
                *stats_columns(rows.c.ack_seconds, "mtta"),
                *stats_columns(rows.c.resolve_seconds, "mttr"),
            ).group_by(rows.c.grp)
        ).all()
        counts = {row.grp: row.n for row in per_bucket}
        mtta = {row.grp: stats_of(row, "mtta") for row in per_bucket}
        mttr = {row.grp: stats_of(row, "mttr") for row in per_bucket}
    else:
        counts = dict(db.session.execute(select(rows.c.grp, func.count()).group_by(rows.c.grp)).all())
        mtta = duration_stats(select(rows.c.grp, rows.c.ack_seconds.label("value")).subquery(), grouped=True)
        mttr = duration_stats(
            select(rows.c.grp, rows.c.resolve_seconds.label("value")).subquery(), grouped=True
        )
    outcomes = deployment_outcomes(query, settings).subquery("outcomes")
    deployed = select(bucket_index(outcomes.c.at, spans).label("grp"), outcomes.c.failed).subquery("deployed")
    deployments = {
        row.grp: (int(row.n), int(row.failed))
        for row in db.session.execute(
            select(
                deployed.c.grp, func.count().label("n"), func.sum(deployed.c.failed).label("failed")
            ).group_by(deployed.c.grp)
        )
    }
    return [
        TrendPoint(
            label=bucket.label,
            start=bucket.start,
            end=bucket.end,
            incident_count=int(counts.get(index, 0)),
            mtta=mtta.get(index, DurationStats()),
            mttr=mttr.get(index, DurationStats()),
            deployment_count=deployments.get(index, (0, 0))[0],
            failed_deployment_count=deployments.get(index, (0, 0))[1],
            share=bucket.share,
        )
        for index, bucket in enumerate(spans)
    ]
