"""Which incidents a figure is about: a window, services, teams, urgencies and priorities.

One value (`Population`), one parser for a page's query string (`parse_population`), one set of constants:
the dashboard (`DashboardFilters`), the report and the incident list parse it here; the JSON API and alert
rules build the same value from their own inputs. A page parses leniently: a bad value is dropped with a
message and the default takes its place, so a hand-edited or stale link still shows a page. Only ids of the
workspace's own rows survive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.analytics.query import MetricQuery
from app.extensions import db
from app.inputs import parse_id, parse_int, typed_date
from app.models import PDPriority, PDService, PDTeam, Workspace

PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years, a leap day included: a longer window is a scan of the whole history
URGENCIES = ("high", "low")
NO_PRIORITY = "none"  # "no priority" in a query string
# The dashboard's breakdown tables: what they sort by.
SORT_KEYS = ("name", "incidents", "unresolved", "escalation", "mtta", "mttr")
DEFAULT_SORT = "-incidents"


@dataclass(frozen=True)
class Choice:
    id: int
    name: str


@dataclass(frozen=True)
class Choices:
    """What a workspace's filters may name: its services, its teams, the priority names synced for it."""

    services: list[Choice]
    teams: list[Choice]
    priorities: list[str]

    @classmethod
    def of(cls, workspace: Workspace) -> Choices:
        def named(model: type[PDService] | type[PDTeam]) -> list[Choice]:
            rows = select(model.id, model.name).where(model.workspace_id == workspace.id).order_by(model.name)
            return [Choice(row.id, row.name) for row in db.session.execute(rows)]

        # Most urgent first; two linked accounts may share a name.
        priorities = db.session.scalars(
            select(PDPriority.name)
            .where(PDPriority.workspace_id == workspace.id)
            .group_by(PDPriority.name)
            .order_by(func.min(PDPriority.rank), PDPriority.name)
        )
        return cls(named(PDService), named(PDTeam), list(priorities))


@dataclass(frozen=True)
class Population:
    days: int | None = DEFAULT_DAYS  # a preset; None for a custom window
    start: date | None = None  # local dates of a custom window, the end exclusive
    end: date | None = None
    services: tuple[int, ...] = ()  # none: the selected services
    teams: tuple[int, ...] = ()
    urgencies: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()  # names; NO_PRIORITY stands for "no priority"
    messages: list[str] = field(default_factory=list, compare=False)  # what the parser dropped

    @property
    def custom(self) -> bool:
        return self.start is not None and self.end is not None

    def filters(self) -> dict[str, tuple[Any, ...]]:
        """The population as MetricQuery takes it (None for "no priority")."""
        return {
            "services": self.services,
            "teams": self.teams,
            "urgencies": self.urgencies,
            "priorities": tuple(None if name == NO_PRIORITY else name for name in self.priorities),
        }

    def query(self, workspace: Workspace, now: datetime | None = None) -> MetricQuery:
        if self.start is not None and self.end is not None:
            return MetricQuery.for_dates(workspace, self.start, self.end, **self.filters())
        return MetricQuery.last_days(workspace, self.days or DEFAULT_DAYS, now=now, **self.filters())

    def between(self, workspace_id: int, start: datetime, end: datetime, tz: str) -> MetricQuery:
        """Over [start, end) instead of the population's own window (an alert rule's last N minutes)."""
        return MetricQuery(workspace_id, start, end, tz, **self.filters())

    def params(self) -> dict[str, Any]:
        """Query-string values for url_for: only what differs from the defaults."""
        values: dict[str, Any] = {}
        if self.start and self.end:
            values["start"], values["end"] = self.start.isoformat(), self.end.isoformat()
        elif self.days != DEFAULT_DAYS:
            values["range"] = self.days
        values.update(
            service=list(self.services),
            team=list(self.teams),
            urgency=list(self.urgencies),
            priority=list(self.priorities),
        )
        return {key: value for key, value in values.items() if value not in (None, [])}


