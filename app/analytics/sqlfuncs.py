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

from app.analytics.windows import OffsetSpan
from app.models.types import UTCDateTime

_PG_SHIFTED = "{0} + CAST({1} AS DOUBLE PRECISION) * INTERVAL '1 second'"


class _DateFunction(FunctionElement[Any]):
    """Rendered from `forms`, one SQL template per dialect over the compiled arguments {0}, {1}."""

    inherit_cache = True
    forms: dict[str, str]


@compiles(_DateFunction)
def _render(element: _DateFunction, compiler: SQLCompiler, **kw: Any) -> str:
    return element.forms[compiler.dialect.name].format(
        *[compiler.process(arg, **kw) for arg in element.clauses]
    )


class add_seconds(_DateFunction):
    """timestamp + n seconds (n an integer expression), still a comparable stored timestamp."""

    type = UTCDateTime()
    inherit_cache = True
    name = "add_seconds"
    forms = {
        "postgresql": f"({_PG_SHIFTED})",
        # strftime drops the microseconds; whole seconds never change them, so the stored fraction returns.
        "sqlite": "(strftime('%Y-%m-%d %H:%M:%S', {0}, ({1}) || ' seconds') || substr({0}, 20))",
    }


class seconds_between(_DateFunction):
    """later - earlier in seconds, as a float exact to the microsecond on both engines."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"
    forms = {
        # EXTRACT returns exact numeric (PostgreSQL ≥ 14); one rounding to double at the end.
        "postgresql": "CAST(EXTRACT(EPOCH FROM ({1} - {0})) AS DOUBLE PRECISION)",
        # Whole microseconds as an integer, then one division: the correctly rounded double PostgreSQL gives.
        "sqlite": "(((CAST(strftime('%s', {1}) AS INTEGER) - CAST(strftime('%s', {0}) AS INTEGER)) * 1000000"
        " + CAST(substr({1} || '.000000', 21, 6) AS INTEGER)"
        " - CAST(substr({0} || '.000000', 21, 6) AS INTEGER)) / 1000000.0)",
    }


class shifted_hour(_DateFunction):
    """Hour of day (0-23) of timestamp + n seconds: the local hour when n is the zone's UTC offset."""

    type = Integer()
    inherit_cache = True
    name = "shifted_hour"
    forms = {
        "postgresql": f"CAST(EXTRACT(HOUR FROM {_PG_SHIFTED}) AS INTEGER)",
        "sqlite": "CAST(strftime('%H', {0}, ({1}) || ' seconds') AS INTEGER)",
    }


class shifted_isoweekday(_DateFunction):
    """ISO weekday (1 = Monday … 7 = Sunday) of timestamp + n seconds."""

    type = Integer()
    inherit_cache = True
    name = "shifted_isoweekday"
    forms = {
        "postgresql": f"CAST(EXTRACT(ISODOW FROM {_PG_SHIFTED}) AS INTEGER)",
        # %w counts Sunday as 0; shift it to ISO's 7.
        "sqlite": "((CAST(strftime('%w', {0}, ({1}) || ' seconds') AS INTEGER) + 6) % 7 + 1)",
    }


def offset_case(column: ColumnElement[Any], spans: list[OffsetSpan]) -> ColumnElement[int]:
    """CASE choosing a UTC offset by instant, over the zone's spans in order (windows.offset_spans)."""
    if len(spans) == 1:
        return literal(spans[0].offset_seconds, Integer)
    whens = [(column < span.end, literal(span.offset_seconds, Integer)) for span in spans[:-1]]
    return case(*whens, else_=literal(spans[-1].offset_seconds, Integer))


def bucket_index(column: ColumnElement[Any], ends: Sequence[Any]) -> ColumnElement[int]:
    """0-based index of the bucket holding `column`, for adjacent buckets given by their ends in order (rows
    are already limited to the buckets' span)."""
    if len(ends) == 1:
        return literal(0, Integer)
    whens = [(column < end, literal(index, Integer)) for index, end in enumerate(ends[:-1])]
    return case(*whens, else_=literal(len(ends) - 1, Integer))
