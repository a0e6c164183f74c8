"""The incident list: its filters, all in the query string (so a filtered list is a link), and its SQL.

The filters are the metric population's (app/analytics/population.py) plus status, a title search, excluded
incidents, the order and the page. Pages are by offset, fine for the few thousand incidents a window holds;
the CSV export streams the whole filtered set instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from app.analytics.filters import incident_conditions
from app.analytics.population import Choices, Population, parse_population
from app.analytics.query import MetricQuery
from app.extensions import db
from app.inputs import parse_int
from app.models import Incident, PDService

STATUSES = ("triggered", "acknowledged", "resolved")
SORTS = {"newest": "Newest first", "tta": "Slowest to acknowledge", "ttr": "Slowest to resolve"}


@dataclass(frozen=True)
class IncidentFilters(Population):
    statuses: tuple[str, ...] = ()
    search: str = ""
    show_excluded: bool = False
    sort: str = "newest"
    page: int = 1

    def params(self, **changes: Any) -> dict[str, Any]:
        """The query string for this filter set with `changes` applied: page links and the CSV link."""
        values = super().params()
        values.update(
            status=list(self.statuses),
            q=self.search or None,
            excluded="1" if self.show_excluded else None,
            sort=self.sort if self.sort != "newest" else None,
            page=self.page if self.page > 1 else None,
        )
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, [], "")}


def parse_filters(args: MultiDict[str, str], choices: Choices) -> IncidentFilters:
    """Unknown or malformed values are dropped (a hand-edited URL still shows a list) and reported."""
    return IncidentFilters(
        **vars(parse_population(args, choices)),
        statuses=tuple(s for s in args.getlist("status") if s in STATUSES),
        search=(args.get("q") or "").strip()[:200],
        show_excluded=args.get("excluded") in {"1", "on", "true"},
        sort=args.get("sort") if args.get("sort") in SORTS else "newest",
        page=max(1, min(parse_int(args.get("page")) or 1, 10_000)),
    )


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
