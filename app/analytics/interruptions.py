"""Interruptions: notifications that reach a person by SMS, phone or push, classed by the hour they arrived.

Definitions (docs/metrics.md, "Interruptions"):
- a notify log entry with channel sms, phone or push (PagerDuty's `*_notification` spellings too; never
  email);
- sent at a time in the window, for an incident that passes the query's filters (excluded incidents never
  count);
- one per person per 60 s: a person's notifications are taken in time order, the first counts, and each later
  one counts only if it came at least 60 s after the last one that counted;
- classed in the person's own time zone (PDUser.time_zone, else the workspace's): *business* inside business
  hours on a business day (workspace settings, default 08-18 Mon-Fri), else *sleep* from 22:00 to 08:00, else
  *off-hours* (so 18-22 on business days and the waking hours of other days).

Where it runs: each notification's local hour and weekday in the person's zone are stored on its log entry
when it is written and when that zone changes (local_times.py), so reading them is a CASE over two integers. A
row not filled yet is converted here instead, with the same per-zone table of UTC offsets
(windows.offset_spans, computed in Python, so DST is handled by zoneinfo and no engine time-zone function is
needed); COALESCE evaluates that conversion only for such a row. The 60-second rule is a chain, which
set-based SQL cannot follow in general; so SQL cuts each person's notifications into bursts (a burst ends at a
gap of 60 s or more), counts each burst shorter than 60 s as one interruption of the class of its first
notification, and returns only the rare bursts of 60 s or more, whose rows the pure `counted_indices` walks.
Index: ix_log_entries_ws_type_at (workspace_id, type, at).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, case, false, func, literal, or_, select

from app.analytics.filters import incident_attribute_conditions
from app.analytics.query import MetricQuery, WorkspaceSettings, workspace_settings
from app.analytics.sqlfuncs import add_seconds, shifted_hour, shifted_isoweekday
from app.analytics.windows import offset_spans
from app.extensions import db
from app.models import Incident, IncidentLogEntry, LogEntryType, PDUser

INTERRUPTING_CHANNELS = (
    "sms",
    "phone",
    "push",
    "sms_notification",
    "phone_notification",
    "push_notification",
)
BURST_GAP = timedelta(seconds=60)
SLEEP_START_HOUR = 22
SLEEP_END_HOUR = 8


class InterruptionClass(enum.StrEnum):
    BUSINESS = "business"
    OFF_HOURS = "off_hours"
    SLEEP = "sleep"


@dataclass(frozen=True)
class Interruptions:
    business: int = 0
    off_hours: int = 0
    sleep: int = 0

    @property
    def total(self) -> int:
        return self.business + self.off_hours + self.sleep

    def __add__(self, other: Interruptions) -> Interruptions:
        return Interruptions(
            self.business + other.business, self.off_hours + other.off_hours, self.sleep + other.sleep
        )

    def to_dict(self) -> dict[str, int]:
        return {"business": self.business, "off_hours": self.off_hours, "sleep": self.sleep}


def classify(local_hour: int, isoweekday: int, settings: WorkspaceSettings) -> InterruptionClass:
    """The class of a notification that arrived at `local_hour` on ISO weekday `isoweekday`, local time."""
    if (
        isoweekday in settings.business_days
        and settings.business_day_start <= local_hour < settings.business_day_end
    ):
        return InterruptionClass.BUSINESS
    if local_hour >= SLEEP_START_HOUR or local_hour < SLEEP_END_HOUR:
        return InterruptionClass.SLEEP
    return InterruptionClass.OFF_HOURS


def counted_indices(times: Sequence[datetime], gap: timedelta = BURST_GAP) -> list[int]:
    """Which of one person's notifications (in time order) count: the first, then each one at least `gap`
    after the last counted one."""
    counted: list[int] = []
    last: datetime | None = None
    for index, at in enumerate(times):
        if last is None or at - last >= gap:
            counted.append(index)
            last = at
    return counted


def class_case(hour: Any, weekday: Any, settings: WorkspaceSettings) -> ColumnElement[str]:
    """`classify` as SQL; the two must agree (tests check every hour of the week against each other)."""
    return case(
        (
            and_(
                weekday.in_(settings.business_days),
                hour >= settings.business_day_start,
                hour < settings.business_day_end,
            ),
            literal(InterruptionClass.BUSINESS.value),
        ),
        (or_(hour >= SLEEP_START_HOUR, hour < SLEEP_END_HOUR), literal(InterruptionClass.SLEEP.value)),
        else_=literal(InterruptionClass.OFF_HOURS.value),
    )


def interruptions(query: MetricQuery, settings: WorkspaceSettings | None = None) -> Interruptions:
    total = Interruptions()
    for per_user in interruptions_by_user(query, settings).values():
        total += per_user
    return total


def interruptions_by_user(
    query: MetricQuery, settings: WorkspaceSettings | None = None
) -> dict[int, Interruptions]:
    settings = settings or workspace_settings(query.workspace_id)
    entry = IncidentLogEntry
    offset = _user_offset(query, settings, entry.at)
    ordering = (entry.at, entry.id)
    notes = (
        select(
            entry.id,
            entry.user_id,
            entry.at,
            # The stored local time (local_times.py); computing it here only for a row not filled yet.
            class_case(
                func.coalesce(entry.local_hour, shifted_hour(entry.at, offset)),
                func.coalesce(entry.local_isoweekday, shifted_isoweekday(entry.at, offset)),
                settings,
            ).label("cls"),
            func.lag(entry.at).over(partition_by=entry.user_id, order_by=ordering).label("prev_at"),
        )
        .join(Incident, Incident.id == entry.incident_id)
        .join(PDUser, PDUser.id == entry.user_id)
        .where(
            entry.workspace_id == query.workspace_id,
            entry.type == LogEntryType.NOTIFY.value,
            entry.at >= query.start,
            entry.at < query.end,
            entry.channel.in_(INTERRUPTING_CHANNELS),
            Incident.workspace_id == query.workspace_id,
            Incident.excluded == false(),
            *incident_attribute_conditions(query),
        )
        .subquery("notes")
    )
    starts_burst = or_(notes.c.prev_at.is_(None), notes.c.at >= add_seconds(notes.c.prev_at, literal(60)))
    ordering = (notes.c.at, notes.c.id)
    # Each row learns when its burst started (the latest burst start so far: starts only move forward in
    # time, so the start time also names the burst) ...
    marked = select(
        notes.c.user_id,
        notes.c.at,
        notes.c.id,
        notes.c.cls,
        case((starts_burst, 1), else_=0).label("first"),
        func.max(case((starts_burst, notes.c.at)))
        .over(partition_by=notes.c.user_id, order_by=ordering)
        .label("burst"),
    ).subquery("marked")
    # ... and whether its burst lasts 60 s or more (a "long" burst, whose rows Python walks).
    far = case((marked.c.at >= add_seconds(marked.c.burst, literal(60)), 1), else_=0)
    flagged = select(
        marked,
        func.max(far).over(partition_by=(marked.c.user_id, marked.c.burst)).label("long"),
    ).subquery("flagged")
    # One grouping, no intermediate table: a short burst is one interruption of its first row's class, so
    # short bursts come back as counts of their first rows per (person, class); rows of long bursts come
    # back one by one (their burst, time and id keep each its own group).
    long = flagged.c.long == 1
    burst, at, row_id = (case((long, column)) for column in (flagged.c.burst, flagged.c.at, flagged.c.id))
    statement = (
        select(
            flagged.c.user_id,
            flagged.c.cls,
            burst.label("burst"),
            at.label("at"),
            row_id.label("row_id"),
            func.sum(flagged.c.first).label("n"),
        )
        .where(or_(flagged.c.first == 1, long))
        .group_by(flagged.c.user_id, flagged.c.cls, burst, at, row_id)
        .order_by(flagged.c.user_id, burst, at, row_id)
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    grouped: dict[tuple[int, Any], list[tuple[datetime, str]]] = defaultdict(list)
    for row in db.session.execute(statement):
        if row.burst is None:
            counts[row.user_id][row.cls] += int(row.n)
        else:
            grouped[(row.user_id, row.burst)].append((_utc(row.at), row.cls))
    for (user_id, _burst), rows in grouped.items():
        for index in counted_indices([at for at, _cls in rows]):
            counts[user_id][rows[index][1]] += 1
    return {
        user_id: Interruptions(
            by_class[InterruptionClass.BUSINESS],
            by_class[InterruptionClass.OFF_HOURS],
            by_class[InterruptionClass.SLEEP],
        )
        for user_id, by_class in counts.items()
    }


def _utc(value: Any) -> datetime:
    # Through the CASE the column loses its UTCDateTime type: SQLite gives text, PostgreSQL a naive datetime.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _user_offset(query: MetricQuery, settings: WorkspaceSettings, at: Any) -> ColumnElement[int]:
    """The UTC offset at `at` in the notified person's zone, as a CASE over each zone's offset spans."""
    zones = db.session.scalars(
        select(PDUser.time_zone)
        .where(PDUser.workspace_id == query.workspace_id, PDUser.time_zone.is_not(None))
        .distinct()
    ).all()
    whens: list[tuple[ColumnElement[bool], ColumnElement[int]]] = []
    for name in sorted(zones):
        zone = _zone(name)
        if zone is None:
            continue  # an unknown zone name falls back to the workspace's, like a missing one
        for span in offset_spans(zone, query.start, query.end):
            whens.append((and_(PDUser.time_zone == name, at < span.end), literal(span.offset_seconds)))
    workspace_zone = _zone(settings.timezone) or ZoneInfo("UTC")
    for span in offset_spans(workspace_zone, query.start, query.end):
        whens.append((at < span.end, literal(span.offset_seconds)))
    return case(*whens, else_=literal(0))


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
