"""The local hour and weekday of each notification (its person's zone, else the workspace's), stored on its
log entry (IncidentLogEntry.local_hour / local_isoweekday): converting every notification of a window at read
time was most of the interruptions panel's cost. They are kept right
- when log entries are written: sync computes them with each entry (`EntryFields`);
- when a person's zone changes (`refresh_users`), here and on their interruptions, which keep a copy;
- when the workspace's zone changes, for everyone without a zone of their own (`refresh_zoneless_users`).
Sync and the workspace settings reach these through changes.py. Each refresh is one UPDATE per zone,
converting with the zone's UTC-offset spans over the rows' time range (windows.offset_spans), so both engines
store the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, update

from app.analytics.sqlfuncs import offset_case, shifted_hour, shifted_isoweekday
from app.analytics.windows import offset_spans
from app.extensions import db
from app.models import IncidentLogEntry, Interruption, LogEntryType, PDUser, Workspace

_NOTIFY = LogEntryType.NOTIFY.value


def zone_or_none(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class EntryFields:
    """Sync's hook (store_log_entries' `local_fields`): a notification's local hour and weekday, computed
    before the INSERT. The zones are read at the first entry (sync writes the directory before log entries)
    and again for someone not seen yet; every entry gets both keys, so a page's rows share one shape."""

    def __init__(self, workspace_id: int) -> None:
        self.workspace_id = workspace_id
        self.zones: dict[int, ZoneInfo] | None = None

    def __call__(self, entry: Any, user_id: int | None) -> dict[str, int | None]:
        if user_id is None or entry.values.get("type") != _NOTIFY:
            return {"local_hour": None, "local_isoweekday": None}
        if self.zones is None or user_id not in self.zones:
            self.zones = zones_by_user(self.workspace_id)
        local = entry.values["at"].astimezone(self.zones.get(user_id, UTC))
        return {"local_hour": local.hour, "local_isoweekday": local.isoweekday()}


def zones_by_user(workspace_id: int) -> dict[int, ZoneInfo]:
    """Each person's zone: their own, else the workspace's (also for a zone Vigil does not know)."""
    workspace_zone = zone_or_none(
        db.session.scalar(select(Workspace.timezone).where(Workspace.id == workspace_id))
    ) or ZoneInfo("UTC")
    users = db.session.execute(select(PDUser.id, PDUser.time_zone).where(PDUser.workspace_id == workspace_id))
    return {user.id: zone_or_none(user.time_zone) or workspace_zone for user in users}


def refresh_users(workspace_id: int, user_ids: Collection[int]) -> int:
    """Recompute the notifications of these people, after their zone changed."""
    if not user_ids:
        return 0
    zones = zones_by_user(workspace_id)
    by_zone: dict[ZoneInfo, list[int]] = defaultdict(list)
    for user_id in sorted(set(user_ids) & zones.keys()):
        by_zone[zones[user_id]].append(user_id)
    entry = IncidentLogEntry
    written = 0
    for zone, users in by_zone.items():
        scope = (entry.workspace_id == workspace_id, entry.type == _NOTIFY, entry.user_id.in_(users))
        first, last = db.session.execute(select(func.min(entry.at), func.max(entry.at)).where(*scope)).one()
        if first is None:
            continue
        offset = offset_case(entry.at, offset_spans(zone, first, last + timedelta(seconds=1)))
        statement = (
            update(entry)
            .where(*scope)
            .values(
                local_hour=shifted_hour(entry.at, offset),
                local_isoweekday=shifted_isoweekday(entry.at, offset),
            )
            .execution_options(synchronize_session=False)
        )
        written += int(getattr(db.session.execute(statement), "rowcount", 0) or 0)

    # Interruptions carry a copy of their notification's local time (interruption_store.py).
    def copied(column: Any) -> Any:
        return select(column).where(entry.id == Interruption.log_entry_id).scalar_subquery()

    db.session.execute(
        update(Interruption)
        .where(Interruption.workspace_id == workspace_id, Interruption.user_id.in_(list(user_ids)))
        .values(local_hour=copied(entry.local_hour), local_isoweekday=copied(entry.local_isoweekday))
        .execution_options(synchronize_session=False)
    )
    return written


def refresh_zoneless_users(workspace_id: int) -> int:
    """Recompute the notifications of people who go by the workspace's zone, after it changed."""
    users = db.session.execute(
        select(PDUser.id, PDUser.time_zone).where(PDUser.workspace_id == workspace_id)
    ).all()
    return refresh_users(workspace_id, [user.id for user in users if zone_or_none(user.time_zone) is None])
