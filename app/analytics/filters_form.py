"""The dashboard's filter bar: the population (app/analytics/population.py) plus how its two breakdown tables
are sorted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from app.analytics.population import Choices, Population, parse_population

SORT_KEYS = ("name", "incidents", "unresolved", "escalation", "mtta", "mttr")
DEFAULT_SORT = "-incidents"


@dataclass(frozen=True)
class DashboardFilters(Population):
    service_sort: str = DEFAULT_SORT
    team_sort: str = DEFAULT_SORT

    def params(self, **overrides: Any) -> dict[str, Any]:
        """Normalised query-string values (only what differs from the defaults), for url_for."""
        values = super().params()
        if self.service_sort != DEFAULT_SORT:
            values["service_sort"] = self.service_sort
        if self.team_sort != DEFAULT_SORT:
            values["team_sort"] = self.team_sort
        values.update(overrides)
        return {key: value for key, value in values.items() if value is not None}


def parse_filters(args: MultiDict[str, str], choices: Choices) -> DashboardFilters:
    population = parse_population(args, choices)
    return DashboardFilters(
        **vars(population),
        service_sort=_sort(args.get("service_sort"), population.messages),
        team_sort=_sort(args.get("team_sort"), population.messages),
    )


def _sort(value: str | None, messages: list[str]) -> str:
    if not value:
        return DEFAULT_SORT
    if value.removeprefix("-") in SORT_KEYS:
        return value
    messages.append(f"Unknown sort “{value[:20]}”: sorted by incidents.")
    return DEFAULT_SORT
