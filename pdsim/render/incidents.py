"""Incidents, log entries and webhook incident data (API-NOTES §2.5-2.8, §6.2).

Stored state already follows PagerDuty's rules (empty `assignments`/`acknowledgements` once resolved), so
rendering is a faithful projection plus `include[]` expansion.
"""

from __future__ import annotations

from typing import Any

from pdsim import ids
from pdsim.render import directory as dr
from pdsim.render.refs import Ctx, Json

_MEDIUM = {"sms": "SMS", "phone": "phone", "push": "push notification", "email": "email"}


def parse_pairs(text: str | None) -> list[tuple[str, int]]:
    """`"P123@1700000000;P456@…"` → [(id, epoch)]; the store keeps assignments and acks in this form."""
    if not text:
        return []
    out = []
    for part in text.split(";"):
        who, _, at = part.rpartition("@")
        out.append((who, int(at)))
    return out


def _actor(ctx: Ctx, agent: str | None, full: bool) -> Json | None:
    if agent is None:
        return None
    if not full:
        return ctx.agent_ref(agent)
    if agent in ctx.directory.users:
        return dr.user(ctx.plain(), agent)
    if agent in ctx.directory.services:
        return dr.service(ctx.plain(), agent)
    return None


def pending_actions(ctx: Ctx, row: dict[str, Any]) -> list[Json]:
    svc = ctx.directory.services[row["service_id"]]
    status = row["status"]
    if status == "resolved":
        return []
    actions: list[Json] = []
    if status == "triggered" and row["assigned_via"] == "escalation_policy":
        assigned = parse_pairs(row["assignments"])
        since = assigned[0][1] if assigned else row["created_at"]
        rules = (
            ctx.directory.policies[row["escalation_policy_id"]]["rules"]
            if row["escalation_policy_id"]
            else []
        )
        level = min(max(row["escalation_level"], 1), len(rules)) if rules else 0
        if level:
            actions.append({"type": "escalate", "at": ctx.ts(since + rules[level - 1]["delay"])})
    if status == "acknowledged" and svc["acknowledgement_timeout"]:
        acks = parse_pairs(row["acknowledgements"])
        if acks:
            actions.append(
                {"type": "unacknowledge", "at": ctx.ts(acks[-1][1] + svc["acknowledgement_timeout"])}
            )
    if svc["auto_resolve_timeout"]:
        actions.append({"type": "resolve", "at": ctx.ts(row["created_at"] + svc["auto_resolve_timeout"])})
    return actions


