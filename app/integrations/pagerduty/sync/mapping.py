"""PagerDuty JSON → column values. Pure functions: no database, no Flask; unit-tested on fixtures. No value
PagerDuty sends may stop a sync. Every string is cleaned first (`storable`: NUL dropped, lone surrogates
replaced). PagerDuty documents a maximum for few fields (user and team names and emails, 100 characters) and
none for the rest (service and priority names, titles, summaries, keys, URLs), whose columns are TEXT and keep
the whole value. The few that PostgreSQL indexes (an index entry must fit in about 2.7 kB) are cut to their
column's size with a marker (`cut_text`), here and only here: the priority name, the incident's status and
urgency, a log entry's type and channel."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.inputs import clean_text, cut_text
from app.models.incidents import PRIORITY_LENGTH

Json = Mapping[str, Any]

# The sizes of the indexed columns these fill (app/models/incidents.py, app/models/pagerduty.py).
STATUS_LIMIT = 20
URGENCY_LIMIT = 10
LOG_TYPE_LIMIT = 60
CHANNEL_LIMIT = 40


def storable(value: Any) -> Any:
    """`value` (PagerDuty JSON) with every string in it, keys included, cleaned by `clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


def _name(raw: Json) -> str:
    return str(raw.get("name") or raw.get("summary") or raw["id"])


def priority_name(priority: Json | None) -> str | None:
    """Full priority objects carry `name`, references only `summary` (API-NOTES §2.5)."""
    return (
        _cut_or_none(priority.get("name") or priority.get("summary"), PRIORITY_LENGTH) if priority else None
    )


def parse_time(value: object) -> datetime | None:
    """ISO 8601 with `Z` or an offset (API-NOTES §0: both occur) → aware UTC; anything else → None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _required_time(raw: Json, key: str, what: str) -> datetime:
    at = parse_time(raw.get(key))
    if at is None:
        raise ValueError(f"{what} {raw.get('id')} has no {key}")
    return at


def _ref_id(ref: Json | None) -> str | None:
    return str(ref["id"]) if ref and ref.get("id") else None


@dataclass(frozen=True)
class TeamedRow:  # a service or a user
    remote_id: str
    values: dict[str, Any]
    team_remote_ids: tuple[str, ...]


def map_service(raw: Json) -> TeamedRow:
    raw = storable(raw)
    return TeamedRow(
        remote_id=str(raw["id"]),
        values={
            "name": _name(raw),
            "description": raw.get("description"),
            "status": str(raw.get("status") or "active"),
            "html_url": raw.get("html_url"),
            "escalation_policy_remote_id": _ref_id(raw.get("escalation_policy")),
            "last_incident_at": parse_time(raw.get("last_incident_timestamp")),
        },
        team_remote_ids=tuple(t["id"] for t in raw.get("teams") or [] if t.get("id")),
    )


def map_team(raw: Json) -> tuple[str, dict[str, Any]]:
    raw = storable(raw)
    return str(raw["id"]), {"name": _name(raw), "html_url": raw.get("html_url")}


def map_user(raw: Json) -> TeamedRow:
    raw = storable(raw)
    return TeamedRow(
        remote_id=str(raw["id"]),
        values={
            "name": _name(raw),
            "email": raw.get("email"),
            # API-NOTES §2.2: null means the account's zone; analytics then falls back to the workspace's.
            "time_zone": raw.get("time_zone"),
            "role": raw.get("role"),
            "html_url": raw.get("html_url"),
        },
        team_remote_ids=tuple(t["id"] for t in raw.get("teams") or [] if t.get("id")),
    )


def map_priority(raw: Json, rank: int) -> tuple[str, dict[str, Any]]:
    raw = storable(raw)
    return str(raw["id"]), {"name": priority_name(raw) or "", "rank": rank}


@dataclass(frozen=True)
class IncidentRow:
    remote_id: str
    service_remote_id: str
    values: dict[str, Any]
    team_remote_ids: tuple[str, ...]


# An incident's title reduced to a template, so "Disk 91% full on db-7" and "Disk 97% full on db-2" recur as
# one (the recurring-incident metric groups on Incident.title_template). Order matters: quoted values first
# (whatever is inside a quote is one value), then UUIDs, IPs and hex ids, which all contain digits, and digits
# last. A hex id is "0x…" or a run of at least 6 hex characters with both a digit and a letter in it (a short
# git SHA like a1b2c3d), so words spelt in hex letters ("added", "facade") stay words.
_QUOTED = re.compile(r"""(["'`])(?:(?!\1).)*\1""")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b")
# Full (8 groups) or compressed (with "::") IPv6; "10:30:00" is a time, not an address.
_H = "[0-9a-fA-F]"
_IPV6 = re.compile(
    rf"(?<![\w:])(?:(?:{_H}{{1,4}}:){{7}}{_H}{{1,4}}|(?:{_H}{{1,4}}:)*{_H}{{0,4}}::(?:{_H}{{1,4}}:)*{_H}{{0,4}})(?![\w:])"
)
_HEX = re.compile(r"\b(?:0x[0-9a-fA-F]+|(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{6,})\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SPACES = re.compile(r"\s+")
MAX_TEMPLATE_LENGTH = 500  # Incident.title_template's size


def normalise_title(title: str) -> str:
    template = _QUOTED.sub(lambda match: f"{match.group(1)}<v>{match.group(1)}", title)
    template = _UUID.sub("<uuid>", template)
    template = _IPV4.sub("<ip>", template)
    template = _IPV6.sub("<ip>", template)
    template = _HEX.sub("<hex>", template)
    template = _NUMBER.sub("<n>", template)
    return _SPACES.sub(" ", template).strip()[:MAX_TEMPLATE_LENGTH]


def map_incident(raw: Json) -> IncidentRow:
    raw = storable(raw)
    created_at = _required_time(raw, "created_at", "incident")
    title = str(raw.get("title") or raw.get("summary") or "")
    return IncidentRow(
        remote_id=str(raw["id"]),
        service_remote_id=str(raw["service"]["id"]),
        values={
            "number": int(raw.get("incident_number") or raw.get("number") or 0),
            "title": title,
            "title_template": normalise_title(title),
            "status": cut_text(str(raw.get("status") or "triggered"), STATUS_LIMIT),
            "urgency": cut_text(str(raw.get("urgency") or "high"), URGENCY_LIMIT),
            "priority": priority_name(raw.get("priority")),
            "created_at": created_at,
            "resolved_at": parse_time(raw.get("resolved_at")),
            "updated_at": parse_time(raw.get("updated_at")),
            "incident_key": raw.get("incident_key"),
            "html_url": raw.get("html_url"),
        },
        team_remote_ids=tuple(t["id"] for t in raw.get("teams") or [] if t.get("id")),
    )


# Where the person concerned by a log entry is named, by entry type (API-NOTES §2.7).
_USER_FROM_AGENT = {
    "acknowledge_log_entry",
    "resolve_log_entry",
    "unacknowledge_log_entry",
    "trigger_log_entry",
}
_USER_FROM_ASSIGNEES = {"escalate_log_entry", "assign_log_entry"}
USER_AGENTS = frozenset({"user_reference", "user"})  # an agent that is a person


@dataclass(frozen=True)
class LogEntryRow:
    remote_id: str
    incident_remote_id: str
    user_remote_id: str | None
    values: dict[str, Any]


def map_log_entry(raw: Json) -> LogEntryRow:
    raw = storable(raw)
    kind = cut_text(str(raw["type"]), LOG_TYPE_LIMIT)
    agent = raw.get("agent") or {}
    agent_type = agent.get("type")
    user_remote_id: str | None = None
    if kind == "notify_log_entry":
        user_remote_id = _ref_id(raw.get("user"))
    elif kind in _USER_FROM_ASSIGNEES:
        assignees = raw.get("assignees") or []
        user_remote_id = _ref_id(assignees[0]) if assignees else None
    elif kind in _USER_FROM_AGENT and agent_type in USER_AGENTS:
        user_remote_id = _ref_id(agent)
    at = _required_time(raw, "created_at", "log entry")
    return LogEntryRow(
        remote_id=str(raw["id"]),
        incident_remote_id=str(raw["incident"]["id"]),
        user_remote_id=user_remote_id,
        values={
            "type": kind,
            "at": at,
            "summary": raw.get("summary"),
            "agent_type": agent_type,
            "agent_remote_id": _ref_id(agent),
            "channel": _cut_or_none((raw.get("channel") or {}).get("type"), CHANNEL_LIMIT),
        },
    )


@dataclass(frozen=True)
class ChangeEventRow:
    remote_id: str
    service_remote_ids: tuple[str, ...]
    values: dict[str, Any]


def map_change_event(raw: Json) -> ChangeEventRow:
    raw = storable(raw)
    at = _required_time(raw, "timestamp", "change event")
    links = raw.get("links") or []
    return ChangeEventRow(
        remote_id=str(raw["id"]),
        # API-NOTES §2.9: one change event may name several services; it is a deployment on each.
        service_remote_ids=tuple(s["id"] for s in raw.get("services") or [] if s.get("id")),
        values={
            "at": at,
            "summary": str(raw.get("summary") or ""),
            "url": links[0].get("href") if links else None,
        },
    )


def _cut_or_none(value: object, limit: int) -> str | None:
    return cut_text(str(value), limit) if value else None
