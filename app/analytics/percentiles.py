"""Mean, p50 and p90 of a duration column, computed in SQL and identical on both engines.

Percentiles interpolate linearly between ranks exactly as PostgreSQL's `percentile_cont` does: for n sorted
values and quantile q, the position is p = q*(n-1) (0-based); the result is v[floor p] + (p - floor p)*(v[ceil
p] - v[floor p]). PostgreSQL computes it natively. SQLite has no ordered-set aggregates, so it ranks the
values with window functions and keeps only the two rows at floor p and ceil p, then does PostgreSQL's
arithmetic in the same order (proportion x difference, added to the lower value), which gives bit-for-bit the
same double.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, case, cast, func, literal, literal_column, select, text
from sqlalchemy.sql import FromClause

from app.extensions import db, is_postgresql

QUANTILES = (0.5, 0.9)


@dataclass(frozen=True)
class DurationStats:
    """Seconds; `count` is how many values the figures are over. All figures are None when count is 0."""

    count: int = 0
    mean: float | None = None
    p50: float | None = None
    p90: float | None = None

    def to_dict(self) -> dict[str, float | int | None]:
        return {"mean": self.mean, "p50": self.p50, "p90": self.p90, "count": self.count}


def percentile_cont(sorted_values: Sequence[float], q: float) -> float | None:
    """The reference definition (PostgreSQL's percentile_cont) in Python, for tests and small lists."""
    if not sorted_values:
        return None
    position = q * (len(sorted_values) - 1)
    first, second = math.floor(position), math.ceil(position)
    low = sorted_values[first]
    if first == second:
        return float(low)
    return low + ((position - first) * (sorted_values[second] - low))


@dataclass(frozen=True)
class Aggregate:
    """One group's figures: its number of rows, the sum of each `sums` column, each `durations` column's
    stats."""

    rows: int
    sums: dict[str, int]
    stats: dict[str, DurationStats]


def aggregate(
    rows: FromClause,
    keys: Sequence[str] = (),
    sums: Sequence[str] = (),
    durations: Sequence[str] = (),
    percentiles: bool = True,
) -> dict[tuple[Any, ...], Aggregate]:
    """Every analytics figure over `rows` per value of its `keys` columns (`()` without keys, present even
    over no rows): each `sums` column summed, each `durations` column's DurationStats with NULLs ignored (so
    a CASE picks the rows a duration is over), without p50 and p90 unless `percentiles`. PostgreSQL computes
    it in one grouped pass; SQLite ranks each duration's values in another."""
    group = [rows.c[key] for key in keys]
    one_pass = is_postgresql() or not percentiles
    columns: list[Any] = [
        *group,
        func.count().label("_rows"),
        *[func.coalesce(func.sum(rows.c[name]), 0).label(name) for name in sums],
    ]
    for name in durations if one_pass else ():
        value = rows.c[name]
        columns += [func.count(value).label(f"{name}_n"), func.avg(value).label(f"{name}_mean")]
        if percentiles:
            columns += [
                func.percentile_cont(literal_column(repr(q))).within_group(value).label(f"{name}_{_name(q)}")
                for q in QUANTILES
            ]
    statement = select(*columns)
    if group:
        statement = statement.group_by(*group)
    found = db.session.execute(statement).all()
    stats: dict[str, dict[tuple[Any, ...], DurationStats]] = {
        name: {tuple(row[: len(keys)]): _stats_of(row, name) for row in found}
        if one_pass
        else _ranked_stats(rows, group, rows.c[name])
        for name in durations
    }
    return {
        key: Aggregate(
            rows=int(row._rows),
            sums={name: int(getattr(row, name)) for name in sums},
            stats={name: stats[name].get(key, DurationStats()) for name in durations},
        )
        for row in found
        for key in [tuple(row[: len(keys)])]
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _stats_of(row: Any, prefix: str) -> DurationStats:
    count = int(getattr(row, f"{prefix}_n") or 0)
    figures = (_float(getattr(row, f"{prefix}_{name}", None)) for name in ("mean", "p50", "p90"))
    return DurationStats(count, *figures) if count else DurationStats()


def _ranked_stats(rows: FromClause, group: list[Any], value: Any) -> dict[tuple[Any, ...], DurationStats]:
    """SQLite: rank the values with window functions and keep the two rows around each quantile's position."""
    partition = group or None
    ranked = (
        select(
            *[column.label(f"k{index}") for index, column in enumerate(group)],
            value.label("value"),
            func.row_number().over(partition_by=partition, order_by=value).label("rn"),
            func.count().over(partition_by=partition).label("n"),
        )
        .where(value.is_not(None))
        .subquery("ranked")
    )
    keys = [ranked.c[f"k{index}"] for index in range(len(group))]
    picks: list[Any] = []
    for q in QUANTILES:
        position = literal(q, Float) * (ranked.c.n - 1)
        first = cast(position, Integer)  # truncation is floor: the position is never negative
        second = first + case((position > first, 1), else_=0)
        low = func.max(case((ranked.c.rn == first + 1, ranked.c.value)))
        high = func.max(case((ranked.c.rn == second + 1, ranked.c.value)))
        proportion = func.max(position - first)
        picks.append((low + (proportion * (high - low))).label(_name(q)))
    statement = select(*keys, func.max(ranked.c.n).label("n"), func.avg(ranked.c.value).label("mean"), *picks)
    if keys:
        statement = statement.group_by(*keys)
    result: dict[tuple[Any, ...], DurationStats] = {}
    for row in db.session.execute(statement):
        if row.n:  # an aggregate over no rows still returns one row
            result[tuple(row[: len(keys)])] = DurationStats(
                int(row.n), _float(row.mean), _float(row.p50), _float(row.p90)
            )
    return result


def _name(q: float) -> str:
    return f"p{round(q * 100)}"


# Sort memory for this transaction's analytics queries: a grouped query with percentiles sorts its rows by
# group first, which overflows PostgreSQL's default 4 MB on a busy account. Per sort node, and only for the
# transaction that asked.
ANALYTICS_WORK_MEM = "32MB"
ANALYTICS_RANDOM_PAGE_COST = "1.1"


def room_to_sort() -> None:
    """Call before computing analytics in a transaction (PostgreSQL only). Also prices a page read as in
    memory or on SSD (random_page_cost 1.1 instead of 4, a disk seek), so a window is read by its index range
    rather than a whole-table scan. (JIT is off for every connection already: config.engine_options.)"""
    if is_postgresql():
        # set_config(..., true) is SET LOCAL: both in one round trip.
        db.session.execute(
            text(
                "SELECT set_config('work_mem', :work_mem, true),"
                " set_config('random_page_cost', :page_cost, true)"
            ),
            {"work_mem": ANALYTICS_WORK_MEM, "page_cost": ANALYTICS_RANDOM_PAGE_COST},
        )
