"""Headline numbers: counts, MTTA, MTTR, escalation and auto-resolve rates, nulls, and the API shape."""

from __future__ import annotations

import pytest
from flask import Flask

from app.analytics.metrics import compare, figures_of, summary
from app.analytics.percentiles import DurationStats
from tests.analytics.factories import World, make_deployment, make_incident, make_world, query, utc

MON, NEXT_MON = utc(2024, 3, 4), utc(2024, 3, 11)


def _week(world: World) -> None:
    """Seven incidents in the week of Monday 2024-03-04 on `api`, and four that must not count."""
    api = world.api
    make_incident(api, utc(2024, 3, 4, 10), ack_after=120, resolve_after=600)  # A
    make_incident(api, utc(2024, 3, 5, 10), ack_after=300, resolve_after=3600, escalation_count=1)  # B
    make_incident(api, utc(2024, 3, 6, 10), resolve_after=1200, auto_resolved=True)  # C: never acknowledged
    make_incident(api, utc(2024, 3, 7, 10), ack_after=60)  # D: acknowledged, open
    make_incident(api, utc(2024, 3, 8, 10), escalation_count=2)  # E: never acknowledged, open
    # F: resolved, reopened, resolved again; resolve_seconds is the *final* resolve.
    make_incident(api, utc(2024, 3, 9, 10), ack_after=30, resolve_after=7200, reopen_count=1)
    # G: resolved then reopened, open now: sync cleared resolved_at.
    make_incident(api, utc(2024, 3, 9, 12), ack_after=90, status="triggered", reopen_count=1)
    # Not counted: before the window, at its (exclusive) end, excluded, on an unselected service.
    make_incident(api, utc(2024, 3, 3, 23, 59, 59), ack_after=1, resolve_after=1)
    make_incident(api, NEXT_MON, ack_after=1, resolve_after=1)
    make_incident(api, utc(2024, 3, 5, 11), ack_after=1, resolve_after=1, excluded=True)
    make_incident(world.legacy, utc(2024, 3, 5, 12), ack_after=1, resolve_after=1)


def test_it_counts_incidents_and_the_unresolved(app: Flask) -> None:
    world = make_world()
    _week(world)
    counts = figures_of(query(world, MON, NEXT_MON)).counts
    assert counts.incident_count == 7  # A-G
    assert counts.unresolved_count == 3  # D, E and the reopened G
    assert counts.resolved_count == 4  # A, B, C, F
    assert counts.excluded_count == 1


def test_it_computes_mtta_over_acknowledged_incidents_only(app: Flask) -> None:
    world = make_world()
    _week(world)
    stats = figures_of(query(world, MON, NEXT_MON)).mtta
    # Acknowledged: A 120, B 300, D 60, F 30, G 90 -> sorted 30, 60, 90, 120, 300 (C and E never were).
    assert stats.count == 5
    assert stats.mean == 120.0  # 600 / 5
    assert stats.p50 == 90.0  # position 0.5 * 4 = 2
    assert stats.p90 == pytest.approx(228.0)  # position 3.6: 120 + 0.6 * (300 - 120)


def test_it_computes_mttr_over_resolved_incidents_with_the_final_resolve(app: Flask) -> None:
    world = make_world()
    _week(world)
    stats = figures_of(query(world, MON, NEXT_MON)).mttr
    # Resolved: A 600, B 3600, C 1200, F 7200 (after its reopen) -> sorted 600, 1200, 3600, 7200.
    assert stats.count == 4
    assert stats.mean == 3150.0  # 12600 / 4
    assert stats.p50 == 2400.0  # position 1.5: 1200 + 0.5 * 2400
    assert stats.p90 == pytest.approx(6120.0)  # position 2.7: 3600 + 0.7 * 3600


def test_it_gives_escalation_and_auto_resolve_rates_over_their_own_denominators(app: Flask) -> None:
    world = make_world()
    _week(world)
    result = summary(query(world, MON, NEXT_MON))
    assert result.escalation_rate == 2 / 7  # B and E of all 7 incidents
    assert result.auto_resolve_rate == 1 / 4  # C of the 4 resolved incidents
    assert result.incidents_per_week == 7.0


def test_it_produces_the_json_api_shape(app: Flask) -> None:
    world = make_world()
    _week(world)
    result = summary(query(world, MON, NEXT_MON)).to_dict()
    result["mtta_seconds"]["p90"] = round(result["mtta_seconds"]["p90"], 6)
    result["mttr_seconds"]["p90"] = round(result["mttr_seconds"]["p90"], 6)
    assert result == {
        "window": {"start": "2024-03-04", "end": "2024-03-11", "timezone": "UTC"},
        "incident_count": 7,
        "unresolved_count": 3,
        "mtta_seconds": {"mean": 120.0, "p50": 90.0, "p90": 228.0, "count": 5},
        "mttr_seconds": {"mean": 3150.0, "p50": 2400.0, "p90": 6120.0, "count": 4},
        "deployment_count": 0,
        "failed_deployment_count": 0,
        "change_failure_rate": None,  # no deployments: no rate, not 0 %
        "escalation_rate": 2 / 7,
        "interruptions": {"business": 0, "off_hours": 0, "sleep": 0},
        "failed_deployment_recovery_seconds": {"mean": None, "p50": None, "p90": None, "count": 0},
        "unrecovered_deployment_count": 0,
        "auto_resolve_rate": 1 / 4,  # C of the 4 resolved incidents
        "dora": {"change_failure_rate": None, "recovery_time": None},
        "excluded_count": 1,
    }


