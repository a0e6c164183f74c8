"""Idempotent writes keyed on (account, remote id), on SQLite and PostgreSQL alike. A batch is one multi-row
INSERT … ON CONFLICT DO UPDATE … WHERE <some column IS DISTINCT FROM the new value>: an unchanged row is
neither written nor returned, so a re-run writes nothing and RETURNING yields exactly the rows created or
updated. Concurrent writers of the same rows (a webhook job and a sync) cannot fail the batch, and rows are
sent in remote-id order so two such writers take their row locks in the same order."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Table, delete, literal_column, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db, is_postgresql
from app.models.bulk import rows_param, rows_source

# Rows per statement: 500 rows of ~20 columns stay below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
BATCH_ROWS = 500


@dataclass
class UpsertResult:
    ids: dict[str, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    # Remote ids of the rows this batch inserted or changed, and of those it inserted.
    written: set[str] = field(default_factory=set)
    created_ids: set[str] = field(default_factory=set)


def pairs(statement: Any) -> dict[Any, Any]:
    """Two-column SELECT → dict (`dict(result)` misreads a Result, which has `.keys()`)."""
    return {key: value for key, value in db.session.execute(statement)}


def dialect_insert(target: Any) -> Any:
    return (postgresql if is_postgresql() else sqlite).insert(target)


def upsert_by_remote_id(
    model: type[Any],
    account_id: int,
    workspace_id: int,
    rows: Iterable[tuple[str, Mapping[str, Any]]],
    *,
    insert_only: Collection[str] = (),
    want_ids: bool = True,
) -> UpsertResult:
    """Insert new rows, update changed ones, leave the rest alone; counts are exact. `insert_only` columns are
    written when a row is created, never compared or overwritten (derived columns, which their own refresh
    keeps). Without `want_ids`, `ids` holds only written rows."""
    batch = dict(rows)  # within one batch the last version of a row wins
    result = UpsertResult()
    if not batch:
        return result
    table: Table = model.__table__
    fields = sorted({name for values in batch.values() for name in values})
    compared = tuple(name for name in fields if name not in insert_only)
    postgres = is_postgresql()
    statement = _upsert_statement(
        table, ("account_id", "workspace_id", "remote_id", *fields), compared, postgres
    )
    ordered = sorted(batch)
    for start in range(0, len(ordered), BATCH_ROWS):
        keys = ordered[start : start + BATCH_ROWS]
        values = [
            {
                "account_id": account_id,
                "workspace_id": workspace_id,
                "remote_id": key,
                **{name: batch[key].get(name) for name in fields},
            }
            for key in keys
        ]
        # SQLite has no xmax: which rows are new is read before the write instead (SQLite has one writer at a
        # time, so only the counts, never the data, could be off under a race).
        existing = set() if postgres else _existing(table, account_id, keys)
        # SQLite gets a list of rows, which SQLAlchemy's "insertmanyvalues" sends as multi-row VALUES.
        for remote_id, row_id, is_new in db.session.execute(
            statement, rows_param(values) if postgres else values
        ):
            result.ids[remote_id] = row_id
            result.written.add(remote_id)
            if is_new if postgres else remote_id not in existing:
                result.created += 1
                result.created_ids.add(remote_id)
            else:
                result.updated += 1
    if want_ids and len(result.ids) < len(batch):
        unchanged = [remote_id for remote_id in ordered if remote_id not in result.ids]
        for start in range(0, len(unchanged), BATCH_ROWS):
            result.ids.update(
                pairs(
                    select(table.c.remote_id, table.c.id).where(
                        table.c.account_id == account_id,
                        table.c.remote_id.in_(unchanged[start : start + BATCH_ROWS]),
                    )
                )
            )
    return result


@cache
def _upsert_statement(
    table: Table, columns: tuple[str, ...], compared: tuple[str, ...], postgres: bool
) -> Any:
    """Built once per shape: building `excluded` and the rows' alias cost more than the write itself."""
    if postgres:
        source = rows_source(table, columns)
        statement = postgresql.insert(table).from_select(columns, select(*(source[n] for n in columns)))
    else:
        statement = sqlite.insert(table)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["account_id", "remote_id"],
        set_={name: excluded[name] for name in compared},
        where=or_(*(table.c[name].is_distinct_from(excluded[name]) for name in compared)),
    )
    # PostgreSQL: xmax is 0 on a freshly inserted row version and the locker's id on an updated one.
    inserted = literal_column("(xmax = 0)", Boolean) if postgres else literal_column("NULL", Boolean)
    return statement.returning(table.c.remote_id, table.c.id, inserted)


def _existing(table: Table, account_id: int, remote_ids: Sequence[str]) -> set[str]:
    statement = select(table.c.remote_id).where(
        table.c.account_id == account_id, table.c.remote_id.in_(remote_ids)
    )
    return set(db.session.scalars(statement))


def replace_links(
    table: Table, left: str, right: str, wanted: Mapping[int, Sequence[int]], fresh: Collection[int] = ()
) -> int:
    """Make the links of each left id exactly `wanted[left]`; returns how many link rows changed. `fresh` left
    ids were created in this transaction: they have no links to read."""
    if not wanted:
        return 0
    left_col, right_col = table.c[left], table.c[right]
    have: dict[int, set[int]] = {key: set() for key in wanted}
    known = [key for key in wanted if key not in fresh]
    if known:
        for left_id, right_id in db.session.execute(select(left_col, right_col).where(left_col.in_(known))):
            have[left_id].add(right_id)
    to_add = [
        {left: l_id, right: r_id} for l_id, rights in wanted.items() for r_id in set(rights) - have[l_id]
    ]
    to_remove = [(l_id, r_id) for l_id, rights in have.items() for r_id in rights - set(wanted[l_id])]
    if to_add and is_postgresql():
        source = rows_source(table, (left, right))
        statement = postgresql.insert(table).from_select((left, right), select(source[left], source[right]))
        db.session.execute(statement.on_conflict_do_nothing(), rows_param(to_add))
    elif to_add:
        db.session.execute(sqlite.insert(table).on_conflict_do_nothing(), to_add)
    if to_remove:
        db.session.execute(delete(table).where(tuple_(left_col, right_col).in_(to_remove)))
    return len(to_add) + len(to_remove)
