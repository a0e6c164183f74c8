"""The few date operations whose SQL differs between SQLite and PostgreSQL, one construct each.

Timestamps are stored as naive UTC on both engines (app.models.types.UTCDateTime). SQLite keeps them as text,
'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's storage format), so every SQLite form below keeps that shape or
works in whole integers, never through julianday() floats: julianday(b) - julianday(a) turns 3600 s into
3599.9999999, and the two engines would then disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Float, Integer, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from app.models.types import UTCDateTime


class add_seconds(FunctionElement[Any]):
    """timestamp + n seconds (n an integer expression), still a comparable stored timestamp."""

    type = UTCDateTime()
    inherit_cache = True
    name = "add_seconds"


class seconds_between(FunctionElement[float]):
    """later - earlier in seconds, as a float exact to the microsecond on both engines."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


class shifted_hour(FunctionElement[int]):
    """Hour of day (0-23) of timestamp + n seconds: the local hour when n is the zone's UTC offset."""

    type = Integer()
    inherit_cache = True
    name = "shifted_hour"


class shifted_isoweekday(FunctionElement[int]):
    """ISO weekday (1 = Monday … 7 = Sunday) of timestamp + n seconds."""

    type = Integer()
    inherit_cache = True
    name = "shifted_isoweekday"


def _args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(add_seconds, "postgresql")
def _pg_add_seconds(element: add_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    ts, secs = _args(element, compiler, **kw)
    return f"({ts} + CAST({secs} AS DOUBLE PRECISION) * INTERVAL '1 second')"


@compiles(add_seconds, "sqlite")
def _sqlite_add_seconds(element: add_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    ts, secs = _args(element, compiler, **kw)
    # strftime drops the microseconds; whole seconds never change them, so the stored fraction is put back.
    return f"(strftime('%Y-%m-%d %H:%M:%S', {ts}, ({secs}) || ' seconds') || substr({ts}, 20))"


@compiles(seconds_between, "postgresql")
def _pg_seconds_between(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    earlier, later = _args(element, compiler, **kw)
    # EXTRACT returns exact numeric (PostgreSQL ≥ 14); one rounding to double at the end.
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)"


@compiles(seconds_between, "sqlite")
def _sqlite_seconds_between(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    earlier, later = _args(element, compiler, **kw)
    # Whole microseconds as an integer, then one division: the same correctly rounded double PostgreSQL gives.
    micros = (
        f"((CAST(strftime('%s', {later}) AS INTEGER) - CAST(strftime('%s', {earlier}) AS INTEGER)) * 1000000"
        f" + CAST(substr({later} || '.000000', 21, 6) AS INTEGER)"
        f" - CAST(substr({earlier} || '.000000', 21, 6) AS INTEGER))"
    )
    return f"({micros} / 1000000.0)"


@compiles(shifted_hour, "postgresql")
def _pg_shifted_hour(element: shifted_hour, compiler: SQLCompiler, **kw: Any) -> str:
    ts, secs = _args(element, compiler, **kw)
    return (
        f"CAST(EXTRACT(HOUR FROM {ts} + CAST({secs} AS DOUBLE PRECISION) * INTERVAL '1 second') AS INTEGER)"
    )


@compiles(shifted_hour, "sqlite")
def _sqlite_shifted_hour(element: shifted_hour, compiler: SQLCompiler, **kw: Any) -> str:
    ts, secs = _args(element, compiler, **kw)
    return f"CAST(strftime('%H', {ts}, ({secs}) || ' seconds') AS INTEGER)"


@compiles(shifted_isoweekday, "postgresql")
def _pg_shifted_isoweekday(element: shifted_isoweekday, compiler: SQLCompiler, **kw: Any) -> str:
    ts, secs = _args(element, compiler, **kw)
    return (
        f"CAST(EXTRACT(ISODOW FROM {ts} + CAST({secs} AS DOUBLE PRECISION) * INTERVAL '1 second') AS INTEGER)"
    )


@compiles(shifted_isoweekday, "sqlite")
def _sqlite_shifted_isoweekday(element: shifted_isoweekday, compiler: SQLCompiler, **kw: Any) -> str:
    ts, secs = _args(element, compiler, **kw)
    # %w counts Sunday as 0; shift it to ISO's 7.
    return f"((CAST(strftime('%w', {ts}, ({secs}) || ' seconds') AS INTEGER) + 6) % 7 + 1)"


def offset_case(column: ColumnElement[Any], spans: list[tuple[Any, int]]) -> ColumnElement[int]:
    """CASE choosing a UTC offset by instant: spans are (end, offset) in order, the last one open-ended."""
    if len(spans) == 1:
        return literal(spans[0][1], Integer)
    whens = [(column < end, literal(offset, Integer)) for end, offset in spans[:-1]]
    return case(*whens, else_=literal(spans[-1][1], Integer))


def bucket_index(column: ColumnElement[Any], ends: Sequence[Any]) -> ColumnElement[int]:
    """0-based index of the bucket holding `column`, for adjacent buckets given by their ends in order (rows
    are already limited to the buckets' span)."""
    if len(ends) == 1:
        return literal(0, Integer)
    whens = [(column < end, literal(index, Integer)) for index, end in enumerate(ends[:-1])]
    return case(*whens, else_=literal(len(ends) - 1, Integer))
