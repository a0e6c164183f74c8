"""Users, teams, services, escalation policies and priorities (API-NOTES §2.2-2.4, §2.13)."""

from __future__ import annotations

import hashlib

from pdsim.render.refs import Ctx, Json

_CONTACT_TYPES = {
    "email": "email_contact_method",
    "sms": "sms_contact_method",
    "phone": "phone_contact_method",
    "push": "push_notification_contact_method",
}


_CONTACT_SUFFIX = {"email": "E", "sms": "S", "phone": "V", "push": "A"}


def _contact_id(uid: str, channel: str) -> str:
    return "PC" + uid[2:] + _CONTACT_SUFFIX[channel]


def user(ctx: Ctx, uid: str) -> Json:
    u = ctx.directory.users[uid]
    teams = ctx.directory.user_teams.get(uid, [])
    channels = ["email", *sorted({c for c, _ in u["rules"] if c != "email"})]
    return {
        "id": uid,
        "type": "user",
        "summary": u["name"],
        "self": f"{ctx.api}/users/{uid}",
        "html_url": f"{ctx.web}/users/{uid}",
        "name": u["name"],
        "email": u["email"],
        "time_zone": u["time_zone"],
        "color": u["color"],
        "role": u["role"],
        "avatar_url": "https://secure.gravatar.com/avatar/"
        + hashlib.md5(u["email"].encode()).hexdigest()
        + "?d=mm",
        "description": u["description"],
        "invitation_sent": False,
        "job_title": u["job_title"],
        "created_via_sso": False,
        "teams": [team(ctx.plain(), t) if "teams" in ctx.include else ctx.team_ref(t) for t in teams],
        "contact_methods": [_contact(ctx, u, c) for c in channels],
        "notification_rules": [_rule(ctx, u, i, c, d) for i, (c, d) in enumerate(u["rules"])],
    }


def _contact(ctx: Ctx, u: dict[str, object], channel: str) -> Json:
    cid = _contact_id(str(u["id"]), channel)
    kind = _CONTACT_TYPES[channel]
    ref = {
        "id": cid,
        "type": f"{kind}_reference",
        "summary": channel.upper() if channel != "push" else "Phone app",
        "self": f"{ctx.api}/users/{u['id']}/contact_methods/{cid}",
        "html_url": None,
    }
    if "contact_methods" not in ctx.include:
        return ref
    address = u["email"] if channel == "email" else u["phone"]
    return ref | {"type": kind, "label": "Work", "address": address}


def _rule(ctx: Ctx, u: dict[str, object], index: int, channel: str, delay: int) -> Json:
    rid = f"PR{str(u['id'])[2:]}{index}"
    ref = {
        "id": rid,
        "type": "assignment_notification_rule_reference",
        "summary": f"{delay // 60} minutes: {channel}",
        "self": f"{ctx.api}/users/{u['id']}/notification_rules/{rid}",
        "html_url": None,
    }
    if "notification_rules" not in ctx.include:
        return ref
    return ref | {
        "type": "assignment_notification_rule",
        "start_delay_in_minutes": delay // 60,
        "urgency": "high",
        "contact_method": _contact(ctx, u, channel),
    }


def team(ctx: Ctx, tid: str) -> Json:
    t = ctx.directory.teams[tid]
    return {
        "id": tid,
        "type": "team",
        "summary": t["name"],
        "self": f"{ctx.api}/teams/{tid}",
        "html_url": f"{ctx.web}/teams/{tid}",
        "name": t["name"],
        "description": t["description"],
        "default_role": "manager",
        "parent": None,
    }


def service(ctx: Ctx, sid: str) -> Json:
    s = ctx.directory.services[sid]
    policy = s["escalation_policy_id"]
    return {
        "id": sid,
        "type": "service",
        "summary": s["name"],
        "self": f"{ctx.api}/services/{sid}",
        "html_url": f"{ctx.web}/service-directory/{sid}",
        "name": s["name"],
        "description": s["description"],
        "auto_resolve_timeout": s["auto_resolve_timeout"],
        "acknowledgement_timeout": s["acknowledgement_timeout"],
        "created_at": ctx.ts(s["created_at"]),
        "status": s["status"],
        "last_incident_timestamp": ctx.ts(ctx.directory.last_incident.get(sid)),
        "escalation_policy": escalation_policy(ctx.plain(), policy)
        if "escalation_policies" in ctx.include
        else ctx.policy_ref(policy),
        "teams": [
            team(ctx.plain(), t) if "teams" in ctx.include else ctx.team_ref(t) for t in [s["team_id"]]
        ],
        "integrations": [
            _integration(ctx, sid) if "integrations" in ctx.include else ctx.integration_ref(sid)
        ],
        "incident_urgency_rule": {"type": "constant", "urgency": "high"},
        "support_hours": None,
        "scheduled_actions": [],
        "addons": [],
        "alert_creation": "create_alerts_and_incidents",
        "auto_pause_notifications_parameters": {"enabled": False, "timeout": None},
    }


def _integration(ctx: Ctx, sid: str) -> Json:
    s = ctx.directory.services[sid]
    ref = ctx.integration_ref(sid)
    return ref | {
        "type": "events_api_v2_inbound_integration",
        "name": "Events API v2",
        "service": ctx.service_ref(sid),
        "created_at": ctx.ts(s["created_at"]),
        "integration_key": s["integration_key"],
    }


def escalation_policy(ctx: Ctx, pid: str) -> Json:
    p = ctx.directory.policies[pid]
    services = [sid for sid, s in ctx.directory.services.items() if s["escalation_policy_id"] == pid]
    rules = []
    for i, rule in enumerate(p["rules"]):
        people = list(dict.fromkeys(rule["users"]))
        if len(people) > 1:
            # Rotating levels page whoever is on call: PagerDuty shows them as a schedule target.
            sched = f"PS{pid[2:]}{i}"
            label = "Primary" if i == 0 else "Secondary"
            targets = [
                {
                    "id": sched,
                    "type": "schedule_reference",
                    "summary": f"{p['name'].split(' Escalation')[0]} {label}",
                    "self": f"{ctx.api}/schedules/{sched}",
                    "html_url": f"{ctx.web}/schedules/{sched}",
                }
            ]
        else:
            targets = [ctx.user_ref(u) for u in people]
        rules.append(
            {"id": f"PE{pid[2:]}{i}", "escalation_delay_in_minutes": rule["delay"] // 60, "targets": targets}
        )
    return {
        "id": pid,
        "type": "escalation_policy",
        "summary": p["name"],
        "self": f"{ctx.api}/escalation_policies/{pid}",
        "html_url": f"{ctx.web}/escalation_policies/{pid}",
        "name": p["name"],
        "description": p["description"],
        "on_call_handoff_notifications": "if_has_services",
        "num_loops": p["num_loops"],
        "escalation_rules": rules,
        "services": [ctx.service_ref(s) for s in services],
        "teams": [ctx.team_ref(p["team_id"])] if p["team_id"] else [],
    }


def priority(ctx: Ctx, pid: str) -> Json:
    p = ctx.directory.priorities[pid]
    return {
        "id": pid,
        "type": "priority",
        "summary": p["name"],
        "self": f"{ctx.api}/priorities/{pid}",
        "name": p["name"],
        "description": p["description"],
    }
