"""The population every metric is computed over, as SQL conditions (docs/metrics.md). A team filter reaches a
deployment through its service's teams. Every condition starts with `workspace_id = …`, so no function here
can ever read another workspace's rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true

from app.analytics.query import MetricQuery
from app.models import Deployment, Incident, PDService
from app.models.incidents import incident_teams
from app.models.pagerduty import service_teams


def service_condition(query: MetricQuery, column: Any) -> ColumnElement[bool]:
    """`column` (a service id) is one of the query's services: the named ones, else the selected ones."""
    if query.services:
        # Named services must still be the workspace's own: an id from another workspace matches nothing.
        return column.in_(
            select(PDService.id).where(
                PDService.workspace_id == query.workspace_id, PDService.id.in_(query.services)
            )
        )
    return column.in_(
        select(PDService.id).where(PDService.workspace_id == query.workspace_id, PDService.selected == true())
    )


def incident_conditions(query: MetricQuery, *, include_excluded: bool = False) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Incident.workspace_id == query.workspace_id,
        Incident.created_at >= query.start,
        Incident.created_at < query.end,
        *incident_attribute_conditions(query),
    ]
    if not include_excluded:
        conditions.append(Incident.excluded == false())
    return conditions


def incident_attribute_conditions(
    query: MetricQuery, services: bool = True, teams: bool = True
) -> list[ColumnElement[bool]]:
    """The filters that do not depend on time: services (unless the caller already pinned the service), teams,
    urgency, priority."""
    conditions = [service_condition(query, Incident.service_id)] if services else []
    if query.urgencies:
        conditions.append(Incident.urgency.in_(query.urgencies))
    if query.priorities:
        names = [name for name in query.priorities if name is not None]
        options: list[ColumnElement[bool]] = [Incident.priority.in_(names)] if names else []
        if None in query.priorities:
            options.append(Incident.priority.is_(None))
        conditions.append(or_(*options))
    if teams and query.teams:
        conditions.append(
            Incident.id.in_(
                select(incident_teams.c.incident_id).where(incident_teams.c.team_id.in_(query.teams))
            )
        )
    return conditions


def deployment_conditions(query: MetricQuery) -> list[ColumnElement[bool]]:
    conditions = [
        Deployment.workspace_id == query.workspace_id,
        Deployment.at >= query.start,
        Deployment.at < query.end,
        service_condition(query, Deployment.service_id),
    ]
    if query.teams:
        teams_services = select(service_teams.c.service_id).where(service_teams.c.team_id.in_(query.teams))
        conditions.append(Deployment.service_id.in_(teams_services))
    return conditions
