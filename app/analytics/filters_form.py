"""The dashboard's filter bar: query-string arguments -> a validated MetricQuery, and back to a shareable URL.

Bad values never fail the request: each one is dropped with a message and the default takes its place, so a
hand-edited or stale link still shows a dashboard.
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
MAX_CUSTOM_DAYS = 731
URGENCIES = ("high", "low")
SORT_KEYS = ("name", "incidents", "unresolved", "escalation", "mtta", "mttr")
DEFAULT_SORT = "-incidents"
# Stands for "no priority" in the URL, as in the incident list (app/incidents/filters.py).
NO_PRIORITY = "none"


@dataclass(frozen=True)
class Choice:
    id: int
    name: str


@dataclass
class DashboardFilters:
    days: int | None = DEFAULT_DAYS  # None when a custom window is used
    start: date | None = None
    end: date | None = None  # exclusive
    services: tuple[int, ...] = ()
    teams: tuple[int, ...] = ()
    urgency: str | None = None
    priorities: tuple[str, ...] = ()  # names; NO_PRIORITY stands for "no priority"
    service_sort: str = DEFAULT_SORT
    team_sort: str = DEFAULT_SORT
    messages: list[str] = field(default_factory=list)

    @property
    def custom(self) -> bool:
        return self.days is None

    def query(self, workspace: Workspace, now: datetime | None = None) -> MetricQuery:
        filters: dict[str, tuple[Any, ...]] = {
            "services": self.services,
            "teams": self.teams,
            "urgencies": (self.urgency,) if self.urgency else (),
            "priorities": self.priority_names(),
        }
        if self.start is not None and self.end is not None:
            return MetricQuery.for_dates(workspace, self.start, self.end, **filters)
        return MetricQuery.last_days(workspace, self.days or DEFAULT_DAYS, now=now, **filters)

    def priority_names(self) -> tuple[str | None, ...]:
        """The priorities as MetricQuery takes them: None for "no priority"."""
        return tuple(None if name == NO_PRIORITY else name for name in self.priorities)

    def incident_list_args(self) -> dict[str, Any]:
        """The incident list's query string for this window and population, with excluded incidents shown: its
        custom dates are both inclusive, ours end exclusive."""
        values: dict[str, Any] = {"excluded": "1"}
        if self.custom and self.start and self.end:
            values.update(days="custom", start=self.start.isoformat())
            values["end"] = (self.end - timedelta(days=1)).isoformat()
        else:
            values["days"] = self.days
        values.update(
            service=list(self.services),
            team=list(self.teams),
            urgency=self.urgency,
            priority=list(self.priorities),
        )
        return {key: value for key, value in values.items() if value not in (None, [])}

    def params(self, **overrides: Any) -> dict[str, Any]:
        """Normalised query-string values (only what differs from the defaults), for url_for."""
        values: dict[str, Any] = {}
        if self.custom and self.start and self.end:
            values["start"], values["end"] = self.start.isoformat(), self.end.isoformat()
        elif self.days != DEFAULT_DAYS:
            values["range"] = self.days
        if self.services:
            values["service"] = list(self.services)
        if self.teams:
            values["team"] = list(self.teams)
        if self.urgency:
            values["urgency"] = self.urgency
        if self.priorities:
            values["priority"] = list(self.priorities)
        if self.service_sort != DEFAULT_SORT:
            values["service_sort"] = self.service_sort
        if self.team_sort != DEFAULT_SORT:
            values["team_sort"] = self.team_sort
        values.update(overrides)
        return {key: value for key, value in values.items() if value is not None}


def parse_filters(
    args: MultiDict[str, str], services: list[Choice], teams: list[Choice], priorities: list[str]
) -> DashboardFilters:
    """`services` / `teams` / `priorities` are the current workspace's choices (service_choices /
    team_choices / priority_choices)."""
    filters = DashboardFilters()
    _parse_window(args, filters)
    filters.services = _ids(args.getlist("service"), services, "service", filters.messages)
    filters.teams = _ids(args.getlist("team"), teams, "team", filters.messages)
    urgency = args.get("urgency", "").strip()
    if urgency in URGENCIES:
        filters.urgency = urgency
    elif urgency:
        filters.messages.append(f"Unknown urgency “{urgency[:20]}”: showing all urgencies.")
    filters.priorities = _priorities(args.getlist("priority"), priorities, filters.messages)
    filters.service_sort = _sort(args.get("service_sort"), filters.messages)
    filters.team_sort = _sort(args.get("team_sort"), filters.messages)
    return filters


def _parse_window(args: MultiDict[str, str], filters: DashboardFilters) -> None:
    start_text, end_text = args.get("start", "").strip(), args.get("end", "").strip()
    range_text = args.get("range", "").strip()
    preset = parse_int(range_text)
    # An explicit preset wins over dates left in the form from an earlier custom window.
    if (start_text or end_text) and preset not in PRESETS:
        if not (start_text and end_text):
            filters.messages.append("Pick both a start and an end date: showing the last 30 days.")
            return
        try:
            start, end = typed_date(start_text), typed_date(end_text)
        except ValueError as exc:
            filters.messages.append(f"{exc} Showing the last 30 days.")
            return
        if end <= start:
            filters.messages.append("The end date must be after the start date: showing the last 30 days.")
        elif end - start > timedelta(days=MAX_CUSTOM_DAYS):
            filters.messages.append("A custom window may span at most two years: showing the last 30 days.")
        else:
            filters.days, filters.start, filters.end = None, start, end
        return
    if range_text == "custom":
        filters.messages.append("Pick a start and an end date for a custom window: showing the last 30 days.")
        return
    if not range_text:
        return
    if preset in PRESETS:
        filters.days = preset
    else:
        filters.messages.append(f"Unknown range “{range_text[:20]}”: showing the last 30 days.")


def _ids(values: list[str], choices: list[Choice], kind: str, messages: list[str]) -> tuple[int, ...]:
    """Only ids of this workspace's rows survive; another workspace's id is dropped like a typo."""
    known = {choice.id for choice in choices}
    kept: list[int] = []
    dropped = 0
    for value in values:
        number = parse_id(value)
        if number in known:
            if number not in kept:
                kept.append(number)
        elif value.strip():
            dropped += 1
    if dropped:
        messages.append(f"Ignored {dropped} unknown {kind}{'s' if dropped > 1 else ''} in the filter.")
    return tuple(kept)


def _priorities(values: list[str], known: list[str], messages: list[str]) -> tuple[str, ...]:
    """Synced priority names, or NO_PRIORITY; anything else is dropped with a message."""
    allowed = {*known, NO_PRIORITY}
    kept = tuple(dict.fromkeys(value for value in values if value in allowed))
    dropped = len({value for value in values if value.strip() and value not in allowed})
    if dropped:
        messages.append(f"Ignored {dropped} unknown priorit{'ies' if dropped > 1 else 'y'} in the filter.")
    return kept


def _sort(value: str | None, messages: list[str]) -> str:
    if not value:
        return DEFAULT_SORT
    if value.removeprefix("-") in SORT_KEYS:
        return value
    messages.append(f"Unknown sort “{value[:20]}”: sorted by incidents.")
    return DEFAULT_SORT


def service_choices(workspace: Workspace) -> list[Choice]:
    rows = db.session.execute(
        select(PDService.id, PDService.name)
        .where(PDService.workspace_id == workspace.id)
        .order_by(PDService.name)
    )
    return [Choice(row.id, row.name) for row in rows]


def team_choices(workspace: Workspace) -> list[Choice]:
    rows = db.session.execute(
        select(PDTeam.id, PDTeam.name).where(PDTeam.workspace_id == workspace.id).order_by(PDTeam.name)
    )
    return [Choice(row.id, row.name) for row in rows]


def priority_choices(workspace: Workspace) -> list[str]:
    """Priority names synced for the workspace, most urgent first; two linked accounts may share a name."""
    return list(
        db.session.scalars(
            select(PDPriority.name)
            .where(PDPriority.workspace_id == workspace.id)
            .group_by(PDPriority.name)
            .order_by(func.min(PDPriority.rank), PDPriority.name)
        )
    )
