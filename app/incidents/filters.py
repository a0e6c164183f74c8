"""The incident list's filters, read from the query string (so a filtered list is a link) into a value."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from app.analytics.filters_form import MAX_CUSTOM_DAYS
from app.analytics.query import MetricQuery
from app.inputs import parse_id, parse_int, typed_date
from app.models import Workspace
from app.models.incidents import PRIORITY_LENGTH

PRESETS = (7, 30, 90)
STATUSES = ("triggered", "acknowledged", "resolved")
URGENCIES = ("high", "low")
SORTS = {"newest": "Newest first", "tta": "Slowest to acknowledge", "ttr": "Slowest to resolve"}
NO_PRIORITY = "none"


@dataclass(frozen=True)
class IncidentFilters:
    days: int = 30
    start: date | None = None  # local dates, both inclusive as the form shows them
    end: date | None = None
    services: tuple[int, ...] = ()
    teams: tuple[int, ...] = ()
    urgencies: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()  # names; NO_PRIORITY stands for "no priority"
    statuses: tuple[str, ...] = ()
    search: str = ""
    show_excluded: bool = False
    sort: str = "newest"
    page: int = 1
    errors: list[str] = field(default_factory=list, compare=False)

    @property
    def custom_window(self) -> bool:
        return self.start is not None and self.end is not None

    def metric_query(self, workspace: Workspace, now: datetime | None = None) -> MetricQuery:
        priorities = tuple(None if p == NO_PRIORITY else p for p in self.priorities)
        filters: dict[str, Any] = {
            "services": self.services,
            "teams": self.teams,
            "urgencies": self.urgencies,
            "priorities": priorities,
        }
        if self.start is not None and self.end is not None:
            return MetricQuery.for_dates(workspace, self.start, self.end + timedelta(days=1), **filters)
        return MetricQuery.last_days(workspace, self.days, now=now, **filters)

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string for this filter set with `changes` applied: page links and the CSV link."""
        values: dict[str, Any] = {
            "days": "custom" if self.custom_window else self.days,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "service": list(self.services),
            "team": list(self.teams),
            "urgency": list(self.urgencies),
            "priority": list(self.priorities),
            "status": list(self.statuses),
            "q": self.search or None,
            "excluded": "1" if self.show_excluded else None,
            "sort": self.sort if self.sort != "newest" else None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, [], "")}


def parse_filters(args: MultiDict[str, str]) -> IncidentFilters:
    """Unknown or malformed values are dropped (a hand-edited URL still shows a list) and reported."""
    errors: list[str] = []
    raw_days = args.get("days") or "custom"
    days = _int(raw_days) or 30
    if days not in PRESETS:
        days = 30
    start = end = None  # a preset chosen in the form wins over dates left in the URL
    if raw_days == "custom":
        start, end = _date(args.get("start"), errors), _date(args.get("end"), errors)
    if (start is None) != (end is None) or (start and end and end < start):
        if raw_days == "custom" and (args.get("start") or args.get("end")) and not errors:
            errors.append("Pick both a start and an end date, the end on or after the start.")
        start = end = None
    elif start and end and (end - start).days + 1 > MAX_CUSTOM_DAYS:
        # The dashboard's limit, so its link to the excluded incidents of any window it shows lands here.
        errors.append("A custom window may span at most two years.")
        start = end = None
    return IncidentFilters(
        days=days,
        start=start,
        end=end,
        services=_ints(args.getlist("service")),
        teams=_ints(args.getlist("team")),
        urgencies=tuple(u for u in args.getlist("urgency") if u in URGENCIES),
        priorities=tuple(p[:PRIORITY_LENGTH] for p in args.getlist("priority") if p),
        statuses=tuple(s for s in args.getlist("status") if s in STATUSES),
        search=(args.get("q") or "").strip()[:200],
        show_excluded=args.get("excluded") in {"1", "on", "true"},
        sort=args.get("sort") if args.get("sort") in SORTS else "newest",
        page=max(1, min(_int(args.get("page")) or 1, 10_000)),
        errors=errors,
    )


def _int(value: str | None) -> int | None:
    return parse_int(value)


def _ints(values: list[str]) -> tuple[int, ...]:
    return tuple(sorted({n for n in (parse_id(v) for v in values) if n is not None}))


def _date(value: str | None, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return typed_date(value)
    except ValueError as exc:
        if str(exc) not in errors:
            errors.append(str(exc))
        return None
