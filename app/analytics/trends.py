"""Trend series: every metric per day / week (Monday) / month of the workspace's zone, empty buckets included.

Bucket boundaries are local midnights turned into UTC instants in Python (windows.buckets), and SQL assigns
each row to a bucket with a CASE over those instants, so a DST day of 23 or 25 hours is bucketed exactly and
both engines agree. The incident figures and the deployments are each one statement grouped by bucket
(metrics.incident_figures, deployments.change_failures), over the same indexes as the headline numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.analytics.deployments import change_failures, rate
from app.analytics.filters import incident_conditions
from app.analytics.metrics import IncidentFigures, incident_figures
from app.analytics.percentiles import DurationStats
from app.analytics.query import MetricQuery, WorkspaceSettings
from app.analytics.sqlfuncs import bucket_index
from app.analytics.windows import Bucket, BucketUnit, buckets
from app.models import Incident


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
