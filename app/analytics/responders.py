"""Responder load: per person, what the window asked of them.

All three columns count events in the window (not incidents created in it), for incidents that pass the
query's filters: incidents whose *first* acknowledgement was theirs (ix_incidents_ws_first_ack; sync derives
it), escalate log entries naming them (ix_log_entries_ws_type_at) and interruptions by class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import false, func, select

from app.analytics.filters import incident_attribute_conditions
from app.analytics.interruptions import Interruptions, interruptions_by_user
from app.analytics.query import MetricQuery, WorkspaceSettings, workspace_settings
from app.extensions import db
from app.models import Incident, IncidentLogEntry, LogEntryType, PDUser


@dataclass(frozen=True)
class ResponderLoad:
    user_id: int
    name: str
    time_zone: str | None
    acknowledged: int = 0
    escalations_received: int = 0
    interruptions: Interruptions = field(default_factory=Interruptions)


def responder_load(
    query: MetricQuery,
    settings: WorkspaceSettings | None = None,
    interrupted: Mapping[int, Interruptions] | None = None,
) -> list[ResponderLoad]:
    """One row per person with any activity, most interrupted first, then by name. `interrupted` is
    interruptions_by_user(query) when the caller already has it (the dashboard shows its totals too)."""
    settings = settings or workspace_settings(query.workspace_id)
    acknowledged = _first_acknowledgements(query)
    escalations = _escalations_received(query)
    interrupted = interruptions_by_user(query, settings) if interrupted is None else interrupted
    user_ids = set(acknowledged) | set(escalations) | set(interrupted)
    if not user_ids:
        return []
    users = db.session.execute(
        select(PDUser.id, PDUser.name, PDUser.time_zone).where(
            PDUser.workspace_id == query.workspace_id, PDUser.id.in_(user_ids)
        )
    ).all()
    rows = [
        ResponderLoad(
            user_id=user.id,
            name=user.name,
            time_zone=user.time_zone,
            acknowledged=acknowledged.get(user.id, 0),
            escalations_received=escalations.get(user.id, 0),
            interruptions=interrupted.get(user.id, Interruptions()),
        )
        for user in users
    ]
    return sorted(rows, key=lambda row: (-row.interruptions.total, -row.acknowledged, row.name, row.user_id))


def _escalations_received(query: MetricQuery) -> dict[int, int]:
    entry = IncidentLogEntry
    statement = (
        select(entry.user_id, func.count().label("n"))
        .join(Incident, Incident.id == entry.incident_id)
        .where(
            entry.workspace_id == query.workspace_id,
            entry.type == LogEntryType.ESCALATE.value,
            entry.at >= query.start,
            entry.at < query.end,
            entry.user_id.is_not(None),
            Incident.workspace_id == query.workspace_id,
            Incident.excluded == false(),
            *incident_attribute_conditions(query),
        )
        .group_by(entry.user_id)
    )
    return {row.user_id: int(row.n) for row in db.session.execute(statement)}


def _first_acknowledgements(query: MetricQuery) -> dict[int, int]:
    # Sync derives each incident's first acknowledgement, its time and who made it (derive.py), so this is
    # one range of ix_incidents_ws_first_ack: no look at the acknowledgements themselves.
    statement = (
        select(Incident.first_ack_user_id, func.count().label("n"))
        .where(
            Incident.workspace_id == query.workspace_id,
            Incident.first_ack_at >= query.start,
            Incident.first_ack_at < query.end,
            Incident.first_ack_user_id.is_not(None),
            Incident.excluded == false(),
            *incident_attribute_conditions(query),
        )
        .group_by(Incident.first_ack_user_id)
    )
    return {row.first_ack_user_id: int(row.n) for row in db.session.execute(statement)}
