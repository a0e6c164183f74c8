"""Reading incidents (API-NOTES §2.5-2.6)."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from flask import request

from pdsim import ids
from pdsim.render import incidents as ri
from pdsim.rest import params
from pdsim.rest.base import api, ctx, principal, sim
from pdsim.rest.errors import bad_request, not_found
from pdsim.rest.windows import window
from pdsim.timeutil import zone

INCLUDES = frozenset(
    {
        "acknowledgers",
        "agents",
        "assignees",
        "conference_bridge",
        "escalation_policies",
        "first_trigger_log_entries",
        "priorities",
        "services",
        "teams",
        "users",
    }
)
SORT_FIELDS = {
    "incident_number": "number",
    "created_at": "created_at",
    "resolved_at": "resolved_at",
    "urgency": "urgency",
}
STATUSES = frozenset({"triggered", "acknowledged", "resolved"})
URGENCIES = frozenset({"high", "low"})
TRIGGER_JOIN = (
    "SELECT l.*, i.title, i.service_id, i.team_id, i.incident_key FROM log_entries l "
    "JOIN incidents i ON i.number = l.incident WHERE l.seq IN ({})"
)


def _order() -> str:
    raw = request.args.get("sort_by")
    if not raw:
        return "created_at ASC, number ASC"
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > 2:
        raise bad_request("sort_by accepts at most two fields")
    out = []
    for part in parts:
        field, _, direction = part.partition(":")
        if field not in SORT_FIELDS or direction not in ("", "asc", "desc"):
            raise bad_request(f"sort_by {part!r} is invalid")
        out.append(f"{SORT_FIELDS[field]} {direction.upper() or 'ASC'}")
    return ", ".join([*out, "number ASC"])


def _in(column: str, values: list[str], where: list[str], args: list[Any]) -> None:
    if values:
        where.append(f"{column} IN ({','.join('?' * len(values))})")
        args.extend(values)


def render_rows(
    rows: list[dict[str, Any]], include: frozenset[str], tz: tzinfo | None
) -> list[dict[str, Any]]:
    c = ctx(include, tz)
    triggers: dict[int, dict[str, Any]] = {}
    if "first_trigger_log_entries" in include and rows:
        seqs = [r["first_trigger_seq"] for r in rows]
        triggers = {
            t["seq"]: t for t in sim().store.rows(TRIGGER_JOIN.format(",".join("?" * len(seqs))), tuple(seqs))
        }
    return [ri.incident(c, r, triggers.get(r["first_trigger_seq"])) for r in rows]


@api.get("/incidents")
def list_incidents() -> Any:
    principal().require("incidents.read")
    s = sim()
    include = params.includes(INCLUDES)
    tz = params.time_zone()
    pg = params.page()
    where: list[str] = []
    args: list[Any] = []
    win = window(s.clock.now(), tz or zone(s.directory.account_tz), limit_range=True)
    if win is not None:
        where.append("created_at >= ? AND created_at < ?")
        args.extend(win)
    _in("status", params.checked_values("statuses", STATUSES), where, args)
    _in("service_id", params.values("service_ids"), where, args)
    _in("team_id", params.values("team_ids"), where, args)
    _in("urgency", params.checked_values("urgencies", URGENCIES), where, args)
    users = params.values("user_ids")
    if users:
        # Only open incidents have assignees (API-NOTES §2.5 `user_ids[]`).
        where.append(
            "status != 'resolved' AND (" + " OR ".join("instr(assignments, ?) > 0" for _ in users) + ")"
        )
        args.extend(f"{u}@" for u in users)
    if request.args.get("incident_key"):
        where.append("incident_key = ?")
        args.append(request.args["incident_key"])
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    order = _order()
    rows = s.store.rows(
        f"SELECT * FROM incidents {clause} ORDER BY {order} LIMIT ? OFFSET ?",
        (*args, pg.limit + 1, pg.offset),
    )
    more = len(rows) > pg.limit
    total = (
        s.store.rows(f"SELECT count(*) AS n FROM incidents {clause}", tuple(args))[0]["n"]
        if pg.total
        else None
    )
    return pg.envelope("incidents", render_rows(rows[: pg.limit], include, tz), more, total)


def find_incident(ident: str) -> dict[str, Any]:
    """`/incidents/{id}` accepts an incident ID or an incident number (API-NOTES §2.6)."""
    number = int(ident) if ident.isdigit() else ids.incident_number_from_id(ident)
    row = sim().store.incident(number) if number is not None else None
    if row is None:
        raise not_found("Incident")
    return row


@api.get("/incidents/<ident>")
def get_incident(ident: str) -> Any:
    principal().require("incidents.read")
    include = params.includes(INCLUDES | {"custom_fields", "body"})
    row = find_incident(ident)
    return {"incident": render_rows([row], include, params.time_zone())[0]}