def incident(ctx: Ctx, row: dict[str, Any], first_trigger: dict[str, Any] | None = None) -> Json:
    inc = ctx.include
    plain = ctx.plain()
    number, sid = row["number"], row["service_id"]
    iid = row["id"]
    full_users = "assignees" in inc or "users" in inc
    full_ackers = "acknowledgers" in inc or "users" in inc
    trigger = (
        log_entry(plain, first_trigger)
        if first_trigger is not None and "first_trigger_log_entries" in inc
        else ctx.log_entry_ref(row["first_trigger_seq"], "trigger", "Triggered", number)
    )
    teams = ctx.directory.service_team_ids(sid)
    pol = row["escalation_policy_id"]
    body: Json = {
        "id": iid,
        "type": "incident",
        "summary": f"[#{number}] {row['title']}",
        "self": f"{ctx.api}/incidents/{iid}",
        "html_url": f"{ctx.web}/incidents/{iid}",
        "incident_number": number,
        "title": row["title"],
        "description": row["title"],
        "created_at": ctx.ts(row["created_at"]),
        "updated_at": ctx.ts(row["updated_at"]),
        "status": row["status"],
        "incident_key": row["incident_key"],
        "service": dr.service(plain, sid) if "services" in inc else ctx.service_ref(sid),
        "assignments": [
            {"at": ctx.ts(at), "assignee": dr.user(plain, u) if full_users else ctx.user_ref(u)}
            for u, at in parse_pairs(row["assignments"])
            if u in ctx.directory.users
        ],
        "assigned_via": row["assigned_via"],
        # SPEC: while neither acknowledged nor resolved, last_status_change_at is the incident's updated_at.
        "last_status_change_at": ctx.ts(
            row["updated_at"] if row["status"] == "triggered" else row["last_status_change_at"]
        ),
        "last_status_change_by": _actor(ctx, row["last_status_change_by"], "agents" in inc),
        "resolved_at": ctx.ts(row["resolved_at"]),
        "first_trigger_log_entry": trigger,
        "alert_counts": _alert_counts(row),
        "is_mergeable": True,
        "incident_type": {"name": "incident_default"},
        "escalation_policy": (
            dr.escalation_policy(plain, pol) if "escalation_policies" in inc else ctx.policy_ref(pol)
        )
        if pol
        else None,
        "teams": [dr.team(plain, t) if "teams" in inc else ctx.team_ref(t) for t in teams],
        "pending_actions": pending_actions(ctx, row),
        "acknowledgements": [
            {"at": ctx.ts(at), "acknowledger": _actor(ctx, a, full_ackers)}
            for a, at in parse_pairs(row["acknowledgements"])
        ],
        "alert_grouping": None,
        "priority": (
            dr.priority(plain, row["priority_id"])
            if "priorities" in inc and row["priority_id"]
            else ctx.priority_ref(row["priority_id"])
        ),
        "resolve_reason": None,
        "conference_bridge": None,
        "incidents_responders": [],
        "responder_requests": [],
        "urgency": row["urgency"],
    }
    if row.get("body") is not None and "body" in inc:
        body["body"] = {"type": "incident_body", "details": row["body"]}
    return body


def _alert_counts(row: dict[str, Any]) -> Json:
    n = row["alert_count"]
    resolved = n if row["status"] == "resolved" else 0
    return {"all": n, "triggered": n - resolved, "resolved": resolved}


def summary(ctx: Ctx, row: dict[str, Any]) -> str:
    kind, agent, channel = row["type"], row["agent"], row["channel"]
    users = ctx.directory.users
    who = users[agent]["name"] if agent in users else None
    if kind == "trigger":
        if row.get("note", "") and str(row["note"]).startswith("Reopened"):
            return f"Reopened by {who}." if who else "Reopened."
        return {
            "api": "Triggered through the API.",
            "email": "Triggered through email.",
            "web_trigger": f"Triggered through the website by {who}.",
        }.get(channel, "Triggered.")
    if kind == "notify":
        target = users.get(row["user_id"] or "", {}).get("name", "a user")
        return f"Notified {target} via {_MEDIUM.get(channel, channel)}."
    if kind == "escalate":
        target = users.get(row["assignees"] or "", {}).get("name", "the next level")
        return f"Escalated to {target} due to timeout." if who is None else f"Escalated to {target} by {who}."
    if kind == "assign":
        target = users.get(row["assignees"] or "", {}).get("name", "someone")
        return f"Reassigned to {target} by {who}."
    if kind == "acknowledge":
        return f"Acknowledged by {who}."
    if kind == "unacknowledge":
        return "Unacknowledged due to timeout."
    if kind == "resolve":
        if who is None:
            return (
                "Resolved due to timeout."
                if channel == "timeout"
                else "Resolved through the integration API."
            )
        return f"Resolved by {who}."
    if kind == "urgency_change":
        return "Urgency changed."
    if kind == "annotate":
        return f"Note added by {who}."
    return kind.replace("_", " ").capitalize() + "."


