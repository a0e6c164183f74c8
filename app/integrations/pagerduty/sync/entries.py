"""Log entries on PostgreSQL in one statement: the INSERT looks their incidents up itself.

A log-entry page is most of a backfill's pages, and each was a SELECT of its incidents' ids and then the
upsert. Here the rows arrive as arrays, are joined to `incidents` on (account, remote id) — entries of
incidents Vigil does not keep drop out — and are upserted; the statement answers, for every entry kept, its
incident and whether the entry was created (true), updated (false) or already as it is (null).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Integer, and_, bindparam, func, literal_column, or_, select
from sqlalchemy.dialects import postgresql

from app.extensions import db
from app.integrations.pagerduty.sync.upsert import unnest_params
from app.models import Incident, IncidentLogEntry


def write_entries(
    account_id: int, workspace_id: int, rows: Mapping[str, tuple[str, Mapping[str, Any]]]
) -> list[tuple[int, bool | None]]:
    """`rows`: remote id → (its incident's remote id, column values). Returns (incident id, created)."""
    if not rows:
        return []
    fields = tuple(sorted({name for _, values in rows.values() for name in values}))
    ordered = sorted(rows)  # the same lock order for any two writers of the same entries
    values = [
        {"remote_id": remote_id, **{name: rows[remote_id][1].get(name) for name in fields}}
        for remote_id in ordered
    ]
    params: dict[str, Any] = unnest_params(("remote_id", *fields), values)
    params["v_incident_remote_id"] = [rows[remote_id][0] for remote_id in ordered]
    params["account_id"], params["workspace_id"] = account_id, workspace_id
    return [(incident_id, created) for incident_id, created in db.session.execute(_statement(fields), params)]


@cache
def _statement(fields: Sequence[str]) -> Any:
    entries, incidents = IncidentLogEntry.__table__, Incident.__table__
    columns = ("remote_id", *fields)
    # The account and the workspace are the same for every row: scalars, not arrays of one value repeated.
    account = bindparam("account_id", type_=Integer)
    workspace = bindparam("workspace_id", type_=Integer)
    arrays = [bindparam(f"v_{name}", type_=postgresql.ARRAY(entries.c[name].type)) for name in columns]
    arrays.append(bindparam("v_incident_remote_id", type_=postgresql.ARRAY(incidents.c.remote_id.type)))
    source = func.unnest(*arrays).table_valued(*columns, "incident_remote_id").render_derived()
    matched = (
        select(*(source.c[name] for name in columns), incidents.c.id.label("incident_id"))
        .join_from(
            source,
            incidents,
            and_(incidents.c.account_id == account, incidents.c.remote_id == source.c.incident_remote_id),
        )
        .cte("matched")
    )
    insert = postgresql.insert(entries).from_select(
        ["account_id", "workspace_id", *columns, "incident_id"],
        select(account, workspace, *(matched.c[name] for name in columns), matched.c.incident_id),
    )
    compared = [*fields, "incident_id"]
    insert = insert.on_conflict_do_update(
        index_elements=["account_id", "remote_id"],
        set_={name: insert.excluded[name] for name in compared},
        where=or_(*(entries.c[name].is_distinct_from(insert.excluded[name]) for name in compared)),
    )
    # xmax is 0 on a freshly inserted row version and the locker's id on an updated one.
    created = literal_column("(xmax = 0)", Boolean).label("created")
    written = insert.returning(entries.c.remote_id, created).cte("written")
    return select(matched.c.incident_id, written.c.created).select_from(
        matched.outerjoin(written, written.c.remote_id == matched.c.remote_id)
    )
