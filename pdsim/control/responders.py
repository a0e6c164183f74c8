"""Acting as responders and monitoring integrations, the demo responders, listing what clients created,
changing services."""

from __future__ import annotations

from typing import Any

from pdsim.actions import ActionError, Actor
from pdsim.control.base import ControlError, body, control, sim, user_id_from
from pdsim.demo_responders import ResponderConfig
from pdsim.ids import incident_number_from_id
from pdsim.render import incidents as ri
from pdsim.render.incidents import parse_pairs
from pdsim.timeutil import iso

ACTIONS = ("trigger", "acknowledge", "unacknowledge", "escalate", "reassign", "resolve", "reopen")
RESOLVERS = {"timeout": "timeout", "integration": "auto"}


def _row(ident: str) -> dict[str, Any]:
    number = int(ident) if ident.isdigit() else incident_number_from_id(ident)
    row = sim().store.incident(number) if number is not None else None
    if row is None:
        raise ControlError(f"unknown incident {ident}", 404)
    return row


@control.post("/incidents")
def trigger_new() -> Any:
    """A monitoring integration opens an incident: `{"service_id", "title", "urgency"?, "incident_key"?}`."""
    data = body()
    s = sim()
    service_id = data.get("service_id")
    if service_id not in s.directory.services:
        raise ControlError("service_id must name a service")
    title = data.get("title")
    if not isinstance(title, str) or not title:
        raise ControlError("title is required")
    with s.transaction() as tx:
        row = s.actions.create(
            tx,
            service_id=service_id,
            title=title,
            actor=Actor(service_id, "api"),
            urgency=data.get("urgency", "high"),
            incident_key=data.get("incident_key"),
            origin="integration",
            alerts=1,
        )
    return {"incident": ri.incident(s.ctx(), row)}, 201


@control.post("/incidents/<ident>/<action>")
def act(ident: str, action: str) -> Any:
    """Responder actions. Body: `user_id`/`user_email` (default: the assignee, else the admin), `channel`
    (default `website`), `level` (escalate), `user_ids` (reassign), `note` (resolve), and for resolve
    `by: "timeout"|"integration"` to resolve as the service rather than a person."""
    if action not in ACTIONS:
        raise ControlError(f"action must be one of {', '.join(ACTIONS)}", 404)
    data = body()
    s = sim()
    row = _row(ident)
    assignees = [u for u, _ in parse_pairs(row["assignments"])]
    default_user = assignees[0] if assignees else str(s.directory.admin["id"])
    actor = Actor(user_id_from(data, default_user), str(data.get("channel", "website")))
    if action == "resolve" and data.get("by") in RESOLVERS:
        actor = Actor(row["service_id"], RESOLVERS[data["by"]])
    acts = s.actions
    try:
        with s.transaction() as tx:
            if action == "acknowledge":
                row = acts.acknowledge(tx, row, actor)
            elif action in ("unacknowledge", "trigger"):
                row = (
                    acts.reopen(tx, row, actor)
                    if row["status"] == "resolved"
                    else acts.unacknowledge(tx, row, actor)
                )
            elif action == "escalate":
                row = acts.escalate(tx, row, actor, data.get("level"))
            elif action == "reassign":
                users = data.get("user_ids") or []
                if not users or any(u not in s.directory.users for u in users):
                    raise ControlError("user_ids must name users")
                row = acts.reassign(tx, row, actor, list(users))
            elif action == "resolve":
                row = acts.resolve(tx, row, actor, data.get("note"))
            else:
                row = acts.reopen(tx, row, actor)
    except ActionError as exc:
        raise ControlError(f"{exc} (code {exc.code})", 409) from None
    return {"incident": ri.incident(s.ctx(), row)}


@control.get("/created")
def created() -> Any:
    """Incidents created through `POST /incidents`, for Vigil's alert tests."""
    rows = sim().store.rows("SELECT * FROM incidents WHERE origin = 'api' ORDER BY number")
    d = sim().directory
    return {
        "incidents": [
            {
                "id": r["id"],
                "number": r["number"],
                "title": r["title"],
                "service_id": r["service_id"],
                "service_name": d.services[r["service_id"]]["name"],
                "from": r["from_email"],
                "incident_key": r["incident_key"],
                "status": r["status"],
                "urgency": r["urgency"],
                "priority": d.priorities[r["priority_id"]]["name"] if r["priority_id"] else None,
                "body": r["body"],
                "created_at": iso(r["created_at"]),
                "resolved_at": iso(r["resolved_at"]),
            }
            for r in rows
        ]
    }


@control.patch("/services/<service_id>")
def update_service(service_id: str) -> Any:
    """`{"status": "active"|"warning"|"critical"|"maintenance"|"disabled"}`."""
    status = body().get("status")
    if status not in ("active", "warning", "critical", "maintenance", "disabled"):
        raise ControlError("status is invalid")
    s = sim()
    with s.store.write() as conn:
        if conn.execute("UPDATE services SET status = ? WHERE id = ?", (status, service_id)).rowcount == 0:
            raise ControlError("unknown service", 404)
    s.reload_directory()
    return {"id": service_id, "status": status}


@control.get("/responders")
def demo_responders() -> Any:
    return sim().responders.describe()


@control.post("/responders")
def configure_demo_responders() -> Any:
    """Demo switch: `{"enabled": true, "seed": 7, "acknowledge": 0.5, "resolve_by_hand": 0.2,
    "ack_median_seconds": 120, "resolve_median_seconds": 300}`; settings left out keep their value."""
    responders = sim().responders
    try:
        responders.configure(ResponderConfig.from_json(body(), responders.config))
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return responders.describe()


@control.post("/responders/tick")
def tick_demo_responders() -> Any:
    """Carry out the responders' due actions now (tests move the clock, then tick, rather than wait)."""
    return {"acted": sim().responders.tick()}
