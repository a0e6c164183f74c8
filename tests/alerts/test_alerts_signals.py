"""What a rule sees: pushed metrics aggregated over its window, and incident numbers from analytics."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from app.alerts import points, signals
from app.alerts.evaluate import evaluate_all
from app.extensions import db
from app.models import AlertRule, AlertState, Workspace
from tests.analytics.factories import World, make_incident, make_world

NOW = datetime(2026, 3, 10, 12, 0, 30, tzinfo=UTC)


def rule(workspace: Workspace, **fields: object) -> AlertRule:
    values: dict[str, object] = {
        "workspace_id": workspace.id,
        "uid": secrets.token_hex(12),
        "name": "r",
        "signal": "pushed",
        "metric": "latency",
        "aggregation": "avg",
        "labels": {},
        "filters": {},
        "window_seconds": 300,
        "operator": ">",
        "threshold": 0,
        "state": AlertState.OK,
        "state_since": NOW - timedelta(days=1),
    }
    values.update(fields)
    created = AlertRule(**values)
    db.session.add(created)
    db.session.flush()
    return created


def push(workspace: Workspace, name: str, value: float, seconds_ago: float, **labels: str) -> None:
    points.store_points(
        workspace, [points.PointIn(name, value, NOW - timedelta(seconds=seconds_ago), labels)]
    )


@pytest.fixture
def world(app: Flask) -> World:
    world = make_world()
    db.session.commit()
    return world


@pytest.fixture
def pushed(world: World) -> Workspace:
    ws = world.workspace
    push(ws, "latency", 100, 30, env="prod", app="a")
    push(ws, "latency", 300, 90, env="prod", app="b")
    push(ws, "latency", 50, 200, env="staging", app="a")
    push(ws, "latency", 1000, 900, env="prod", app="a")  # outside a 5-minute window
    push(ws, "other", 7, 10)
    return ws


@pytest.mark.parametrize(
    ("aggregation", "labels", "expected"),
    [
        ("avg", {}, 150.0),
        ("min", {}, 50.0),
        ("max", {}, 300.0),
        ("sum", {}, 450.0),
        ("count", {}, 3.0),
        ("last", {}, 100.0),
        ("avg", {"env": "prod"}, 200.0),
        ("max", {"env": "prod", "app": "a"}, 100.0),
        ("last", {"env": "staging"}, 50.0),
        ("avg", {"env": "dev"}, None),
        ("count", {"env": "dev"}, None),
    ],
)
def test_pushed_aggregations_over_the_window(pushed: Workspace, aggregation, labels, expected) -> None:
    r = rule(pushed, aggregation=aggregation, labels=labels)
    assert signals.observe([r], NOW)[r.id] == signals.Observation(expected)


def test_windows_count_whole_minutes(pushed: Workspace) -> None:
    # 12:00:30 minus 15 minutes is 11:45:30; the point at 11:45:30 sits in minute 11:45, which counts.
    r = rule(pushed, aggregation="max", window_seconds=900)
    assert signals.observe([r], NOW)[r.id].value == 1000.0
    # A one-minute window at 12:00:30 starts in minute 11:59: the point at 11:59:00 counts, 11:57:10 does not.
    short = rule(pushed, aggregation="max", window_seconds=60)
    assert signals.observe([short], NOW)[short.id].value == 300.0
    assert signals.observe([short], NOW + timedelta(seconds=30))[short.id].value == 100.0


def test_points_of_another_workspace_are_never_seen(pushed: Workspace) -> None:
    other = make_world(name="Globex")
    db.session.commit()
    r = rule(other.workspace, aggregation="count")
    assert signals.observe([r], NOW)[r.id].value is None


def test_many_rules_are_read_in_one_pass(pushed: Workspace) -> None:
    rules = [rule(pushed, aggregation=a) for a in signals.AGGREGATIONS] + [
        rule(pushed, metric="other", aggregation="sum")
    ]
    seen = signals.observe(rules, NOW)
    assert [seen[r.id].value for r in rules] == [150.0, 50.0, 300.0, 450.0, 3.0, 100.0, 7.0]


def test_incident_metrics_over_a_rolling_window(world: World) -> None:
    ws = world.workspace
    make_incident(world.api, NOW - timedelta(hours=1), ack_after=120, resolve_after=600, escalation_count=1)
    make_incident(world.api, NOW - timedelta(hours=2), ack_after=240)
    make_incident(world.web, NOW - timedelta(hours=3))
    make_incident(world.api, NOW - timedelta(days=3), ack_after=60)  # outside a one-day window, still open
    make_incident(world.legacy, NOW - timedelta(hours=1))  # an unselected service: not in the population
    db.session.commit()
    day = 86400

    def value(metric: str, **fields: object) -> float | None:
        r = rule(ws, signal="incident", metric=metric, aggregation=None, window_seconds=day, **fields)
        return signals.observe([r], NOW)[r.id].value

    assert value("incident_count") == 3
    assert value("incident_count", filters={"services": [world.web.id]}) == 1
    assert value("open_incidents") == 3  # any age: the 3-day-old one counts, the resolved one does not
    assert value("mtta") == 3.0  # minutes: mean of 120 s and 240 s
    assert value("mttr") == 10.0
    assert value("escalation_rate") == pytest.approx(100 / 3)
    assert value("cfr") is None  # no deployments: no data, never 0
    assert value("sleep_interruptions") == 0


def test_a_pass_fires_and_records_the_value(pushed: Workspace) -> None:
    r = rule(pushed, aggregation="max", threshold=250)
    quiet = rule(pushed, aggregation="max", threshold=5000)
    db.session.commit()
    result = evaluate_all(NOW)
    assert (result.rules, result.transitions, result.errors) == (2, 1, 0)
    db.session.expire_all()
    assert (r.state, r.last_value, r.episode, r.last_evaluated_at) == (AlertState.FIRING, 300.0, 1, NOW)
    assert (quiet.state, quiet.last_value) == (AlertState.OK, 300.0)


def test_many_distinct_windows_in_one_pass(pushed: Workspace) -> None:
    # More windows than one query answers: each rule still counts exactly the minutes of its own window.
    rules = [rule(pushed, aggregation="count", window_seconds=60 * m) for m in range(1, 31)]
    seen = signals.observe(rules, NOW)
    # Points in minutes 12:00, 11:59, 11:57 and 11:45; an m-minute window at 12:00:30 starts at 12:00 - m.
    expected = [2 + (m >= 3) + (m >= 15) for m in range(1, 31)]
    assert [seen[r.id].value for r in rules] == [float(e) for e in expected]


def test_batched_incident_metrics_equal_the_analytics_engine(world: World) -> None:
    """The grouped query must give what docs/metrics.md (the analytics engine) gives, filter for filter."""
    import random

    from app.analytics.query import workspace_settings

    rng = random.Random(5)
    for _ in range(120):
        service = rng.choice([world.api, world.web, world.legacy])
        ack = rng.choice([None, rng.randint(10, 900)])
        resolve = rng.choice([None, rng.randint(900, 9000)])
        make_incident(
            service,
            NOW - timedelta(minutes=rng.randint(1, 60 * 24 * 10)),
            ack_after=ack,
            resolve_after=resolve,
            urgency=rng.choice(["high", "low"]),
            escalation_count=rng.choice([0, 0, 1, 2]),
            excluded=rng.random() < 0.05,
        )
    db.session.commit()
    settings = workspace_settings(world.workspace.id)
    filters = [
        {},
        {"services": [world.api.id]},
        {"services": [world.web.id, world.legacy.id]},
        {"urgencies": ["low"]},
        {"services": [world.api.id], "urgencies": ["high"]},
    ]
    rules = [
        rule(
            world.workspace,
            signal="incident",
            metric=metric,
            aggregation=None,
            window_seconds=window,
            filters=f,
        )
        for metric in ("incident_count", "open_incidents", "mtta", "mttr", "escalation_rate")
        for window in (3600 * 6, 86400, 86400 * 7)
        for f in filters
    ]
    batched = signals.observe_incident_batched(rules, NOW)
    for r in rules:
        expected = signals.incident_value(r, NOW, settings)
        got = batched[r.id].value
        assert (got is None) == (expected is None), (r.metric, r.window_seconds, r.filters)
        if expected is not None:
            assert got == pytest.approx(expected, rel=1e-9), (r.metric, r.window_seconds, r.filters)
