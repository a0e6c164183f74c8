"""The incident list's filters: the population (app/analytics/population.py) plus status, a title search,
excluded incidents, the order and the page, all in the query string (so a filtered list is a link)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from app.analytics.population import Choices, Population, parse_population
from app.inputs import parse_int

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
