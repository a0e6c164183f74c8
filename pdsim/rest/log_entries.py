"""Incident log entries, per incident and account-wide (API-NOTES §2.7-2.8).

Two things a careful client must cope with, and pdsim makes sure it does: log entry timestamps render in
the *account's* time zone unless `time_zone` is given (an offset, not `Z`), and entries come newest first
(the documented order is not stated; pdsim takes the one that breaks clients assuming chronology).
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from pdsim import ids
from pdsim.render import incidents as ri
from pdsim.rest import params
from pdsim.rest.base import api, ctx, principal, sim
from pdsim.rest.errors import not_found
from pdsim.rest.incidents import find_incident
from pdsim.rest.windows import window
from pdsim.timeutil import zone

INCLUDES = frozenset({"incidents", "services", "channels", "teams"})
SELECT = (
    "SELECT l.*, i.title, i.service_id, i.team_id, i.incident_key FROM log_entries l "
    "JOIN incidents i ON i.number = l.incident"
)


def _render(rows: list[dict[str, Any]], include: frozenset[str], tz: tzinfo | None) -> list[dict[str, Any]]:
    c = ctx(include, tz)
    incidents: dict[int, dict[str, Any]] = {}
    if "incidents" in include and rows:
        numbers = sorted({r["incident"] for r in rows})
        found = sim().store.rows(
            f"SELECT * FROM incidents WHERE number IN ({','.join('?' * len(numbers))})", tuple(numbers)
        )
        incidents = {r["number"]: r for r in found}
    return [ri.log_entry(c, r, incidents.get(r["incident"])) for r in rows]


def _list(where: list[str], args: list[Any], include: frozenset[str]) -> dict[str, Any]:
    s = sim()
    tz = params.time_zone() or zone(s.directory.account_tz)
    pg = params.page()
    if params.boolean("is_overview"):
        where.append("l.type != 'notify'")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = s.store.rows(
        f"{SELECT} {clause} ORDER BY l.created_at DESC, l.seq DESC LIMIT ? OFFSET ?",
        (*args, pg.limit + 1, pg.offset),
    )
    more = len(rows) > pg.limit
    total = None
    if pg.total:
        total = s.store.rows(
            f"SELECT count(*) AS n FROM log_entries l JOIN incidents i ON i.number = l.incident {clause}",
            tuple(args),
        )[0]["n"]
    return pg.envelope("log_entries", _render(rows[: pg.limit], include, tz), more, total)


def _window_filter(where: list[str], args: list[Any], explicit_only: bool) -> None:
    s = sim()
    tz = params.time_zone() or zone(s.directory.account_tz)
    if explicit_only and not any(params.arg(k) for k in ("since", "until")):
        return
    win = window(s.clock.now(), tz, limit_range=False)
    if win is not None:
        where.append("l.created_at >= ? AND l.created_at < ?")
        args.extend(win)


@api.get("/incidents/<ident>/log_entries")
def list_incident_log_entries(ident: str) -> Any:
    principal().require("incidents.read")
    include = params.includes(INCLUDES)
    row = find_incident(ident)
    where, args = ["l.incident = ?"], [row["number"]]
    _window_filter(where, args, explicit_only=True)
    return _list(where, args, include)


@api.get("/log_entries")
def list_log_entries() -> Any:
    principal().require("incidents.read")
    include = params.includes(INCLUDES)
    where: list[str] = []
    args: list[Any] = []
    # The default window when since/until are omitted is unknown (API-NOTES §2.8); pdsim uses one month.
    _window_filter(where, args, explicit_only=False)
    teams = params.values("team_ids")
    if teams:
        where.append(f"i.team_id IN ({','.join('?' * len(teams))})")
        args.extend(teams)
    return _list(where, args, include)


@api.get("/log_entries/<entry_id>")
def get_log_entry(entry_id: str) -> Any:
    principal().require("incidents.read")
    include = params.includes(INCLUDES)
    seq = ids.log_entry_seq_from_id(entry_id)
    rows = sim().store.rows(f"{SELECT} WHERE l.seq = ?", (seq,)) if seq is not None else []
    if not rows:
        raise not_found("Log Entry")
    tz = params.time_zone() or zone(sim().directory.account_tz)
    return {"log_entry": _render(rows, include, tz)[0]}
