"""Change events (API-NOTES §1.3, §2.9).

- `since`/`until` must be UTC strings ending in `Z`; anything else is a 400.
- The envelope's `limit`, `offset` and `total` are null and `more` is false, as in the SPEC's example.
  With no `limit` every event in the window comes back; an explicit `limit`/`offset` is honoured but the
  envelope still says `more: false` (real behaviour unknown; the harder case, documented in docs/pdsim.md).
- Only the last 90 days (on pdsim's clock) exist: older events are gone, as PagerDuty keeps no more.
- Newest first, as in the SPEC's example.
"""

from __future__ import annotations

from typing import Any

from flask import request

from pdsim.render.changes import change_event
from pdsim.rest import params
from pdsim.rest.base import api, ctx, principal, sim
from pdsim.rest.errors import ApiError, bad_request, not_found
from pdsim.timeutil import parse_utc_z

RETENTION_SECONDS = 90 * 86400


def _z(name: str) -> float | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_utc_z(raw)
    except ValueError:
        raise ApiError(400, 2001, f"{name} must be a UTC ISO 8601 datetime (YYYY-MM-DDThh:mm:ssZ)") from None


def _events(service_id: str | None) -> dict[str, Any]:
    s = sim()
    now = s.clock.now()
    where = ["timestamp >= ?", "timestamp <= ?"]
    args: list[Any] = [now - RETENTION_SECONDS, now]
    since, until = _z("since"), _z("until")
    if since is not None:
        where.append("timestamp >= ?")
        args.append(since)
    if until is not None:
        where.append("timestamp < ?")
        args.append(until)
    if service_id is not None:
        where.append("(',' || service_ids || ',') LIKE ?")
        args.append(f"%,{service_id},%")
    teams = params.values("team_ids")
    if teams:
        services = [sid for sid, row in s.directory.services.items() if row["team_id"] in teams]
        where.append("(" + " OR ".join("(',' || service_ids || ',') LIKE ?" for _ in services or [""]) + ")")
        args.extend(f"%,{sid},%" for sid in services or ["-"])
    integrations = params.values("integration_ids")
    if integrations:
        where.append(f"integration_id IN ({','.join('?' * len(integrations))})")
        args.extend(integrations)
    paging = ""
    if request.args.get("limit"):
        pg = params.page()
        paging = " LIMIT ? OFFSET ?"
        args.extend((pg.limit, pg.offset))
    elif request.args.get("offset"):
        raise bad_request("offset needs limit")
    rows = s.store.rows(
        f"SELECT * FROM change_events WHERE {' AND '.join(where)} ORDER BY timestamp DESC, seq DESC{paging}",
        tuple(args),
    )
    c = ctx()
    return {
        "change_events": [change_event(c, r) for r in rows],
        "limit": None,
        "offset": None,
        "total": None,
        "more": False,
    }


@api.get("/change_events")
def list_change_events() -> Any:
    principal().require("change_events.read")
    return _events(None)


@api.get("/services/<service_id>/change_events")
def list_service_change_events(service_id: str) -> Any:
    principal().require("services.read")
    if service_id not in sim().directory.services:
        raise not_found("Service")
    return _events(service_id)


@api.get("/change_events/<event_id>")
def get_change_event(event_id: str) -> Any:
    principal().require("change_events.read")
    now = sim().clock.now()
    rows = sim().store.rows(
        "SELECT * FROM change_events WHERE id = ? AND timestamp >= ?", (event_id, now - RETENTION_SECONDS)
    )
    if not rows:
        raise not_found("Change Event")
    return {"change_event": change_event(ctx(), rows[0])}
