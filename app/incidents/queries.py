"""The incident list in SQL: the metric population's filters (app.analytics.filters) plus status, a title
search and the excluded toggle, one page at a time.

Pagination is by offset (LIMIT/OFFSET on the (workspace, created_at) index): fine for the few thousand
incidents a window holds; the CSV export streams the whole filtered set instead of paging it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import selectinload

from app.analytics.filters import incident_conditions
from app.analytics.query import MetricQuery
from app.extensions import db
from app.incidents.filters import IncidentFilters
from app.models import Incident, PagerDutyAccount, PDService

PAGE_SIZE = 50
CSV_BATCH = 500


@dataclass(frozen=True)
class IncidentPage:
    incidents: list[Incident]
    total: int
    page: int
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.incidents else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.incidents) - 1 if self.incidents else 0


def conditions(query: MetricQuery, filters: IncidentFilters) -> list[ColumnElement[bool]]:
    found = incident_conditions(query, include_excluded=filters.show_excluded)
    if filters.statuses:
        found.append(Incident.status.in_(filters.statuses))
    if filters.search:
        # LIKE wildcards in the search box are literal characters, not patterns.
        escaped = filters.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        found.append(Incident.title.ilike(f"%{escaped}%", escape="\\"))
    return found


def _ordered(statement: Select[Any], sort: str) -> Select[Any]:
    if sort == "tta":
        return statement.order_by(Incident.ack_seconds.desc().nulls_last(), Incident.id.desc())
    if sort == "ttr":
        return statement.order_by(Incident.resolve_seconds.desc().nulls_last(), Incident.id.desc())
    return statement.order_by(Incident.created_at.desc(), Incident.id.desc())


def incident_page(query: MetricQuery, filters: IncidentFilters) -> IncidentPage:
    where = conditions(query, filters)
    total = db.session.scalar(select(func.count()).select_from(Incident).where(*where)) or 0
    page = min(filters.page, max(1, -(-total // PAGE_SIZE)))
    statement = _ordered(select(Incident).options(selectinload(Incident.service)).where(*where), filters.sort)
    incidents = list(db.session.scalars(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return IncidentPage(incidents=incidents, total=total, page=page)


def export_rows(query: MetricQuery, filters: IncidentFilters) -> Iterator[Any]:
    """Every filtered incident with its service's name, fetched in server-side batches (never all at once)."""
    statement = _ordered(
        select(Incident, PDService.name.label("service_name"))
        .join(PDService, PDService.id == Incident.service_id)
        .where(*conditions(query, filters)),
        filters.sort,
    ).execution_options(yield_per=CSV_BATCH)
    yield from db.session.execute(statement)


def has_linked_account(workspace_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(PagerDutyAccount.workspace_id == workspace_id))))
