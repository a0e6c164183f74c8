"""What responders and clients do to incidents, as PagerDuty records it.

Every action updates the incident row and writes the log entries PagerDuty would (API-NOTES §2.7, §8.6):
trigger, notify (one per immediate notification rule of the paged user, with its channel), acknowledge,
unacknowledge, escalate, assign, resolve (with agent and channel) and the reopen trigger. Each also
queues the matching v3 webhook event, published once the transaction commits (§6.2). REST writes and the
`/_sim/` responder endpoints both come through here, so they cannot drift apart.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from pdsim.directory import Directory
from pdsim.ids import incident_id
from pdsim.render.incidents import parse_pairs

LOG_COLUMNS = "incident, type, created_at, agent, channel, user_id, assignees, note, client"
Row = dict[str, Any]


@dataclass(frozen=True)
class Actor:
    agent: str | None  # a user id or a service id
    channel: str  # log entry channel type: "api", "website", "sms", "timeout", "auto", …
    client: str | None = None  # the OAuth app's name, shown as the webhook's `client`


@dataclass
class Tx:
    conn: sqlite3.Connection
    now: int
    events: list[tuple[str, int, Actor]] = field(default_factory=list)


class ActionError(Exception):
    """A rule PagerDuty enforces on an action; REST maps it to its error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class Actions:
    def __init__(self, directory: Directory) -> None:
        self.dir = directory

    # --- helpers -----------------------------------------------------------------------------

    def _log(
        self,
        tx: Tx,
        number: int,
        kind: str,
        actor: Actor,
        *,
        user: str | None = None,
        assignees: str | None = None,
        note: str | None = None,
    ) -> int:
        values = (number, kind, tx.now, actor.agent, actor.channel, user, assignees, note, actor.client)
        cur = tx.conn.execute(
            f"INSERT INTO log_entries ({LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values
        )
        return int(cur.lastrowid or 0)

    def _notify(self, tx: Tx, number: int, service_id: str, user_id: str) -> None:
        """Immediate pages only: pdsim runs no timers, so delayed notification rules never fire."""
        for channel, delay in self.dir.users[user_id]["rules"]:
            if delay == 0:
                self._log(tx, number, "notify", Actor(service_id, channel), user=user_id)

    def _save(self, tx: Tx, number: int, **fields: Any) -> Row:
        fields["updated_at"] = tx.now
        sets = ", ".join(f"{k} = ?" for k in fields)
        tx.conn.execute(f"UPDATE incidents SET {sets} WHERE number = ?", (*fields.values(), number))
        return self.load(tx.conn, number)

    @staticmethod
    def load(conn: sqlite3.Connection, number: int) -> Row:
        return dict(conn.execute("SELECT * FROM incidents WHERE number = ?", (number,)).fetchone())

    # --- actions -------------------------------------------------------------------------------

    def create(
        self,
        tx: Tx,
        *,
        service_id: str,
        title: str,
        actor: Actor,
        urgency: str = "high",
        priority_id: str | None = None,
        incident_key: str | None = None,
        body: str | None = None,
        assignee: str | None = None,
        policy_id: str | None = None,
        origin: str = "api",
        from_email: str | None = None,
        alerts: int = 0,
    ) -> Row:
        number = int(tx.conn.execute("SELECT coalesce(max(number), 0) + 1 FROM incidents").fetchone()[0])
        svc = self.dir.services[service_id]
        policy_id = policy_id or svc["escalation_policy_id"]
        target = assignee or self.dir.on_call(str(policy_id), 1, tx.now)
        row: Row = {
            "number": number, "id": incident_id(number), "title": title, "service_id": service_id,
            "team_id": svc["team_id"], "escalation_policy_id": policy_id, "status": "triggered",
            "urgency": urgency, "priority_id": priority_id, "incident_key": incident_key,
            "created_at": tx.now, "updated_at": tx.now, "resolved_at": None, "last_status_change_at": tx.now,
            "last_status_change_by": actor.agent,
            "assigned_via": "direct_assignment" if assignee else "escalation_policy", "escalation_level": 1,
            "assignments": f"{target}@{tx.now}", "acknowledgements": "", "first_trigger_seq": 0,
            "reopened_at": None, "alert_count": alerts, "body": body, "origin": origin,
            "from_email": from_email,
        }  # fmt: skip
        columns = ", ".join(row)
        tx.conn.execute(
            f"INSERT INTO incidents ({columns}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
        )
        self.dir.last_incident[service_id] = tx.now  # the service's `last_incident_timestamp`
        seq = self._log(tx, number, "trigger", actor)
        tx.conn.execute("UPDATE incidents SET first_trigger_seq = ? WHERE number = ?", (seq, number))
        tx.events.append(("incident.triggered", number, actor))
        if assignee and assignee == actor.agent:
            # API-NOTES §2.10: assigned to yourself → created acknowledged, and nobody is paged.
            self._log(tx, number, "acknowledge", actor)
            tx.events.append(("incident.acknowledged", number, actor))
            return self._save(
                tx,
                number,
                status="acknowledged",
                acknowledgements=f"{actor.agent}@{tx.now}",
                last_status_change_at=tx.now,
                last_status_change_by=actor.agent,
            )
        self._notify(tx, number, service_id, target)
        return self.load(tx.conn, number)

    def acknowledge(self, tx: Tx, row: Row, actor: Actor) -> Row:
        if row["status"] == "resolved":
            row = self.reopen(tx, row, actor)
        acks = parse_pairs(row["acknowledgements"])
        if any(who == actor.agent for who, _ in acks):
            return row
        self._log(tx, row["number"], "acknowledge", actor)
        tx.events.append(("incident.acknowledged", row["number"], actor))
        acks.append((actor.agent or "", tx.now))
        return self._save(
            tx,
            row["number"],
            status="acknowledged",
            acknowledgements=_pairs(acks),
            last_status_change_at=tx.now,
            last_status_change_by=actor.agent,
        )

    def unacknowledge(self, tx: Tx, row: Row, actor: Actor) -> Row:
        if row["status"] == "resolved":
            return self.reopen(tx, row, actor)
        if row["status"] != "acknowledged":
            return row
        self._log(tx, row["number"], "unacknowledge", actor)
        tx.events.append(("incident.unacknowledged", row["number"], actor))
        return self._save(
            tx,
            row["number"],
            status="triggered",
            acknowledgements="",
            last_status_change_at=tx.now,
            last_status_change_by=actor.agent,
        )

    def escalate(self, tx: Tx, row: Row, actor: Actor, level: int | None = None) -> Row:
        self._require_open(row)
        policy = row["escalation_policy_id"] or self.dir.services[row["service_id"]]["escalation_policy_id"]
        rules = self.dir.policies[policy]["rules"]
        level = level or min(row["escalation_level"] + 1, len(rules))
        if not 1 <= level <= len(rules):
            raise ActionError(2001, f"escalation_level must be between 1 and {len(rules)}")
        target = self.dir.on_call(policy, level, tx.now)
        self._log(tx, row["number"], "escalate", actor, assignees=target)
        self._notify(tx, row["number"], row["service_id"], target)
        tx.events.append(("incident.escalated", row["number"], actor))
        return self._save(
            tx,
            row["number"],
            escalation_level=level,
            assignments=f"{target}@{tx.now}",
            escalation_policy_id=policy,
            assigned_via="escalation_policy",
            status="triggered",
            acknowledgements="",
        )

    def reassign(self, tx: Tx, row: Row, actor: Actor, user_ids: list[str]) -> Row:
        self._require_open(row)
        self._log(tx, row["number"], "assign", actor, assignees=",".join(user_ids))
        for uid in user_ids:
            self._notify(tx, row["number"], row["service_id"], uid)
        tx.events.append(("incident.reassigned", row["number"], actor))
        return self._save(
            tx,
            row["number"],
            assignments=_pairs([(u, tx.now) for u in user_ids]),
            assigned_via="direct_assignment",
            status="triggered",
            acknowledgements="",
        )

    def change_policy(self, tx: Tx, row: Row, actor: Actor, policy_id: str) -> Row:
        self._require_open(row)
        target = self.dir.on_call(policy_id, 1, tx.now)
        self._log(tx, row["number"], "assign", actor, assignees=target)
        self._notify(tx, row["number"], row["service_id"], target)
        tx.events.append(("incident.reassigned", row["number"], actor))
        return self._save(
            tx,
            row["number"],
            escalation_policy_id=policy_id,
            escalation_level=1,
            assignments=f"{target}@{tx.now}",
            assigned_via="escalation_policy",
            status="triggered",
            acknowledgements="",
        )

    def resolve(self, tx: Tx, row: Row, actor: Actor, note: str | None = None) -> Row:
        if row["status"] == "resolved":
            # Unknown in the docs (API-NOTES §2.11); pdsim takes the harder answer: code 1001.
            raise ActionError(1001, "Incident Already Resolved")
        self._log(tx, row["number"], "resolve", actor, note=note)
        tx.events.append(("incident.resolved", row["number"], actor))
        # API-NOTES §2.5: assignments and acknowledgements are emptied on resolve.
        return self._save(
            tx,
            row["number"],
            status="resolved",
            resolved_at=tx.now,
            assignments="",
            acknowledgements="",
            last_status_change_at=tx.now,
            last_status_change_by=actor.agent,
        )

    def reopen(self, tx: Tx, row: Row, actor: Actor) -> Row:
        """SPEC-CL 2025-09-18: setting triggered/acknowledged on a resolved incident reopens it."""
        if row["status"] != "resolved":
            raise ActionError(2001, "Only a resolved incident can be reopened")
        policy = row["escalation_policy_id"] or self.dir.services[row["service_id"]]["escalation_policy_id"]
        target = self.dir.on_call(policy, 1, tx.now)
        self._log(tx, row["number"], "trigger", actor, note="Reopened")
        self._notify(tx, row["number"], row["service_id"], target)
        tx.events.append(("incident.reopened", row["number"], actor))
        return self._save(
            tx,
            row["number"],
            status="triggered",
            resolved_at=None,
            reopened_at=tx.now,
            assignments=f"{target}@{tx.now}",
            acknowledgements="",
            escalation_level=1,
            escalation_policy_id=policy,
            last_status_change_at=tx.now,
            last_status_change_by=actor.agent,
        )

    def set_fields(
        self,
        tx: Tx,
        row: Row,
        actor: Actor,
        *,
        title: str | None = None,
        urgency: str | None = None,
        priority_id: str | bool | None = False,
    ) -> Row:
        changes: dict[str, Any] = {}
        if title is not None and title != row["title"]:
            changes["title"] = title
        if urgency is not None and urgency != row["urgency"]:
            changes["urgency"] = urgency
            self._log(tx, row["number"], "urgency_change", actor)
        if priority_id is not False and priority_id != row["priority_id"]:
            changes["priority_id"] = priority_id
            tx.events.append(("incident.priority_updated", row["number"], actor))
        return self._save(tx, row["number"], **changes) if changes else row

    @staticmethod
    def _require_open(row: Row) -> None:
        if row["status"] == "resolved":
            raise ActionError(1001, "Incident Already Resolved")


def _pairs(pairs: list[tuple[str, int]]) -> str:
    return ";".join(f"{who}@{at}" for who, at in pairs)
