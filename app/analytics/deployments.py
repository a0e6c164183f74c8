"""Deployments, Change Failure Rate, failed-deployment recovery time and an incident's related changes.

A deployment on service S *failed* if an incident on S (not excluded, passing the query's urgency and
priority filters) was created in [deploy, min(next deploy on S, deploy + attribution window)). Each deployment
is a 0/1 flag, so two incidents after one deployment count once and CFR can never pass 100 %.

Indexes: the deployments in the window come from ix_deployments_ws_at (workspace_id, at); "the next deployment
on S" is a seek on ix_deployments_service_at (service_id, at); the incidents after a deployment are a range on
ix_incidents_ws_service_created (workspace_id, service_id, created_at).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, and_, case, false, func, literal, or_, select, true
from sqlalchemy.orm import aliased

from app.analytics.filters import deployment_conditions, incident_attribute_conditions
from app.analytics.percentiles import DurationStats, is_postgresql, single_stats, stats_columns, stats_of
from app.analytics.query import MetricQuery, WorkspaceSettings, workspace_settings
from app.analytics.sqlfuncs import add_seconds, seconds_between
from app.extensions import db
from app.models import Deployment, Incident, PDService

RELATED_CHANGES_LOOKBACK = timedelta(hours=4)
_WEEK_SECONDS = 7 * 24 * 3600


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
        # LATERAL: one range of ix_incidents_ws_service_created per deployment, whatever the statistics say.
        # (As a join, fresh statistics once led PostgreSQL to merge-join every incident of the workspace
        # against the deployments: 22 s instead of 20 ms.)
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
    settings = settings or workspace_settings(query.workspace_id)
    outcomes = deployment_outcomes(query, settings).subquery("outcomes")
    counted = [
        func.count().label("deployments"),
        func.coalesce(func.sum(outcomes.c.failed), 0).label("failed"),
        func.coalesce(func.sum(outcomes.c.unrecovered), 0).label("unrecovered"),
    ]
    if is_postgresql():
        # One pass over the outcomes; recovery_seconds is NULL unless the deployment failed and recovered.
        row = db.session.execute(
            select(*counted, *stats_columns(outcomes.c.recovery_seconds, "recovery"))
        ).one()
        recovery = stats_of(row, "recovery")
    else:
        row = db.session.execute(select(*counted)).one()
        recovery = single_stats(
            select(outcomes.c.recovery_seconds.label("value")).where(outcomes.c.failed == 1).subquery()
        )
    return _change_failure_of(row, recovery, query)


def _change_failure_of(row: Any, recovery: DurationStats, query: MetricQuery) -> ChangeFailure:
    deployments, failed = int(row.deployments or 0), int(row.failed or 0)
    return ChangeFailure(
        deployment_count=deployments,
        failed_deployment_count=failed,
        change_failure_rate=rate(failed, deployments),
        deployments_per_week=deployments * _WEEK_SECONDS / query.duration.total_seconds(),
        recovery=recovery,
        unrecovered_count=int(row.unrecovered or 0),
    )


def change_failure_beside(
    query: MetricQuery, previous: MetricQuery, settings: WorkspaceSettings | None = None
) -> tuple[ChangeFailure, ChangeFailure]:
    """change_failure of a window and of the window just before it; on PostgreSQL in one pass over both. A
    deployment's outcome does not depend on the window asked (its incidents and the next deployment are
    looked up whatever the window), so the two windows' deployments can be judged together and grouped."""
    settings = settings or workspace_settings(query.workspace_id)
    adjacent = previous.end == query.start and replace(previous, start=query.start, end=query.end) == query
    if not is_postgresql() or not adjacent:
        return change_failure(query, settings), change_failure(previous, settings)
    both = replace(query, start=previous.start)
    outcomes = deployment_outcomes(both, settings).subquery("outcomes")
    current = (outcomes.c.at >= query.start).label("current")
    rows = db.session.execute(
        select(
            current,
            func.count().label("deployments"),
            func.sum(outcomes.c.failed).label("failed"),
            func.sum(outcomes.c.unrecovered).label("unrecovered"),
            *stats_columns(outcomes.c.recovery_seconds, "recovery"),
        ).group_by(current)
    ).all()
    by_window = {bool(row.current): row for row in rows}
    nothing = {"deployments": 0, "failed": 0, "unrecovered": 0, "recovery_n": 0}

    def of(is_current: bool, window: MetricQuery) -> ChangeFailure:
        row = by_window.get(is_current)
        if row is None:
            return _change_failure_of(SimpleNamespace(**nothing), DurationStats(), window)
        return _change_failure_of(row, stats_of(row, "recovery"), window)

    return of(True, query), of(False, previous)


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
    """Deployments in the 4 hours up to an incident's creation (inclusive at both ends, as CFR counts a
    deployment at the same instant as the cause), newest first.

    None if the incident is not the workspace's.
    """
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
            return RelatedChanges(scope, [_related(deployment, name) for deployment, name in rows])
    return RelatedChanges("none", [])


def _related(deployment: Deployment, service_name: str) -> RelatedDeployment:
    return RelatedDeployment(
        id=deployment.id,
        service_id=deployment.service_id,
        service_name=service_name,
        at=deployment.at,
        summary=deployment.summary,
        url=deployment.url,
        source=str(deployment.source),
    )
