"""Per-incident facts derived from its log entries, recomputed for just the incidents a page touched. MTTA
needs the first acknowledgement from the log entries: PagerDuty empties an incident's `acknowledgements` once
it is resolved (API-NOTES §2.5)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, bindparam, case, func, select, true, update
from sqlalchemy.dialects import postgresql

from app.extensions import db, is_postgresql
from app.integrations.pagerduty.sync.mapping import USER_AGENTS
from app.models import Incident, IncidentLogEntry
from app.models.bulk import rows_param, rows_source

ACK = "acknowledge_log_entry"
RESOLVE = "resolve_log_entry"
# Auto-resolve (docs/metrics.md): the last resolve is automatic unless a *user* made it through a person's
# channel. A user resolving from the web, the app, by email, by phone or through the API (a script acting as
# them) is a person; a service or integration agent, or the timeout / auto channel whoever is named, is not.
# Migration 3f8a2c7d9e41 applies the same rule to the incidents synced before it.
AUTOMATIC_CHANNELS = frozenset({"timeout", "auto"})
# Incidents per refresh query: a chunk's worth of ids is refreshed in a few statements, not one per page.
BATCH = 1000


DERIVED_FIELDS = (
    "first_ack_at",
    "first_ack_user_id",
    "ack_seconds",
    "resolved_at",
    "resolve_seconds",
    "reopen_count",
    "escalation_count",
    "assignment_count",
    "auto_resolved",
)


@dataclass(frozen=True)
class LogFacts:
    first_ack_at: datetime | None
    first_ack_user_id: int | None  # who made the first acknowledgement (responder load)
    triggers: int
    escalations: int
    assignments: int
    last_resolve_at: datetime | None
    last_resolve_by_person: bool | None


def derived_values(
    created_at: datetime, status: str, resolved_at: datetime | None, facts: LogFacts | None
) -> dict[str, object]:
    facts = facts or LogFacts(None, None, 0, 0, 0, None, None)
    resolved = status == "resolved"
    final_resolve = resolved_at or (facts.last_resolve_at if resolved else None)
    first_ack = facts.first_ack_at
    return {
        "first_ack_at": first_ack,
        "first_ack_user_id": facts.first_ack_user_id,
        "ack_seconds": (first_ack - created_at).total_seconds() if first_ack else None,
        "resolved_at": final_resolve if resolved else None,
        "resolve_seconds": (final_resolve - created_at).total_seconds()
        if resolved and final_resolve
        else None,
        # PagerDuty logs a reopen as another trigger after a resolve (SPEC-CL 2025-09-18).
        "reopen_count": max(facts.triggers - 1, 0),
        "escalation_count": facts.escalations,
        "assignment_count": facts.assignments,
        "auto_resolved": bool(resolved and facts.last_resolve_by_person is False),
    }


def resolved_by_person(agent_type: str | None, channel: str | None) -> bool:
    return agent_type in USER_AGENTS and channel not in AUTOMATIC_CHANNELS


def _each_incident(incident_ids: Sequence[int], query: Select[Any], key: Any) -> Select[Any]:
    """`query` restricted to these incidents (`key` is its incident id column), as one statement. On
    PostgreSQL each id is probed on its own (a LATERAL subquery per id of an unnest): without statistics (a
    first backfill, autovacuum off) an `IN` of hundreds of ids is estimated to match the whole table, and
    PostgreSQL read every log entry for each batch a chunk refreshed, 20 ms at 36,000 entries and growing with
    the history. SQLite uses the index for `IN` anyway."""
    if not is_postgresql():
        return query.where(key.in_(list(incident_ids)))
    ids = func.unnest(bindparam("ids", list(incident_ids), type_=postgresql.ARRAY(Integer)))
    wanted = ids.table_valued("id").render_derived(name="wanted")
    # OFFSET 0 keeps PostgreSQL from flattening the subquery into a join, which it plans as a hash join over
    # the whole table again.
    each = query.where(key == wanted.c.id).offset(0).lateral("each")
    return select(*each.c).select_from(wanted).join(each, true())


def _facts(incident_ids: Sequence[int]) -> dict[int, LogFacts]:
    entry = IncidentLogEntry

    def count(kind: str):  # type: ignore[no-untyped-def]
        return func.sum(case((entry.type == kind, 1), else_=0))

    counts = select(
        entry.incident_id.label("incident_id"),
        count("trigger_log_entry").label("triggers"),
        count("escalate_log_entry").label("escalations"),
        count("assign_log_entry").label("assignments"),
    ).group_by(entry.incident_id)
    rows = db.session.execute(_each_incident(incident_ids, counts, entry.incident_id)).all()
    events = select(
        entry.incident_id, entry.type, entry.at, entry.user_id, entry.agent_type, entry.channel, entry.id
    ).where(entry.type.in_((ACK, RESOLVE)))
    ordered = _each_incident(incident_ids, events, entry.incident_id).subquery()
    resolves: dict[int, tuple[datetime, bool]] = {}
    first_acks: dict[int, tuple[datetime, int | None]] = {}
    for incident_id, kind, at, user_id, agent_type, channel, _ in db.session.execute(
        select(ordered).order_by(ordered.c.incident_id, ordered.c.at, ordered.c.id)
    ):
        if kind == ACK:
            first_acks.setdefault(incident_id, (at, user_id))  # ordered: the first one stays
            continue
        resolves[incident_id] = (at, resolved_by_person(agent_type, channel))  # ordered: the last one wins
    return {
        incident_id: LogFacts(
            *first_acks.get(incident_id, (None, None)),
            int(triggers or 0),
            int(escalations or 0),
            int(assignments or 0),
            *resolves.get(incident_id, (None, None)),
        )
        for incident_id, triggers, escalations, assignments in rows
    }


def refresh_derived(incident_ids: Collection[int]) -> int:
    """Recompute derived columns for these incidents; returns how many rows actually changed."""
    ordered = sorted(set(incident_ids))
    return sum(_refresh_batch(ordered[i : i + BATCH]) for i in range(0, len(ordered), BATCH))


def _refresh_batch(incident_ids: Sequence[int]) -> int:
    facts = _facts(incident_ids)
    columns = [getattr(Incident, name) for name in DERIVED_FIELDS]
    current = select(Incident.id, Incident.created_at, Incident.status, Incident.resolved_at, *columns)
    changes = []
    for row in db.session.execute(_each_incident(incident_ids, current, Incident.id)):
        values = derived_values(row.created_at, row.status, row.resolved_at, facts.get(row.id))
        if any(getattr(row, name) != value for name, value in values.items()):
            changes.append({"id": row.id, **values})
    if changes and not is_postgresql():
        db.session.execute(update(Incident), changes)  # by primary key, one executemany
    elif changes:
        # One UPDATE … FROM the rows as JSON: a row-by-row executemany costs a round trip per incident.
        table = Incident.__table__
        source = rows_source(table, ("id", *DERIVED_FIELDS))
        statement = (
            update(table)
            .where(table.c.id == source["id"])
            .values({name: source[name] for name in DERIVED_FIELDS})
        )
        db.session.execute(statement, rows_param(changes))
    return len(changes)
