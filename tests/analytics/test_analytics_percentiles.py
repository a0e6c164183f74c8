"""Percentiles like PostgreSQL's percentile_cont: the arithmetic, and the SQL on both engines."""

from __future__ import annotations

import random

import pytest
from flask import Flask
from sqlalchemy import Float, cast, select, text, union_all
from sqlalchemy import literal as sql_literal

from app.analytics.percentiles import (
    ANALYTICS_WORK_MEM,
    DurationStats,
    aggregate,
    percentile_cont,
    room_to_sort,
)
from app.extensions import db, is_postgresql


def test_it_interpolates_between_the_two_neighbouring_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    # p50: position 0.5 * 3 = 1.5 -> 20 + 0.5 * (30 - 20) = 25
    assert percentile_cont(values, 0.5) == 25.0
    # p90: position 0.9 * 3 = 2.7 -> 30 + 0.7 * (40 - 30) = 37 (up to the float of 0.9 * 3)
    assert percentile_cont(values, 0.9) == pytest.approx(37.0)
    assert percentile_cont([7.0], 0.9) == 7.0
    assert percentile_cont([], 0.5) is None


def _values(*numbers: float | None, group: int = 0) -> list[tuple[int, float | None]]:
    return [(group, n) for n in numbers]


def single_stats(table) -> DurationStats:  # type: ignore[no-untyped-def]
    return aggregate(table, durations=["value"])[()].stats["value"]


def _table(rows: list[tuple[int, float | None]]):  # type: ignore[no-untyped-def]
    """An inline table of (grp, value) rows, so the SQL runs on real rows without a model."""
    selects = [
        select(sql_literal(g).label("grp"), cast(sql_literal(v, Float), Float).label("value"))
        for g, v in rows
    ]
    return union_all(*selects).subquery("vals")


def test_it_gives_the_reference_figures_in_sql(app: Flask) -> None:
    # 11 values: p50 is the 6th (position 5); p90 is at position 9.0 exactly -> the 10th.
    values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0]
    stats = single_stats(_table(_values(*values)))
    ordered = sorted(values)
    assert stats == DurationStats(
        count=11,
        mean=sum(values) / 11,  # 44 / 11 = 4
        p50=percentile_cont(ordered, 0.5),  # 4.0
        p90=percentile_cont(ordered, 0.9),  # 6.0
    )
    assert (stats.mean, stats.p50, stats.p90) == (4.0, 4.0, 6.0)


def test_it_gives_bit_identical_floats_to_the_reference_on_awkward_positions(app: Flask) -> None:
    rng = random.Random(7)
    for n in (1, 2, 3, 7, 10, 12, 101):
        values = [float(rng.randint(1, 100_000)) for _ in range(n)]
        stats = single_stats(_table(_values(*values)))
        ordered = sorted(values)
        assert stats.p50 == percentile_cont(ordered, 0.5)  # exact equality, not approx
        assert stats.p90 == percentile_cont(ordered, 0.9)
        assert stats.count == n


def test_it_ignores_nulls_and_returns_no_figures_for_no_values(app: Flask) -> None:
    assert single_stats(_table(_values(None, 8.0, None))) == DurationStats(1, 8.0, 8.0, 8.0)
    assert single_stats(_table(_values(None))) == DurationStats()


def test_it_computes_each_group_on_its_own(app: Flask) -> None:
    rows = _values(1.0, 2.0, 3.0, 4.0, group=1) + _values(100.0, group=2) + _values(None, group=3)
    found = aggregate(_table(rows), keys=["grp"], durations=["value"])
    # Group 1: p50 position 1.5 -> 2.5; p90 position 2.7 -> 3 + 0.7 * 1 = 3.7 (as percentile_cont has it).
    assert {key: part.stats["value"] for key, part in found.items()} == {
        (1,): DurationStats(4, 2.5, 2.5, percentile_cont([1.0, 2.0, 3.0, 4.0], 0.9)),
        (2,): DurationStats(1, 100.0, 100.0, 100.0),
        (3,): DurationStats(),  # a group without a single value has no figures
    }
    assert [found[key].rows for key in sorted(found)] == [4, 1, 1]


def test_analytics_get_room_to_sort_for_their_own_transaction_only(app: Flask) -> None:
    if not is_postgresql():
        pytest.skip("SQLite has no work_mem (CI runs PostgreSQL too)")

    def shown() -> tuple[str | None, ...]:
        return tuple(db.session.scalar(text(f"SHOW {name}")) for name in ("work_mem", "random_page_cost"))

    default = shown()
    room_to_sort()
    assert shown() == (ANALYTICS_WORK_MEM, "1.1")
    db.session.rollback()
    assert shown() == default
