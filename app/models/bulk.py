"""Many rows in one statement on PostgreSQL: the rows as one JSON parameter, read back by `json_to_recordset`.

One parameter for the whole batch keeps the SQL short and the same for every batch, so neither SQLAlchemy,
psycopg nor PostgreSQL compiles, converts or parses a statement with thousands of parameters, and PostgreSQL
runs one statement instead of one per row (psycopg's executemany).

JSON rather than one array per column (`unnest`), because the arrays were bound in Python element by element
(SQLAlchemy's per-item processing, then psycopg's list dumper), where orjson makes one C call (BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Table, Text, bindparam, cast, column, func, insert, literal_column, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine

from app.extensions import db, is_postgresql
from app.models.types import UTCDateTime

ROWS_PARAM = "bulk_rows"


@cache
def rows_source(table: Table, columns: tuple[str, ...]) -> dict[str, Any]:
    """PostgreSQL: each column of `json_to_recordset(:bulk_rows) AS v(<name> <type>, …)`, typed as the
    table's own column (bind the rows with rows_param). A timestamp is read with its offset and turned into
    UTC here: `timestamp without time zone` would silently drop the offset of a value not given in UTC."""
    record = (
        func.json_to_recordset(cast(bindparam(ROWS_PARAM, type_=Text), postgresql.JSON))
        .table_valued(*(column(name, _record_type(table.c[name].type)) for name in columns))
        .render_derived(with_types=True)
    )
    return {name: _stored(record.c[name], table.c[name].type) for name in columns}


def _record_type(stored: TypeEngine[Any]) -> TypeEngine[Any]:
    return postgresql.TIMESTAMP(timezone=True) if isinstance(stored, UTCDateTime) else stored


def _stored(value: Any, stored: TypeEngine[Any]) -> Any:
    if isinstance(stored, UTCDateTime):
        return func.timezone(literal_column("'UTC'"), value, type_=stored)
    return value


def rows_param(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The rows as the one JSON parameter of rows_source (keys it does not name are ignored); orjson writes
    datetimes with their offset, enums as their values; a naive datetime counts as UTC."""
    plain = [row if type(row) is dict else dict(row) for row in rows]
    return {ROWS_PARAM: orjson.dumps(plain, option=orjson.OPT_NAIVE_UTC).decode()}


@cache
def _insert_from_rows(table: Table, columns: tuple[str, ...]) -> Any:
    source = rows_source(table, columns)
    return insert(table).from_select(columns, select(*(source[n] for n in columns)))


def insert_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """A plain INSERT of rows that all have the same keys (a conflict is an error, as with any INSERT)."""
    if not rows:
        return
    if is_postgresql():
        db.session.execute(_insert_from_rows(table, tuple(rows[0])), rows_param(rows))
    else:
        # SQLite runs in-process: an executemany of one prepared statement costs no round trips.
        db.session.execute(insert(table), list(rows))