def _channel(ctx: Ctx, row: dict[str, Any]) -> Json:
    channel: Json = {"type": row["channel"]}
    if "channels" not in ctx.include:
        return channel
    kind = row["type"]
    if kind == "notify" and row["user_id"] in ctx.directory.users:
        user = ctx.directory.users[row["user_id"]]
        address = (
            None
            if row["channel"] == "push"
            else user["email"]
            if row["channel"] == "email"
            else user["phone"]
        )
        channel["notification"] = {
            "id": "PN" + ids.log_entry_id(row["seq"])[-8:],
            "type": f"{row['channel']}_notification",
            "started_at": ctx.ts(row["created_at"]),
            "address": address,
            "status": "success",
            "user": ctx.user_ref(row["user_id"]),
        }
    elif kind == "trigger" and row["channel"] in ("api", "email"):
        svc = ctx.directory.services[row["service_id"]]
        channel.update(
            {
                "summary": row["title"],
                "description": row["title"],
                "service_key": svc["integration_key"],
                "incident_key": row.get("incident_key"),
                "details": {},
            }
        )
    return channel


def log_entry(ctx: Ctx, row: dict[str, Any], incident_row: dict[str, Any] | None = None) -> Json:
    """`row` is a log entry joined with its incident's title, service_id, team_id and incident_key."""
    kind, seq, number = row["type"], row["seq"], row["incident"]
    text = summary(ctx, row)
    ref = ctx.log_entry_ref(seq, kind, text, number)
    sid = row["service_id"]
    inc = ctx.include
    plain = ctx.plain()
    entry: Json = {
        **{k: ref[k] for k in ("id", "summary", "self", "html_url")},
        "type": f"{kind}_log_entry",
        "created_at": ctx.ts(row["created_at"]),
        "agent": ctx.agent_ref(row["agent"]),
        "channel": _channel(ctx, row),
        "service": dr.service(plain, sid) if "services" in inc else ctx.service_ref(sid),
        "incident": incident(plain, incident_row)
        if incident_row is not None and "incidents" in inc
        else ctx.incident_ref(number, row["title"]),
        "teams": [
            dr.team(plain, t) if "teams" in inc else ctx.team_ref(t)
            for t in ctx.directory.service_team_ids(sid)
        ],
        "contexts": [],
    }
    if kind == "trigger":
        entry["event_details"] = {"description": row["title"]}
    if row["note"]:
        entry["note"] = row["note"]
    if kind in ("assign", "escalate"):
        entry["assignees"] = [
            ctx.user_ref(u) for u in (row["assignees"] or "").split(",") if u in ctx.directory.users
        ]
    if kind == "notify" and row["user_id"] in ctx.directory.users:
        entry["user"] = ctx.user_ref(row["user_id"])
    if kind == "acknowledge":
        entry["acknowledgement_timeout"] = ctx.directory.services[sid]["acknowledgement_timeout"]
    return entry


def webhook_data(ctx: Ctx, row: dict[str, Any]) -> Json:
    """Incident `data` of a v3 webhook: `number`, `assignees`, no acknowledgements, no resolved_at (§6.2)."""
    iid, number = row["id"], row["number"]
    pol = row["escalation_policy_id"]
    return {
        "id": iid,
        "type": "incident",
        "self": f"{ctx.api}/incidents/{iid}",
        "html_url": f"{ctx.web}/incidents/{iid}",
        "number": number,
        "status": row["status"],
        "incident_key": row["incident_key"],
        "created_at": ctx.ts(row["created_at"]),
        "title": row["title"],
        "service": ctx.service_ref(row["service_id"]),
        "assignees": [
            ctx.user_ref(u) for u, _ in parse_pairs(row["assignments"]) if u in ctx.directory.users
        ],
        "escalation_policy": ctx.policy_ref(pol) if pol else None,
        "teams": [ctx.team_ref(t) for t in ctx.directory.service_team_ids(row["service_id"])],
        "priority": ctx.priority_ref(row["priority_id"]),
        "urgency": row["urgency"],
        "conference_bridge": None,
        "resolve_reason": None,
        "incident_type": {"name": "incident_default"},
        "reopened_at": ctx.ts(row["reopened_at"]),
    }