def test_it_gives_nulls_not_zeros_for_an_empty_window(app: Flask) -> None:
    world = make_world()
    _week(world)
    result = summary(query(world, utc(2024, 6, 1), utc(2024, 6, 8)))
    assert result.mtta == DurationStats() and result.mttr == DurationStats()
    assert result.auto_resolve_rate is None
    assert result.change_failure_band is None and result.recovery_time_band is None
    assert result.to_dict() == {
        "window": {"start": "2024-06-01", "end": "2024-06-08", "timezone": "UTC"},
        "incident_count": 0,
        "unresolved_count": 0,
        "mtta_seconds": {"mean": None, "p50": None, "p90": None, "count": 0},
        "mttr_seconds": {"mean": None, "p50": None, "p90": None, "count": 0},
        "deployment_count": 0,
        "failed_deployment_count": 0,
        "change_failure_rate": None,
        "escalation_rate": None,
        "interruptions": {"business": 0, "off_hours": 0, "sleep": 0},
        "failed_deployment_recovery_seconds": {"mean": None, "p50": None, "p90": None, "count": 0},
        "unrecovered_deployment_count": 0,
        "auto_resolve_rate": None,
        "dora": {"change_failure_rate": None, "recovery_time": None},
        "excluded_count": 0,
    }


def test_it_shows_a_window_of_local_days_as_local_dates(app: Flask) -> None:
    world = make_world("America/New_York")
    q = query(world, utc(2024, 3, 4, 5), utc(2024, 3, 11, 4))  # Monday to Monday, local midnights
    assert summary(q).to_dict()["window"] == {
        "start": "2024-03-04",
        "end": "2024-03-11",
        "timezone": "America/New_York",
    }


def test_it_compares_with_the_previous_window_of_equal_length(app: Flask) -> None:
    world = make_world()
    _week(world)
    # The week before: only the incident at 2024-03-03 23:59:59 (acknowledged and resolved after 1 s).
    result = compare(query(world, MON, NEXT_MON))
    assert (result.previous.query.start, result.previous.query.end) == (utc(2024, 2, 26), MON)
    assert result.previous.incident_count == 1
    assert result.delta("incident_count") == 6  # 7 - 1
    assert result.delta("escalation_rate") == 2 / 7  # 2/7 - 0/1
    assert result.delta("auto_resolve_rate") == 0.25  # 1/4 - 0/1


def test_the_comparison_gives_each_window_what_it_gives_alone(app: Flask) -> None:
    # Both windows come from one grouped pass; every figure must equal its own query's.
    world = make_world()
    _week(world)
    make_incident(world.api, utc(2024, 2, 27, 8), ack_after=40, resolve_after=900, escalation_count=1)
    make_incident(world.api, utc(2024, 2, 28, 8), urgency="low")
    # Deployments in both weeks, failed and not, one the day before the window whose incident falls inside it.
    for at in (utc(2024, 2, 27, 7), utc(2024, 3, 1, 9), utc(2024, 3, 3, 23), utc(2024, 3, 5, 9)):
        make_deployment(world.api, at)
    make_deployment(world.legacy, utc(2024, 3, 5, 11))
    for filters in ({}, {"urgencies": ("low",)}, {"services": (world.legacy.id,)}):
        current = query(world, MON, NEXT_MON, **filters)
        result = compare(current)
        assert result.current == summary(current)
        assert result.previous == summary(current.previous())
    assert compare(query(world, MON, NEXT_MON)).current.changes.failed_deployment_count > 0
    empty = query(world, utc(2025, 1, 6), utc(2025, 1, 13))
    assert compare(empty).current == summary(empty) and compare(empty).previous == summary(empty.previous())


def test_it_gives_recovery_time_and_both_dora_bands_in_the_json_shape(app: Flask) -> None:
    world = make_world()
    # Three deployments on api; each of the first two is followed by incidents within the 24 h window.
    make_deployment(world.api, utc(2024, 3, 4, 9))
    make_incident(world.api, utc(2024, 3, 4, 9, 30), resolve_after=1800)  # resolved 10:00
    make_incident(world.api, utc(2024, 3, 4, 11), resolve_after=3600)  # resolved 12:00: the last, 3 h
    make_deployment(world.api, utc(2024, 3, 6, 9))
    make_incident(world.api, utc(2024, 3, 6, 9, 10), resolve_after=1200)  # resolved 9:30: 30 min
    make_deployment(world.api, utc(2024, 3, 8, 9))
    make_incident(world.api, utc(2024, 3, 8, 10))  # still open: not recovered yet
    make_deployment(world.web, utc(2024, 3, 8, 9))  # nothing follows: did not fail
    result = summary(query(world, MON, NEXT_MON)).to_dict()
    # Recovered: 3 h (10800 s) and 30 min (1800 s); median 6300 s, p90 1800 + 0.9 * 9000 = 9900 s.
    assert result["failed_deployment_recovery_seconds"] == {
        "mean": 6300.0,
        "p50": 6300.0,
        "p90": pytest.approx(9900.0),
        "count": 2,
    }
    assert result["unrecovered_deployment_count"] == 1
    assert result["change_failure_rate"] == 3 / 4  # above 15 %: low
    assert result["dora"] == {"change_failure_rate": "low", "recovery_time": "high"}  # 1 h 45 m < 1 day
