"""An incident's log entries as sentences: "Acknowledged by Ada", "Notified Bo by SMS", "Resolved by timeout".

PagerDuty's log entry types are listed at
https://developer.pagerduty.com/api-reference/ (List log entries for an incident); sync keeps the type, the
person concerned, the channel and the agent's kind, which is all a sentence needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import IncidentLogEntry, LogEntryType

CHANNELS = {
    "sms": "SMS",
    "phone": "phone call",
    "push": "push notification",
    "push_notification": "push notification",
    "email": "email",
    "api": "the API",
    "web_trigger": "the web UI",
    "website": "the web UI",
    "mobile": "the mobile app",
    "slack": "Slack",
    "integration": "an integration",
}
MAX_ENTRIES = 500


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # the LogEntryType's short name: trigger, acknowledge, notify, …
    text: str
    channel: str | None
    summary: str | None


def channel_words(channel: str | None) -> str | None:
    return CHANNELS.get(channel, channel.replace("_", " ")) if channel else None


def describe(entry_type: str, user_name: str | None, channel: str | None, agent_type: str | None) -> str:
    who = user_name or ("the service" if agent_type == "service_reference" else None)
    by_timeout = channel == "timeout"
    by_auto = channel == "auto" or agent_type == "service_reference"
    via = channel_words(channel)
    match entry_type:
        case LogEntryType.TRIGGER:
            return f"Triggered through {via}" if via and not by_auto else "Triggered"
        case LogEntryType.ACKNOWLEDGE:
            return f"Acknowledged by {who}" if who else "Acknowledged"
        case LogEntryType.UNACKNOWLEDGE:
            return "Unacknowledged by timeout" if by_timeout or not who else f"Unacknowledged by {who}"
        case LogEntryType.ESCALATE:
            return f"Escalated to {user_name}" if user_name else "Escalated"
        case LogEntryType.ASSIGN:
            return f"Assigned to {user_name}" if user_name else "Reassigned"
        case LogEntryType.NOTIFY:
            target = user_name or "a responder"
            return f"Notified {target} by {via}" if via else f"Notified {target}"
        case LogEntryType.RESOLVE:
            if by_timeout:
                return "Resolved by timeout"
            if by_auto and not user_name:
                return "Resolved automatically by the service"
            return f"Resolved by {who}" if who else "Resolved"
    return entry_type.removesuffix("_log_entry").replace("_", " ").capitalize()


def timeline(incident_id: int, workspace_id: int) -> list[TimelineEntry]:
    entries = db.session.scalars(
        select(IncidentLogEntry)
        .where(IncidentLogEntry.incident_id == incident_id, IncidentLogEntry.workspace_id == workspace_id)
        .options(selectinload(IncidentLogEntry.user))
        .order_by(IncidentLogEntry.at, IncidentLogEntry.id)
        .limit(MAX_ENTRIES)
    )
    return [
        TimelineEntry(
            at=entry.at,
            kind=entry.type.removesuffix("_log_entry"),
            text=describe(
                entry.type, entry.user.name if entry.user else None, entry.channel, entry.agent_type
            ),
            channel=channel_words(entry.channel),
            summary=entry.summary,
        )
        for entry in entries
    ]
