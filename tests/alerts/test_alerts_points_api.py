"""POST /api/v1/metrics/points: up to 1,000 points, all or nothing, each bad point named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.accounts.api_keys import create_key
from app.extensions import db
from app.models import MetricPoint, Workspace
from app.models.types import utcnow
from tests.factories import make_workspace


@pytest.fixture
def workspace(app: Flask) -> Workspace:
    workspace = make_workspace("Acme")
    db.session.commit()
    return workspace


@pytest.fixture
def post(client: FlaskClient, workspace: Workspace):
    _, key = create_key(workspace, "ci")
    db.session.commit()

    def send(body: Any, token: str = key):
        return client.post("/api/v1/metrics/points", json=body, headers={"Authorization": f"Bearer {token}"})

    return send


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(MetricPoint)) or 0


def test_points_are_stored_with_their_series_and_minute(post, workspace: Workspace) -> None:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    response = post(
        {
            "points": [
                {
                    "name": "queue.depth",
                    "value": 12.5,
                    "at": at.isoformat(),
                    "labels": {"env": "prod", "app": "a"},
                },
                {"name": "queue.depth", "value": 3},
            ]
        }
    )
    assert response.status_code == 202, response.get_json()
    assert response.get_json() == {"accepted": 2}
    first, second = db.session.scalars(select(MetricPoint).order_by(MetricPoint.id)).all()
    assert (first.workspace_id, first.name, first.value, first.at) == (workspace.id, "queue.depth", 12.5, at)
    assert first.labels == {"env": "prod", "app": "a"}
    assert first.series == '{"app":"a","env":"prod"}'
    assert first.minute == int(at.timestamp() // 60)
    assert second.labels == {} and abs((second.at - utcnow()).total_seconds()) < 60


@pytest.mark.parametrize(
    ("point", "field", "words"),
    [
        ({"value": 1}, "points[1].name", "metric name"),
        ({"name": "9bad", "value": 1}, "points[1].name", "metric name"),
        ({"name": "ok", "value": "1"}, "points[1].value", "a number"),
        ({"name": "ok", "value": True}, "points[1].value", "a number"),
        ({"name": "ok", "value": 1, "at": "yesterday"}, "points[1].at", "ISO-8601"),
        ({"name": "ok", "value": 1, "at": "2026-01-01T00:00:00"}, "points[1].at", "time zone"),
        ({"name": "ok", "value": 1, "at": "2999-01-01T00:00:00Z"}, "points[1].at", "future"),
        ({"name": "ok", "value": 1, "at": "2001-01-01T00:00:00Z"}, "points[1].at", "retention"),
        ({"name": "ok", "value": 1, "labels": {"env": 3}}, "points[1].labels.env", "must be text"),
        ({"name": "ok", "value": 1, "labels": ["env"]}, "points[1].labels", "object"),
        ("just text", "points[1]", "object"),
    ],
)
def test_a_bad_point_is_named_and_nothing_of_the_request_is_stored(post, point, field, words) -> None:
    response = post({"points": [{"name": "good", "value": 1}, point]})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == field
    assert words in error["message"]
    assert stored() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": []}, "points"),
        ({"points": "x"}, "points"),
        ({}, "points"),
        ({"points": [{"name": "a", "value": 1}] * 1001}, "points"),
    ],
)
def test_bad_bodies(post, body, field) -> None:
    response = post(body)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field
    assert stored() == 0


def test_a_thousand_points_are_accepted(post) -> None:
    response = post({"points": [{"name": "a", "value": i} for i in range(1000)]})
    assert response.status_code == 202
    assert stored() == 1000


def test_a_body_that_is_not_json_is_a_400(client: FlaskClient, post) -> None:
    response = post(None)
    assert response.status_code == 400
    assert stored() == 0


def test_without_a_key_it_is_a_401(client: FlaskClient) -> None:
    response = client.post("/api/v1/metrics/points", json={"points": [{"name": "a", "value": 1}]})
    assert response.status_code == 401
    assert stored() == 0


def test_points_land_in_the_keys_workspace_only(post, workspace: Workspace) -> None:
    other = make_workspace("Globex")
    db.session.commit()
    assert post({"points": [{"name": "a", "value": 1}]}).status_code == 202
    assert db.session.scalar(select(MetricPoint.workspace_id)) == workspace.id != other.id


def test_points_older_than_the_retention_are_pruned(app: Flask, workspace: Workspace) -> None:
    from app.alerts.points import PointIn, store_points
    from app.jobs import prune_metric_points

    now = utcnow()
    store_points(
        workspace,
        [PointIn("a", 1, now - timedelta(days=36), {}), PointIn("a", 2, now - timedelta(days=34), {})],
    )
    assert prune_metric_points() == 1
    assert db.session.scalars(select(MetricPoint.value)).all() == [2.0]
