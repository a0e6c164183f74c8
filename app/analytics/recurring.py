"""Recurring incidents: the same kind of incident (same service, same title template) again and again.

A group is (service, title template) with at least 3 incidents in the window's population. It is *frequent*
when it is at least 20 % of that service's incidents in the window (population filters applied to both), and
an *anomaly* when no incident of that service had that template in the 30 days before the window (any urgency,
priority or team, excluded incidents ignored): something new that is now repeating. Incidents whose template
is still empty (not yet filled by sync) are left out. Indexes: ix_incidents_ws_created for the window,
ix_incidents_ws_service_template_created for the look-back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import false, func, select
from sqlalchemy.orm import aliased

from app.analytics.filters import incident_conditions
from app.analytics.query import MetricQuery
from app.extensions import db
from app.models import Incident, PDService

MIN_GROUP_SIZE = 3
FREQUENT_SHARE = 0.2
ANOMALY_LOOKBACK = timedelta(days=30)


@dataclass(frozen=True)
class RecurringGroup:
    service_id: int
    service_name: str
    template: str
    count: int
    service_incident_count: int
    first_at: datetime
    last_at: datetime
    example_title: str
    anomaly: bool

    @property
    def share(self) -> float:
        return self.count / self.service_incident_count

    @property
    def frequent(self) -> bool:
        return is_frequent(self.count, self.service_incident_count)


def is_frequent(group_count: int, service_count: int) -> bool:
    # Compared in integers so 1 in 5 is exactly 20 % on every engine and in Python alike.
    return service_count > 0 and group_count * 5 >= service_count


def recurring_incidents(query: MetricQuery) -> list[RecurringGroup]:
    """Groups with ≥ 3 incidents, largest first."""
    # Every (service, template) pair of the window with its service's total beside it (a window sum over the
    # pairs, so the totals need no second pass); groups are then the pairs with a template and ≥ 3 incidents.
    pairs = (
        select(
            Incident.service_id,
            Incident.title_template,
            func.count().label("n"),
            func.min(Incident.created_at).label("first_at"),
            func.max(Incident.created_at).label("last_at"),
            func.max(Incident.title).label("example"),
        )
        .where(*incident_conditions(query))
        .group_by(Incident.service_id, Incident.title_template)
        .subquery("pairs")
    )
    with_totals = select(
        pairs, func.sum(pairs.c.n).over(partition_by=pairs.c.service_id).label("service_total")
    ).subquery("with_totals")
    rows = db.session.execute(
        select(with_totals, PDService.name.label("service_name"))
        .outerjoin(PDService, PDService.id == with_totals.c.service_id)
        .where(with_totals.c.title_template != "", with_totals.c.n >= MIN_GROUP_SIZE)
    ).all()
    if not rows:
        return []
    seen = _seen_before(query, {(row.service_id, row.title_template) for row in rows})
    result = [
        RecurringGroup(
            service_id=row.service_id,
            service_name=row.service_name or "",
            template=row.title_template,
            count=int(row.n),
            service_incident_count=int(row.service_total),
            first_at=row.first_at,
            last_at=row.last_at,
            example_title=row.example,
            anomaly=(row.service_id, row.title_template) not in seen,
        )
        for row in rows
    ]
    return sorted(result, key=lambda group: (-group.count, group.service_name, group.template))


def _seen_before(query: MetricQuery, keys: set[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (service, template) pairs had an incident in the 30 days before the window."""
    earlier = aliased(Incident)
    statement = (
        select(earlier.service_id, earlier.title_template)
        .where(
            earlier.workspace_id == query.workspace_id,
            earlier.excluded == false(),
            earlier.service_id.in_({service for service, _ in keys}),
            earlier.title_template.in_({template for _, template in keys}),
            earlier.created_at >= query.start - ANOMALY_LOOKBACK,
            earlier.created_at < query.start,
        )
        .distinct()
    )
    return {(row.service_id, row.title_template) for row in db.session.execute(statement)} & keys
