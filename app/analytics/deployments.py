"""Deployments, Change Failure Rate, failed-deployment recovery time and an incident's related changes.

A deployment on service S *failed* if an incident on S (not excluded, passing the query's urgency and
priority filters) was created in [deploy, min(next deploy on S, deploy + attribution window)). Each deployment
is a 0/1 flag, so two incidents after one deployment count once and CFR can never pass 100 %.

Indexes: the deployments in the window come from ix_deployments_ws_at (workspace_id, at); "the next deployment
on S" is a seek on ix_deployments_service_at (service_id, at); the incidents after a deployment are a range on
ix_incidents_ws_service_created (workspace_id, service_id, created_at).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, false, func, literal, or_, select, true
from sqlalchemy.orm import aliased

from app.analytics.filters import deployment_conditions, incident_attribute_conditions
from app.analytics.percentiles import Aggregate, DurationStats, aggregate
from app.analytics.query import MetricQuery, WorkspaceSettings, workspace_settings
from app.analytics.sqlfuncs import add_seconds, bucket_index, seconds_between
from app.analytics.windows import Bucket
from app.extensions import db, is_postgresql
from app.models import Deployment, Incident, PDService

RELATED_CHANGES_LOOKBACK = timedelta(hours=4)
WEEK_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class ChangeFailure:
    deployment_count: int
    failed_deployment_count: int
    # failed / deployments; None when there were no deployments.
    change_failure_rate: float | None
    deployments_per_week: float
    # Over failed deployments whose linked incidents are all resolved; p50 is the DORA median.
    recovery: DurationStats
    # Failed deployments with a linked incident still open: not recovered yet, so outside `recovery`.
    unrecovered_count: int


def deployment_outcomes(query: MetricQuery, settings: WorkspaceSettings) -> Select[Any]:
    """One row per deployment in the window: id, service_id, at, failed (0/1), unrecovered (0/1) and
    recovery_seconds (last linked resolve - deploy, None unless failed and fully resolved)."""
    attribution_end = add_seconds(Deployment.at, literal(settings.cfr_attribution_hours * 3600))
    later = aliased(Deployment)
    # The next deployment on the same service, if it comes before the attribution window ends. `at >= deploy`
    # alone lets ix_deployments_service_at seek; deployments at the same instant are then ordered by id, so an
    # incident is attributed to only one of them.
    next_in_window = (
        select(func.min(later.at))
        .where(
            later.workspace_id == query.workspace_id,
            later.service_id == Deployment.service_id,
            later.at >= Deployment.at,
            later.at < attribution_end,
            or_(later.at > Deployment.at, later.id > Deployment.id),
        )
        .scalar_subquery()
    )
    # One row per deployment with the end of its responsibility, min(next deployment, deploy + window): both
    # bounds of the incident range below are then plain columns, so the incidents come from one index range
    # scan per deployment. A CTE, as the SQLite form below reads it twice: one look-up per deployment.
    deps = (
        select(
            Deployment.id,
            Deployment.service_id,
            Deployment.at,
            func.coalesce(next_in_window, attribution_end).label("until"),
        )
        .where(*deployment_conditions(query))
        .cte("deps")
    )
    resolved = Incident.status == "resolved"
    measures = (
        func.count().label("linked"),  # not count(id): the index carries no id, and every row is an incident
        func.coalesce(func.sum(case((resolved, 1), else_=0)), 0).label("linked_resolved"),
        func.max(case((resolved, Incident.resolved_at))).label("last_resolved_at"),
    )
    incidents_of_deployment = (
        Incident.workspace_id == query.workspace_id,
        Incident.service_id == deps.c.service_id,
        Incident.created_at >= deps.c.at,
        Incident.created_at < deps.c.until,
        Incident.excluded == false(),
        # The deployment's service already passed the service and team filters; any incident on it counts,
        # narrowed only by urgency and priority.
        *incident_attribute_conditions(query, services=False, teams=False),
    )
    if is_postgresql():
        # LATERAL: one range of ix_incidents_ws_service_created per deployment, whatever the statistics say
        # (as a join, the planner may merge-join every incident of the workspace against the deployments).
        links = select(*measures).where(*incidents_of_deployment).lateral("links")
        joined = deps.join(links, true())
        failed = links.c.linked > 0
    else:
        links = (
            select(deps.c.id.label("deployment_id"), *measures)
            .select_from(deps)
            .join(Incident, and_(*incidents_of_deployment))
            .group_by(deps.c.id)
            .subquery("links")
        )
        joined = deps.outerjoin(links, links.c.deployment_id == deps.c.id)
        failed = links.c.deployment_id.is_not(None)
    recovered = and_(failed, links.c.linked == links.c.linked_resolved)
    return select(
        deps.c.id,
        deps.c.service_id,
        deps.c.at,
        case((failed, 1), else_=0).label("failed"),
        case((and_(failed, links.c.linked > links.c.linked_resolved), 1), else_=0).label("unrecovered"),
        case((recovered, seconds_between(deps.c.at, links.c.last_resolved_at))).label("recovery_seconds"),
    ).select_from(joined)


def change_failure(query: MetricQuery, settings: WorkspaceSettings | None = None) -> ChangeFailure:
    return change_failures(query, [query], settings)[0]


def change_failures(
    query: MetricQuery, windows: Sequence[MetricQuery | Bucket], settings: WorkspaceSettings | None = None
) -> list[ChangeFailure]:
    """The one definition of CFR and recovery time: a ChangeFailure for each of `windows` (adjacent, in
    order, together the query's window), from one statement grouped by window. A deployment's outcome does
    not depend on the window asked: its incidents and the next deployment are looked up whatever it is."""
    settings = settings or workspace_settings(query.workspace_id)
    outcomes = deployment_outcomes(query, settings).subquery("outcomes")
    rows = select(
        bucket_index(outcomes.c.at, [window.end for window in windows]).label("window"),
        outcomes.c.failed,
        outcomes.c.unrecovered,
        outcomes.c.recovery_seconds,
    ).subquery("judged")
    found = aggregate(rows, keys=("window",), sums=("failed", "unrecovered"), durations=("recovery_seconds",))
    nothing = Aggregate(0, {"failed": 0, "unrecovered": 0}, {"recovery_seconds": DurationStats()})
    result = []
    for index, window in enumerate(windows):
        part = found.get((index,), nothing)
        deployments, failed = part.rows, part.sums["failed"]
        per_week = deployments * WEEK_SECONDS / (window.end - window.start).total_seconds()
        cfr = rate(failed, deployments)
        stats, unrecovered = part.stats["recovery_seconds"], part.sums["unrecovered"]
        result.append(ChangeFailure(deployments, failed, cfr, per_week, stats, unrecovered))
    return result


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class RelatedDeployment:
    id: int
    service_id: int
    service_name: str
    at: datetime
    summary: str
    url: str | None
    source: str


@dataclass(frozen=True)
class RelatedChanges:
    # "service": deployments on the incident's own service; "workspace": none there, so any service's;
    # "none": no deployment anywhere in the workspace in the look-back.
    scope: str
    deployments: list[RelatedDeployment]


def related_changes(workspace_id: int, incident_id: int, limit: int = 20) -> RelatedChanges | None:
    """Deployments in the 4 hours up to an incident's creation (inclusive at both ends, as CFR counts one at
    the same instant as the cause), newest first; None if the incident is not the workspace's."""
    incident = db.session.execute(
        select(Incident.service_id, Incident.created_at).where(
            Incident.id == incident_id, Incident.workspace_id == workspace_id
        )
    ).one_or_none()
    if incident is None:
        return None
    base = (
        select(Deployment, PDService.name)
        .join(PDService, PDService.id == Deployment.service_id)
        .where(
            Deployment.workspace_id == workspace_id,
            Deployment.at >= incident.created_at - RELATED_CHANGES_LOOKBACK,
            Deployment.at <= incident.created_at,
        )
        .order_by(Deployment.at.desc(), Deployment.id.desc())
        .limit(limit)
    )
    for scope, statement in (
        ("service", base.where(Deployment.service_id == incident.service_id)),
        ("workspace", base),
    ):
        rows = db.session.execute(statement).all()
        if rows:
            related = [
                RelatedDeployment(d.id, d.service_id, name, d.at, d.summary, d.url, str(d.source))
                for d, name in rows
            ]
            return RelatedChanges(scope, related)
    return RelatedChanges("none", [])
