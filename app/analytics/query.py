"""What a metric is asked about (`MetricQuery`: one workspace, a window and the population filters, a plain
value every caller builds the same way and can cache on) and the workspace's own knobs (`WorkspaceSettings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select

from app.analytics import windows
from app.extensions import db
from app.models import PagerDutyAccount, Workspace
from app.models.types import utcnow


@dataclass(frozen=True)
class MetricQuery:
    """Incidents of `workspace_id` created in [start, end) (aware datetimes), seen in zone `tz`. Empty filters
    mean "no filter"; `services`, when given, replace the *selected* services; None in `priorities` stands
    for "no priority"."""

    workspace_id: int
    start: datetime
    end: datetime
    tz: str = "UTC"
    services: tuple[int, ...] = ()
    teams: tuple[int, ...] = ()
    urgencies: tuple[str, ...] = ()
    priorities: tuple[str | None, ...] = ()

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a window needs aware datetimes")
        if self.end <= self.start:
            raise ValueError("a window must end after it starts")
        ZoneInfo(self.tz)  # fail here, not halfway through a dashboard

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> MetricQuery:
        """The same filters over the window of equal length just before this one (windows.previous_window)."""
        return self.with_window(*windows.previous_window(self.start, self.end, self.zone))

    def with_window(self, start: datetime, end: datetime) -> MetricQuery:
        return replace(self, start=start, end=end)

    @classmethod
    def for_dates(
        cls, workspace: Workspace, start: date, end: date, tz: str | None = None, **filters: tuple[Any, ...]
    ) -> MetricQuery:
        """Local dates in the workspace's zone, end exclusive: (2024-03-01, 2024-04-01) is March."""
        zone_name = tz or workspace.timezone
        first, last = windows.days_window(start, end, ZoneInfo(zone_name))
        return cls(workspace.id, first, last, zone_name, **filters)

    @classmethod
    def last_days(
        cls,
        workspace: Workspace,
        days: int = 30,
        now: datetime | None = None,
        tz: str | None = None,
        **filters: tuple[Any, ...],
    ) -> MetricQuery:
        """Presets "last 7/30/90 days": whole local days ending with today."""
        zone_name = tz or workspace.timezone
        first, last = windows.last_days_window(days, ZoneInfo(zone_name), now or utcnow())
        return cls(workspace.id, first, last, zone_name, **filters)


@dataclass(frozen=True)
class WorkspaceSettings:
    timezone: str = "UTC"
    business_day_start: int = 8
    business_day_end: int = 18
    business_days: tuple[int, ...] = field(default=(1, 2, 3, 4, 5))
    cfr_attribution_hours: int = 24

    @property
    def business_hours_label(self) -> str:
        """'08-18 Mon-Fri' (with en dashes), or '07-19 Mon, Wed, Sat' for days that are not one run."""
        days = sorted(self.business_days)
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            named = f"{_DAY_NAMES[days[0]]}{_EN_DASH}{_DAY_NAMES[days[-1]]}"
        else:
            named = ", ".join(_DAY_NAMES[day] for day in days)
        return f"{self.business_day_start:02d}{_EN_DASH}{self.business_day_end:02d} {named}"


_EN_DASH = "\u2013"
_DAY_NAMES = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}


def workspace_settings(workspace_id: int) -> WorkspaceSettings:
    row = db.session.execute(
        select(
            Workspace.timezone,
            Workspace.business_day_start,
            Workspace.business_day_end,
            Workspace.business_days,
            Workspace.cfr_attribution_hours,
        ).where(Workspace.id == workspace_id)
    ).one()
    return WorkspaceSettings(
        timezone=row.timezone,
        business_day_start=row.business_day_start,
        business_day_end=row.business_day_end,
        business_days=tuple(int(day) for day in row.business_days.split(",") if day.strip()),
        cfr_attribution_hours=row.cfr_attribution_hours,
    )


def has_linked_account(workspace_id: int) -> bool:
    """Whether the workspace ever linked PagerDuty: an unlinked account whose data was kept still counts."""
    return bool(db.session.scalar(select(exists().where(PagerDutyAccount.workspace_id == workspace_id))))