def parse_population(args: MultiDict[str, str], choices: Choices) -> Population:
    """`range` (a preset) or `start` and `end`, then `service`, `team`, `urgency` and `priority`, each
    repeated for several values."""
    messages: list[str] = []
    days, start, end = _window(args, messages)
    urgencies = tuple(dict.fromkeys(u for u in args.getlist("urgency") if u in URGENCIES))
    unknown = [u.strip() for u in args.getlist("urgency") if u.strip() and u not in URGENCIES]
    if unknown:
        messages.append(f"Unknown urgency “{unknown[0][:20]}”: showing all urgencies.")
    return Population(
        days=days,
        start=start,
        end=end,
        services=_ids(args.getlist("service"), choices.services, "service", messages),
        teams=_ids(args.getlist("team"), choices.teams, "team", messages),
        urgencies=urgencies,
        priorities=_priorities(args.getlist("priority"), choices.priorities, messages),
        messages=messages,
    )


def _window(args: MultiDict[str, str], messages: list[str]) -> tuple[int | None, date | None, date | None]:
    start_text, end_text = args.get("start", "").strip(), args.get("end", "").strip()
    # `days`: the incident list's preset before it shared this query string, so old links keep working.
    range_text = (args.get("range") or args.get("days") or "").strip()
    preset = parse_int(range_text)
    fallback = (DEFAULT_DAYS, None, None)
    # An explicit preset wins over dates left in the form from an earlier custom window.
    if (start_text or end_text) and preset not in PRESETS:
        if not (start_text and end_text):
            messages.append("Pick both a start and an end date: showing the last 30 days.")
            return fallback
        try:
            start, end = typed_date(start_text), typed_date(end_text)
        except ValueError as exc:
            messages.append(f"{exc} Showing the last 30 days.")
            return fallback
        if end <= start:
            messages.append("The end date must be after the start date: showing the last 30 days.")
        elif end - start > timedelta(days=MAX_DAYS):
            messages.append("A custom window may span at most two years: showing the last 30 days.")
        else:
            return None, start, end
        return fallback
    if range_text == "custom":
        messages.append("Pick a start and an end date for a custom window: showing the last 30 days.")
    elif preset in PRESETS:
        return preset, None, None
    elif range_text:
        messages.append(f"Unknown range “{range_text[:20]}”: showing the last 30 days.")
    return fallback


def _ids(values: list[str], choices: list[Choice], kind: str, messages: list[str]) -> tuple[int, ...]:
    """Only ids of this workspace's rows survive; another workspace's id is dropped like a typo."""
    known = {choice.id for choice in choices}
    kept = tuple(dict.fromkeys(n for n in (parse_id(value) for value in values) if n in known))
    dropped = sum(1 for value in values if value.strip() and parse_id(value) not in known)
    if dropped:
        messages.append(f"Ignored {dropped} unknown {kind}{'s' if dropped > 1 else ''} in the filter.")
    return kept


def _priorities(values: list[str], known: list[str], messages: list[str]) -> tuple[str, ...]:
    """Synced priority names, or NO_PRIORITY; anything else is dropped with a message."""
    allowed = {*known, NO_PRIORITY}
    kept = tuple(dict.fromkeys(value for value in values if value in allowed))
    dropped = len({value for value in values if value.strip() and value not in allowed})
    if dropped:
        messages.append(f"Ignored {dropped} unknown priorit{'ies' if dropped > 1 else 'y'} in the filter.")
    return kept


@dataclass(frozen=True)
class DashboardFilters(Population):
    """The dashboard's filter bar: the population plus how its two breakdown tables are sorted."""

    service_sort: str = DEFAULT_SORT
    team_sort: str = DEFAULT_SORT

    def params(self, **overrides: Any) -> dict[str, Any]:
        """Normalised query-string values (only what differs from the defaults), for url_for."""
        sorts = {"service_sort": self.service_sort, "team_sort": self.team_sort}
        values = {**super().params(), **{k: v for k, v in sorts.items() if v != DEFAULT_SORT}, **overrides}
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
