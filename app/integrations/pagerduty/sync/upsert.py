"""Idempotent writes keyed on (account, remote id), on SQLite and PostgreSQL alike.

Each batch reads the rows it already has, inserts what is new and updates only what changed, so a re-run
writes nothing and the counts of created/updated rows are exact. Inserts use ON CONFLICT DO NOTHING, so a
webhook job racing a sync on the same row cannot fail the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


@dataclass
class UpsertResult:
    ids: dict[str, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0


def pairs(statement: Any) -> dict[Any, Any]:
    """Two-column SELECT → dict (`dict(result)` misreads a Result, which has `.keys()`)."""
    return {key: value for key, value in db.session.execute(statement)}


def dialect_insert(target: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(target)


def upsert_by_remote_id(
    model: type[Any], account_id: int, workspace_id: int, rows: Iterable[tuple[str, Mapping[str, Any]]]
) -> UpsertResult:
    batch: dict[str, Mapping[str, Any]] = {}
    for remote_id, values in rows:
        batch[remote_id] = values  # within one batch the last version of a row wins
    result = UpsertResult()
    if not batch:
        return result
    fields = sorted({name for values in batch.values() for name in values})
    columns = [model.id, model.remote_id, *(getattr(model, name) for name in fields)]
    existing = {
        row.remote_id: row
        for row in db.session.execute(
            select(*columns).where(model.account_id == account_id, model.remote_id.in_(list(batch)))
        )
    }
    inserts = [
        {"account_id": account_id, "workspace_id": workspace_id, "remote_id": remote_id, **values}
        for remote_id, values in batch.items()
        if remote_id not in existing
    ]
    updates = [
        {"id": existing[remote_id].id, **values}
        for remote_id, values in batch.items()
        if remote_id in existing and _changed(existing[remote_id], values)
    ]
    if inserts:
        statement = dialect_insert(model).on_conflict_do_nothing(index_elements=["account_id", "remote_id"])
        db.session.execute(statement, inserts)
    if updates:
        db.session.execute(update(model), updates)
    result.created, result.updated = len(inserts), len(updates)
    result.ids = {remote_id: row.id for remote_id, row in existing.items()}
    if inserts:
        new_ids = db.session.execute(
            select(model.remote_id, model.id).where(
                model.account_id == account_id, model.remote_id.in_([row["remote_id"] for row in inserts])
            )
        )
        result.ids.update({remote_id: row_id for remote_id, row_id in new_ids})
    return result


def _changed(row: Any, values: Mapping[str, Any]) -> bool:
    return any(getattr(row, name) != value for name, value in values.items())


def replace_links(table: Table, left: str, right: str, wanted: Mapping[int, Sequence[int]]) -> int:
    """Make the links of each left id exactly `wanted[left]`; returns how many link rows changed."""
    if not wanted:
        return 0
    left_col, right_col = table.c[left], table.c[right]
    have: dict[int, set[int]] = {key: set() for key in wanted}
    for left_id, right_id in db.session.execute(
        select(left_col, right_col).where(left_col.in_(list(wanted)))
    ):
        have[left_id].add(right_id)
    to_add = [
        {left: l_id, right: r_id} for l_id, rights in wanted.items() for r_id in set(rights) - have[l_id]
    ]
    to_remove = [(l_id, r_id) for l_id, rights in have.items() for r_id in rights - set(wanted[l_id])]
    if to_add:
        db.session.execute(dialect_insert(table).on_conflict_do_nothing(), to_add)
    if to_remove:
        db.session.execute(delete(table).where(tuple_(left_col, right_col).in_(to_remove)))
    return len(to_add) + len(to_remove)
