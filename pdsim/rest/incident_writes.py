"""Creating and updating incidents (API-NOTES §2.10-2.12).

- `From` must name a valid user (400 otherwise), also for user-level tokens.
- Titles longer than 255 characters are refused with 2001 (the limit is not documented; pdsim takes the
  stricter reading). Bodies must be strings, as the docs say, whatever the SPEC's type.
- An open incident with the same `incident_key` on the service → 400 code 2002 with the observed message.
- A disabled service or one in maintenance creates no incident (400 2002; the status and text are assumed).
- Re-resolving → 400 code 1001 (unknown in the docs; the harder case).
- Bulk `PUT /incidents`: at most 250, else 413; one invalid item fails the whole request, nothing changes.
"""

from __future__ import annotations

from typing import Any

from flask import request

from pdsim.actions import ActionError, Actor, Tx
from pdsim.rest.base import api, body_json, principal, sim
from pdsim.rest.errors import ApiError, bad_request, forbidden
from pdsim.rest.incidents import find_incident, render_rows

TITLE_LIMIT = 255
BULK_LIMIT = 250
DEDUP_MESSAGE = "Open incident with matching dedup key already exists on this service"
NO_WRITE_ROLES = {"observer", "read_only_user", "read_only_limited_user"}


def _actor() -> Actor:
    p = principal()
    p.require("incidents.write")
    email = request.headers.get("From", "").strip()
    if not email:
        raise bad_request(
            'You must specify a user\'s email address in the "From" header to perform this action.'
        )
    user = sim().directory.users_by_email.get(email.lower())
    if user is None:
        raise ApiError(400, 1008, f"No user with the email {email!r} exists on this account")
    uid = p.user_id or user["id"]
    if sim().directory.users[uid]["role"] in NO_WRITE_ROLES:
        raise forbidden("The requester is not authorized to perform this action")
    client = None
    if p.client_id:
        found = sim().oauth.client(p.client_id)
        client = found.name if found else None
    return Actor(uid, "api", client)


def _ref_id(value: Any, kind: str, what: str) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        raise bad_request(f"{what} must be an object with an id")
    if value.get("type") != kind:  # the docs specify references; pdsim takes the strict reading
        raise bad_request(f"{what} type must be {kind}")
    return str(value["id"])


def _priority(value: Any) -> str | None:
    """An object reference, or (on update) a string naming the priority (API-NOTES §2.11)."""
    d = sim().directory
    if value is None:
        return None
    if isinstance(value, str):
        for pid, row in d.priorities.items():
            if row["name"] == value:
                return pid
        raise bad_request(f"Priority {value!r} not found")
    pid = _ref_id(value, "priority_reference", "priority")
    if pid not in d.priorities:
        raise bad_request("Priority not found")
    return pid


def _assignees(items: Any) -> list[str]:
    if not isinstance(items, list) or not items:
        raise bad_request("assignments must be a non-empty list")
    out = []
    for item in items:
        uid = _ref_id(item.get("assignee") if isinstance(item, dict) else None, "user_reference", "assignee")
        if uid not in sim().directory.users:
            raise bad_request(f"User {uid} not found")
        out.append(uid)
    return out


