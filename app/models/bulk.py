"""Many rows in one statement on PostgreSQL: one array per column, read back as rows by `unnest`.

One parameter per column keeps the SQL short and the same for every batch, so neither SQLAlchemy, psycopg nor
PostgreSQL has to compile, convert or parse a statement with thousands of parameters, and PostgreSQL runs one
statement instead of one per row (psycopg's executemany). Arrays go over in binary (config._binary_arrays).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql

from app.extensions import db


@cache
def unnest_source(table: Table, columns: tuple[str, ...]) -> Any:
    """PostgreSQL: rows as `unnest(<one array per column>) AS v(columns)`; bind them with unnest_params."""
    arrays = [bindparam(f"v_{name}", type_=postgresql.ARRAY(table.c[name].type)) for name in columns]
    return func.unnest(*arrays).table_valued(*columns).render_derived()


def unnest_params(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    return {f"v_{name}": [row[name] for row in rows] for name in columns}


@cache
def _insert_from_unnest(table: Table, columns: tuple[str, ...]) -> Any:
    source = unnest_source(table, columns)
    return insert(table).from_select(columns, select(*(source.c[n] for n in columns)))


def insert_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """A plain INSERT of rows that all have the same keys (a conflict is an error, as with any INSERT)."""
    if not rows:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        columns = tuple(rows[0])
        db.session.execute(_insert_from_unnest(table, columns), unnest_params(columns, rows))
    else:
        # SQLite runs in-process: an executemany of one prepared statement costs no round trips.
        db.session.execute(insert(table), list(rows))