@api.post("/incidents")
def create_incident() -> Any:
    actor = _actor()
    data = body_json().get("incident")
    if not isinstance(data, dict) or data.get("type") != "incident":
        raise bad_request('The body must be {"incident": {"type": "incident", …}}')
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise bad_request("title is required")
    if len(title) > TITLE_LIMIT:
        raise bad_request(f"Title is too long (maximum is {TITLE_LIMIT} characters)")
    d = sim().directory
    service_id = _ref_id(data.get("service"), "service_reference", "service")
    if service_id not in d.services:
        raise bad_request("Service not found")
    status = d.services[service_id]["status"]
    if status in ("disabled", "maintenance"):
        text = "Service is disabled" if status == "disabled" else "Service is in maintenance mode"
        raise ApiError(400, 2002, text)
    urgency = data.get("urgency", "high")
    if urgency not in ("high", "low"):
        raise bad_request("urgency must be high or low")
    priority = _priority(data["priority"]) if data.get("priority") is not None else None
    body = data.get("body")
    details = None
    if body is not None:
        details = body.get("details") if isinstance(body, dict) else None
        if not isinstance(details, str):
            raise bad_request("body.details must be a string")
    key = data.get("incident_key")
    if key is not None and not isinstance(key, str):
        raise bad_request("incident_key must be a string")
    assignee, policy = None, None
    if data.get("assignments") is not None and data.get("escalation_policy") is not None:
        raise bad_request("assignments cannot be specified together with escalation_policy")
    if data.get("assignments") is not None:
        people = _assignees(data["assignments"])
        if len(people) > 1:
            raise bad_request("Only one assignee is supported")
        assignee = people[0]
    if data.get("escalation_policy") is not None:
        policy = _ref_id(data["escalation_policy"], "escalation_policy_reference", "escalation_policy")
        if policy not in d.policies:
            raise bad_request("Escalation policy not found")
    with sim().transaction() as tx:
        if (
            key
            and tx.conn.execute(
                "SELECT 1 FROM incidents WHERE service_id = ? AND incident_key = ? AND status != 'resolved'",
                (service_id, key),
            ).fetchone()
        ):
            raise ApiError(400, 2002, DEDUP_MESSAGE)
        row = sim().actions.create(
            tx,
            service_id=service_id,
            title=title,
            actor=actor,
            urgency=urgency,
            priority_id=priority,
            incident_key=key,
            body=details,
            assignee=assignee,
            policy_id=policy,
            origin="api",
            from_email=request.headers.get("From"),
        )
    return {"incident": render_rows([row], frozenset(), None)[0]}, 201


def _apply(tx: Tx, row: dict[str, Any], item: dict[str, Any], actor: Actor) -> dict[str, Any]:
    acts = sim().actions
    if item.get("type") not in ("incident", "incident_reference"):
        raise bad_request("incident type must be incident or incident_reference")
    status = item.get("status")
    try:
        if status is not None:
            if status == "resolved":
                row = acts.resolve(tx, row, actor, item.get("resolution"))
            elif status == "acknowledged":
                row = acts.acknowledge(tx, row, actor)
            elif status == "triggered":
                row = (
                    acts.reopen(tx, row, actor)
                    if row["status"] == "resolved"
                    else acts.unacknowledge(tx, row, actor)
                )
            else:
                raise ApiError(400, 1003, f"status {status!r} is invalid")
        if item.get("escalation_policy") is not None:
            policy = _ref_id(item["escalation_policy"], "escalation_policy_reference", "escalation_policy")
            if policy not in sim().directory.policies:
                raise bad_request("Escalation policy not found")
            row = acts.change_policy(tx, row, actor, policy)
        if item.get("escalation_level") is not None:
            if not isinstance(item["escalation_level"], int):
                raise bad_request("escalation_level must be an integer")
            row = acts.escalate(tx, row, actor, item["escalation_level"])
        if item.get("assignments") is not None:
            row = acts.reassign(tx, row, actor, _assignees(item["assignments"]))
        urgency = item.get("urgency")
        if urgency is not None and urgency not in ("high", "low"):
            raise bad_request("urgency must be high or low")
        title = item.get("title")
        if title is not None and (not isinstance(title, str) or len(title) > TITLE_LIMIT):
            raise bad_request("title is invalid")
        priority = _priority(item["priority"]) if "priority" in item else False
        return acts.set_fields(tx, row, actor, title=title, urgency=urgency, priority_id=priority)
    except ActionError as exc:
        raise ApiError(400, exc.code, str(exc)) from None


@api.put("/incidents/<ident>")
def update_incident(ident: str) -> Any:
    actor = _actor()
    data = body_json().get("incident")
    if not isinstance(data, dict):
        raise bad_request('The body must be {"incident": {…}}')
    row = find_incident(ident)
    with sim().transaction() as tx:
        row = _apply(tx, row, data, actor)
    return {"incident": render_rows([row], frozenset(), None)[0]}


@api.put("/incidents")
def update_incidents() -> Any:
    actor = _actor()
    items = body_json().get("incidents")
    if not isinstance(items, list) or not items:
        raise bad_request('The body must be {"incidents": [...]}')
    if len(items) > BULK_LIMIT:
        raise ApiError(413, 2001, f"A maximum of {BULK_LIMIT} incidents may be updated at a time")
    rows = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise bad_request("every incident needs an id")
    with sim().transaction() as tx:
        for item in items:
            rows.append(_apply(tx, find_incident(item["id"]), item, actor))
    return {
        "incidents": render_rows(rows, frozenset(), None),
        "limit": len(rows),
        "offset": 0,
        "more": False,
        "total": None,
    }
